/**
 * Compile-time test of definitions (checked by `npm run typecheck`, never run): a typo is already a
 * type error in a TypeScript schema file; `defineSessions()` refuses it at run time as well (for
 * JavaScript schema files, spreads and casts).
 */
import type { Redis } from "ioredis";
import type { createClient } from "redis";
import { z } from "zod";
import { defineSessions } from "./define.ts";
import { expressSession, ironSession } from "./import/index.ts";

const schema = z.object({ n: z.number().default(0) });

export const typos = () => [
  // @ts-expect-error "absolut" is not an expiry option
  defineSessions({ a: { storage: "cookie", schema, expiry: { absolut: "7d" } } }),
  // @ts-expect-error "storag" is not a session key
  defineSessions({ a: { storag: "cookie", schema } }),
  // @ts-expect-error "samesite" is not a cookie option (sameSite is)
  defineSessions({ a: { storage: "cookie", schema, cookie: { samesite: "lax" } } }),
];

export const accepted = defineSessions({
  a: { storage: "cookie", schema, cookie: { persistent: false } },
  b: { storage: "store", schema, store: "memory:" },
});

const auth = z.object({ userId: z.string().nullable().default(null), roles: z.array(z.string()) });
const password = "an-iron-session-password-of-32+chars";
interface OldIron {
  user?: { id: string; admin?: boolean };
}

/** `map` must return the session schema's input: defaults may be left out, required fields not. */
export const imports = [
  defineSessions({
    auth: {
      storage: "cookie",
      schema: auth,
      importFrom: ironSession({
        cookieName: "old",
        password,
        map: (old: OldIron) => ({ userId: old.user?.id ?? null, roles: old.user?.admin ? ["admin"] : [] }),
      }),
    },
    cart: {
      storage: "store",
      schema: auth,
      importFrom: expressSession({
        secret: "s",
        store: "redis://127.0.0.1:6379",
        map: async () => ({ roles: [] }),
      }),
    },
  }),
  defineSessions({
    auth: {
      storage: "cookie",
      schema: auth,
      // @ts-expect-error roles is required by the schema and map leaves it out
      importFrom: ironSession({ cookieName: "old", password, map: () => ({ userId: "u1" }) }),
    },
  }),
  defineSessions({
    auth: {
      storage: "store",
      schema: auth,
      // @ts-expect-error userId is a string or null in the schema, not a number
      importFrom: expressSession({ secret: "s", store: "redis://x", map: () => ({ userId: 1, roles: [] }) }),
    },
  }),
  // @ts-expect-error importFrom takes an importer from satchel/import, not its options
  defineSessions({ auth: { storage: "cookie", schema: auth, importFrom: { cookieName: "old", password } } }),
];

/** The clients express-session's stores use fit `store` as they are. */
export const clients = (ioredis: Redis, nodeRedis: ReturnType<typeof createClient>) => [
  expressSession({ secret: "s", store: ioredis, deleteOld: true, map: () => ({}) }),
  expressSession({ secret: "s", store: nodeRedis, deleteOld: true, map: () => ({}) }),
];
