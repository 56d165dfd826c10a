/** The sessions the core tests use: a cookie session and a store session with every feature on. */
import { z } from "zod";
import { defineSessions } from "../define.ts";
import type { SessionHandle } from "../types.ts";

export const testConfig = defineSessions({
  auth: {
    storage: "cookie",
    schema: z.object({
      userId: z.string().nullable().default(null),
      roles: z.array(z.string()).default([]),
      signedInAt: z.date().optional(),
    }),
    flash: { notice: z.string(), error: z.object({ message: z.string(), field: z.string().optional() }) },
    expiry: { absolute: "7d", idle: "2h", touchAfter: "5m" },
  },
  cart: {
    storage: "store",
    schema: z.object({
      items: z.array(z.object({ sku: z.string(), qty: z.number().int().min(1) })).default([]),
      note: z.string().default(""),
      owner: z.string().nullable().default(null),
    }),
    flash: { added: z.string() },
    messages: true,
    expiry: { absolute: "30d", idle: "7d", touchAfter: "1h" },
    header: "x-cart-session",
    userField: "owner",
  },
});

export interface AuthData {
  userId: string | null;
  roles: string[];
  signedInAt?: Date | undefined;
}
export interface CartData {
  items: { sku: string; qty: number }[];
  note: string;
  owner: string | null;
}
export interface TestTypes {
  auth: SessionHandle<AuthData, { notice: string; error: { message: string; field?: string | undefined } }>;
  cart: SessionHandle<CartData, { added: string }, true>;
}
