/**
 * The reference schema: the example app, the tests and the docs all use it.
 * `npm run gen` turns it into `generated/sessions.ts`.
 */
import { defineSessions } from "satchel";
import { z } from "zod";

export default defineSessions(
  {
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
      // 30 days at most: the longest "remember me" the demo's sign-in may choose with $expire().
      expiry: { absolute: "30d", idle: "2h", touchAfter: "5m" },
      cookie: { name: "auth", sameSite: "lax" },
    },
    cart: {
      storage: "store",
      schema: z.object({
        items: z.array(z.object({ sku: z.string(), qty: z.number().int().min(1) })).default([]),
        /** Tipfy's "multiple sessions" tutorial sets `foo` in the cart (`/sessions/multiple`). */
        foo: z.string().optional(),
      }),
      messages: true,
      expiry: { absolute: "30d", idle: "7d", touchAfter: "1h" },
      header: "x-cart-session",
      version: 2,
      migrations: {
        2: (v1: { products: string[] }) => ({ items: v1.products.map((sku) => ({ sku, qty: 1 })) }),
      },
    },
    /**
     * The default session of the seeds' tutorials (Tipfy's secure-cookie default): `/session-foo`,
     * `/session-test` (a cart of product names), `/sessions/quick-start`, `/sessions/flash`,
     * `/messages-test`, `/mixins-test`.
     */
    session: {
      storage: "cookie",
      schema: z.object({
        foo: z.string().optional(),
        baz: z.string().optional(),
        products: z.array(z.string()).optional(),
      }),
      flash: { message: z.string() },
      messages: true,
    },
    /** Tipfy's secure cookie holding a dictionary (`/secure-cookie-test`, `/mixins-test`). */
    my_cookie_name: {
      storage: "cookie",
      schema: z.object({ message: z.string().optional(), foo: z.string().optional() }),
    },
    /** Tipfy's memcache-backed session (`/memcache-session-test`). */
    memcache: {
      storage: "store",
      schema: z.object({ test: z.string().optional() }),
      // Its own store: memcached when SESSION_MEMCACHE_URL is set (`memcached://host:port`), else the
      // embedded file store, whatever SESSION_STORE_URL says for the other store sessions.
      store: process.env.SESSION_MEMCACHE_URL ?? "file:.data/sessions",
    },
    /** TurboGears' file-backed session, saved explicitly (`/tg-session`). */
    tg: {
      storage: "store",
      schema: z.object({ mysuperkey: z.string().optional() }),
    },
    /** Beaker's `use_cookies = False`: the id travels in the `x-session-id` header (`/no-cookie-session`). */
    beaker: {
      storage: "store",
      schema: z.object({ fred: z.number().optional() }),
      header: "x-session-id",
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
  },
  {
    tokens: {
      // The example app's password-reset link, shown on the page (no mail is sent).
      passwordReset: {
        schema: z
          .object({ userId: z.string() })
          .describe("Lets the visitor choose a new password for userId."),
        ttl: "15m",
        singleUse: true,
      },
    },
  },
);
