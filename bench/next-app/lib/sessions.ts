/**
 * What `npm run gen` would generate for bench/lib/bench-schema.ts, written out by hand so the
 * benchmark app does not depend on the generator's output: one satchel runtime with a cookie
 * session (`prefs`) and a Redis store session (`counter`), the codecs the generator's emitter wrote
 * for them (bench/lib/payload-codecs.ts), and its Next.js helpers.
 */
import { createSatchel } from "satchel";
import { createNextSessions } from "satchel/next";
import { createRedisStore } from "satchel/stores/redis";
import { BENCH_SECRET, type BenchTypes, benchSessions } from "../../lib/bench-schema.ts";
import { BENCH_CODECS } from "../../lib/payload-codecs.ts";

export const satchel = createSatchel<BenchTypes>(benchSessions, {
  codecs: BENCH_CODECS,
  secrets: [process.env.SESSION_SECRET ?? BENCH_SECRET],
  store: createRedisStore({
    url: process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379",
    prefix: process.env.BENCH_PREFIX ?? "satchel-bench-next:",
    // `next build` imports route modules; connect on the first command, not at import.
    redisOptions: { lazyConnect: true },
  }),
});

export const { getSession, withRouteSessions } = createNextSessions(satchel);
