/**
 * The sessions the HTTP benchmarks use: a store session holding a visit counter and a list (the
 * figure 4 and 5 workloads), and the ~300-byte cookie session of figures 1–2 (figure 3). Secure is off because the
 * load generator speaks plain HTTP on loopback.
 *
 * It is also figure 3's schema file: the bench runs `satchel gen --schema bench/lib/bench-schema.ts`
 * and the Next.js app imports the module that writes (bench/next-app/generated/sessions.ts), as a
 * user's app does. The store and the secret then come from `SESSION_STORE_URL` and `SESSION_SECRET`.
 */
import { z } from "zod";
import { defineSessions } from "../../runtime/define.ts";
import type { SessionHandle } from "../../runtime/types.ts";
import { type SmallSession, smallSchema, smallSession } from "./payloads.ts";

/** Each field of `shape` with its value in `values` as the default. */
function withDefaults<Shape extends Record<string, z.ZodType>>(
  shape: Shape,
  values: Record<string, unknown>,
): { [K in keyof Shape]: z.ZodDefault<Shape[K]> } {
  return Object.fromEntries(
    Object.entries(shape).map(([key, schema]) => [key, schema.default(values[key] as never)]),
  ) as never;
}

export const benchSessions = defineSessions({
  counter: {
    storage: "store",
    schema: z.object({ visits: z.number().int().default(0), items: z.array(z.string()).default([]) }),
    // A rolling touch never falls inside a benchmark run: reads stay reads.
    expiry: { absolute: "1d", idle: "12h", touchAfter: "1h" },
    cookie: { name: "counter", secure: false },
  },
  prefs: {
    storage: "cookie",
    // The ~300-byte signed-in session of figures 1–2 plus a counter: a fresh session starts from
    // those values, so every seeded cookie carries the same ~300 bytes.
    schema: z.object({
      visits: z.number().int().default(0),
      ...withDefaults(smallSchema.shape, smallSession),
    }),
    expiry: { absolute: "1d", idle: "12h", touchAfter: "1h" },
    cookie: { name: "prefs", secure: false },
  },
});

/** The schema file's default export, which `satchel gen` reads. */
export default benchSessions;

export interface CounterData {
  visits: number;
  items: string[];
}
export type PrefsData = { visits: number } & SmallSession;
// A type alias, not an interface: createSatchel wants a Record<string, object>.
export type BenchTypes = {
  counter: SessionHandle<CounterData>;
  prefs: SessionHandle<PrefsData>;
};

/** 48 characters: long enough for satchel, iron-session and express-session alike. */
export const BENCH_SECRET = "satchel-bench-secret-0123456789-abcdefghijklmnop";
