/**
 * Your app's sessions. Edit, then run `npx satchel gen` (or keep `npx satchel gen --watch` running)
 * to regenerate {{outImport}}.ts, the typed module your code imports.
 */
import { defineSessions } from "satchel";
import { z } from "zod";

export default defineSessions({
  // Who is signed in: small, so it lives sealed in the cookie itself.
  auth: {
    storage: "cookie",
    schema: z.object({
      userId: z.string().nullable().default(null),
      name: z.string().nullable().default(null),
    }),
    flash: {
      notice: z.string(),
      error: z.object({ message: z.string(), field: z.string().optional() }),
    },
    expiry: { absolute: "7d", idle: "2h" },
  },
  // A shopping cart: the cookie holds only a sealed id, the data lives in the store
  // (files in .data/sessions by default; SESSION_STORE_URL picks Redis, PostgreSQL, memcached).
  cart: {
    storage: "store",
    schema: z.object({
      items: z.array(z.object({ sku: z.string(), qty: z.number().int().min(1) })).default([]),
    }),
    expiry: { absolute: "30d", idle: "7d" },
  },
});
