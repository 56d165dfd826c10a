/**
 * The reference schema: the example app, the tests and the docs all use it.
 * `npm run gen` turns it into `generated/sessions.ts`.
 */
import { defineSessions } from "satchel";
import { z } from "zod";

export default defineSessions({
  auth: {
    storage: "cookie",
    schema: z.object({
      userId: z.string().nullable().default(null),
      name: z.string().nullable().default(null),
      roles: z.array(z.enum(["admin", "member"])).default([]),
      signedInAt: z.date().optional(),
    }),
    flash: {
      notice: z.string(),
      error: z.object({ message: z.string(), field: z.string().optional() }),
    },
    expiry: { absolute: "7d", idle: "2h", touchAfter: "5m" },
    cookie: { name: "auth", sameSite: "lax" },
  },
  cart: {
    storage: "store",
    schema: z.object({
      items: z.array(z.object({ sku: z.string(), qty: z.number().int().min(1) })).default([]),
    }),
    messages: true,
    expiry: { absolute: "30d", idle: "7d", touchAfter: "1h" },
    header: "x-cart-session",
    version: 2,
    migrations: {
      2: (v1: { products: string[] }) => ({ items: v1.products.map((sku) => ({ sku, qty: 1 })) }),
    },
  },
  prefs: {
    storage: "cookie",
    schema: z.object({
      language: z.enum(["en", "de", "fr"]).default("en"),
      testKey: z.string().optional(),
    }),
    flash: { message: z.string() },
    expiry: { absolute: "365d" },
  },
});
