/**
 * The sessions the HTTP benchmarks use: a store session holding a visit counter and a list (the
 * figure 4 and 5 workloads), and a small cookie session (figure 3). Secure is off because the
 * load generator speaks plain HTTP on loopback.
 */
import { z } from "zod";
import { defineSessions } from "../../runtime/define.ts";
import type { SessionHandle } from "../../runtime/types.ts";

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
    schema: z.object({ visits: z.number().int().default(0), userId: z.string().nullable().default(null) }),
    expiry: { absolute: "1d", idle: "12h", touchAfter: "1h" },
    cookie: { name: "prefs", secure: false },
  },
});

export interface CounterData {
  visits: number;
  items: string[];
}
export interface PrefsData {
  visits: number;
  userId: string | null;
}
// A type alias, not an interface: createSatchel wants a Record<string, object>.
export type BenchTypes = {
  counter: SessionHandle<CounterData>;
  prefs: SessionHandle<PrefsData>;
};

/** 48 characters: long enough for satchel, iron-session and express-session alike. */
export const BENCH_SECRET = "satchel-bench-secret-0123456789-abcdefghijklmnop";
