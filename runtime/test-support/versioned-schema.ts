/**
 * Two deploys of the same sessions, for migration tests: v1 stored `products` (SKUs), v2 stores
 * `items` with quantities and migrates v1 data. `runtime/fixtures/v1-sessions.json` was written by the
 * v1 code (see make-fixtures.ts).
 */
import { z } from "zod";
import { defineSessions } from "../define.ts";
import type { SessionHandle } from "../types.ts";

// The fixtures must outlive the test suite; a cookie lives at most 400 days, so these are
// browser-session cookies whose sealed expiry alone ends them.
const expiry = { absolute: "3650d" } as const;
const cookie = { persistent: false } as const;
const v1Schema = z.object({ products: z.array(z.string()).default([]) });
const v2Schema = z.object({
  items: z.array(z.object({ sku: z.string(), qty: z.number().int().min(1) })).default([]),
});
const toV2 = (v1: { products: string[] }) => ({ items: v1.products.map((sku) => ({ sku, qty: 1 })) });

export const v1Config = defineSessions({
  basket: { storage: "cookie", schema: v1Schema, expiry, cookie },
  cart: { storage: "store", schema: v1Schema, expiry, cookie },
});

export const v2Config = defineSessions({
  basket: { storage: "cookie", schema: v2Schema, expiry, cookie, version: 2, migrations: { 2: toV2 } },
  cart: { storage: "store", schema: v2Schema, expiry, cookie, version: 2, migrations: { 2: toV2 } },
});

/** v2 whose migration throws on v1 data. */
export const v2ThrowingConfig = defineSessions({
  basket: {
    storage: "cookie",
    schema: v2Schema,
    expiry,
    cookie,
    version: 2,
    migrations: {
      2: () => {
        throw new Error("cannot convert");
      },
    },
  },
  cart: {
    storage: "store",
    schema: v2Schema,
    expiry,
    cookie,
    version: 2,
    migrations: { 2: () => ({ items: "oops" }) },
  },
});

export interface V1Types {
  basket: SessionHandle<{ products: string[] }>;
  cart: SessionHandle<{ products: string[] }>;
}
export interface V2Types {
  basket: SessionHandle<{ items: { sku: string; qty: number }[] }>;
  cart: SessionHandle<{ items: { sku: string; qty: number }[] }>;
}

/** When the fixtures were written (epoch ms); tests run their clock from here. */
export const FIXTURE_TIME = Date.UTC(2026, 10, 22, 12, 0, 0);
export const FIXTURE_SECRET = "fixture-secret-do-not-use-in-production-0001";
