/**
 * Sessions whose fields take any superjson value, so property tests can push random data through
 * the real codec, seal, cookies and store. `blob` is a cookie session, `vault` a store session.
 */
import fc from "fast-check";
import { z } from "zod";
import { defineSessions } from "../define.ts";
import type { SessionHandle } from "../types.ts";

const schema = z.object({ value: z.unknown().optional(), note: z.string().default("") });

export const fuzzConfig = defineSessions({
  blob: {
    storage: "cookie",
    schema,
    flash: { said: z.string() },
    expiry: { absolute: "7d", idle: "2h", touchAfter: "5m" },
    cookie: { maxChunks: 8, secure: true },
  },
  vault: {
    storage: "store",
    schema,
    flash: { said: z.string() },
    expiry: { absolute: "30d", idle: "7d", touchAfter: "1h" },
    header: "x-vault-session",
  },
});

interface FuzzData {
  value?: unknown;
  note: string;
}
export interface FuzzTypes {
  blob: SessionHandle<FuzzData, { said: string }>;
  vault: SessionHandle<FuzzData, { said: string }>;
}

/**
 * Keys superjson refuses to serialize anywhere in the data (its prototype-pollution guard); they are
 * tested on their own in reserved-keys.test.ts, so the random data here leaves them out.
 */
export const RESERVED_KEYS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

/**
 * Random session values: every type superjson promises to keep (Date, Map, Set, BigInt, undefined,
 * NaN, ±Infinity, -0), nested a few levels, with keys that stress path escaping. Sized so a cookie
 * session fits in 8 chunks.
 */
export const sessionValue: fc.Arbitrary<unknown> = fc.letrec<{ leaf: unknown; tree: unknown }>((tie) => ({
  leaf: fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.string({ unit: "grapheme", maxLength: 10 }),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.date({ noInvalidDate: true }),
    fc.bigInt(),
  ),
  tree: fc.oneof(
    { depthSize: "small", maxDepth: 4 },
    tie("leaf"),
    fc.array(tie("tree"), { maxLength: 4 }),
    fc.dictionary(
      fc
        .oneof(fc.string({ maxLength: 8 }), fc.constantFrom("a.b", "x\\y", "7", "", "toString"))
        .filter((key) => !RESERVED_KEYS.has(key)),
      tie("tree"),
      { maxKeys: 4 },
    ),
    fc.array(tie("leaf"), { maxLength: 4 }).map((items) => new Set(items)),
    fc
      .array(fc.tuple(fc.string({ maxLength: 6 }), tie("tree")), { maxLength: 3 })
      .map((pairs) => new Map(pairs)),
  ),
})).tree;
