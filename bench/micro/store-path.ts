/**
 * Figure 4's per-request work without the HTTP server, one process per variant so callgrind can
 * count it (the Redis server is another process: only the client side is counted):
 *
 *   npx tsx bench/lib/callgrind.ts bench/micro/store-path.ts 2000 satchel-read
 *   npx tsx bench/micro/store-path.ts satchel-write 10      # plain run
 *   npx tsx bench/micro/store-path.ts satchel-read 20000 cpu  # CPU µs per op after as many warm-up ops
 *
 * Under callgrind only the main thread's measured ops are counted, after the harness's warm-up
 * (bench/lib/steady-section.ts); the `cpu` mode warms up with as many ops and reports process CPU
 * time (user + system) per op, steady state.
 *
 * Variants: `satchel-read` / `satchel-write` (a satchel Redis store session opened over the request's
 * Cookie header, `get` → [visits += 1] → `commit`, what bench/lib/node-satchel.ts does per request);
 * `tiered-read` / `tiered-write` (the same over a tiered store, this process's memory cache in front
 * of that Redis store, so a read is served without a round trip); `bare-read` / `bare-write` (the
 * bare route of bench/servers/store-server.ts: a random id in a cookie, GET [+ SET] of a JSON value).
 * Each op is one request of one seeded session, run one after another. Needs Redis on 127.0.0.1:6379 (BENCH_REDIS_URL); the keys get a unique prefix and are
 * removed at the end.
 */
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { memoryCookieJar, parseCookies } from "../../runtime/cookies/header.ts";
import { createSatchel } from "../../runtime/satchel.ts";
import { createMemoryStore } from "../../runtime/stores/memory.ts";
import { createRedisStore } from "../../runtime/stores/redis.ts";
import { createTieredStore } from "../../runtime/stores/tiered.ts";
import { BENCH_SECRET, type BenchTypes, benchSessions } from "../lib/bench-schema.ts";
import { deleteRedisPrefix } from "../lib/redis-cleanup.ts";
import { steadySection, warmupOps } from "../lib/steady-section.ts";

const [variant = "satchel-read", opsText = "1000", mode = "count"] = process.argv.slice(2);
const ops = Number(opsText);
const timed = mode === "cpu";
let cpuMicros = 0;

/** Runs `op` `ops` times, measured; in `cpu` mode after as many unmeasured ones. */
async function repeat(op: () => Promise<void>): Promise<void> {
  cpuMicros = await steadySection(ops, op, timed ? ops : warmupOps());
}
const redisUrl = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";
const prefix = `satchel-micro-${process.pid}-${randomBytes(4).toString("hex")}:`;
const TTL_SECONDS = 86_400;

/** One satchel request over `cookie`; returns the Set-Cookie headers it wrote. */
async function satchelRequest(
  satchel: ReturnType<typeof createSatchel<BenchTypes>>,
  cookie: string | null,
  write: boolean,
): Promise<string[]> {
  const jar = memoryCookieJar(cookie);
  const sessions = satchel.open(jar);
  const counter = await sessions.get("counter");
  if (write) counter.visits += 1;
  await sessions.commit();
  return jar.setCookieHeaders();
}

async function runSatchel(write: boolean, tiered = false): Promise<void> {
  // A long budget: under valgrind the first connection and commands take seconds.
  const redis = createRedisStore({ url: redisUrl, prefix: `${prefix}satchel:`, timeoutMs: 120_000 });
  // The tiered variants put this process's memory cache in front: a read that hits it makes no round trip.
  const store = tiered ? createTieredStore({ cache: createMemoryStore(), durable: redis }) : redis;
  const satchel = createSatchel<BenchTypes>(benchSessions, { secrets: [BENCH_SECRET], store });
  try {
    // Seed: a fresh session, written once; its cookie is what every request then sends.
    const [setCookie] = await satchelRequest(satchel, null, true);
    const cookie = setCookie?.split(";")[0] ?? "";
    if (!cookie.startsWith("counter=")) throw new Error(`bench: seeding gave no cookie: ${setCookie}`);
    await repeat(async () => {
      const written = await satchelRequest(satchel, cookie, write);
      if (written.length > 0) throw new Error(`bench: a request re-wrote the cookie: ${written.join(" | ")}`);
    });
  } finally {
    await satchel.close();
  }
}

async function runBare(write: boolean): Promise<void> {
  const client = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  const id = randomBytes(32).toString("base64url");
  await client.set(`${prefix}bare:${id}`, JSON.stringify({ visits: 0, items: [] }), "EX", TTL_SECONDS);
  const cookieHeader = `bare=${id}`;
  await repeat(async () => {
    const sid = parseCookies(cookieHeader).get("bare");
    let visits = 0;
    const text = await client.get(`${prefix}bare:${sid}`);
    if (text !== null) visits = (JSON.parse(text) as { visits: number }).visits;
    if (write) {
      visits += 1;
      await client.set(`${prefix}bare:${sid}`, JSON.stringify({ visits, items: [] }), "EX", TTL_SECONDS);
    }
  });
  await client.quit();
}

try {
  switch (variant) {
    case "satchel-read":
    case "satchel-write":
      await runSatchel(variant === "satchel-write");
      break;
    case "tiered-read":
    case "tiered-write":
      await runSatchel(variant === "tiered-write", true);
      break;
    case "bare-read":
    case "bare-write":
      await runBare(variant === "bare-write");
      break;
    default:
      throw new Error(`bench: unknown variant ${variant}`);
  }
} finally {
  await deleteRedisPrefix(redisUrl, prefix);
}
const result: Record<string, unknown> = { variant, ops };
if (timed) result.cpuMicrosPerOp = Math.round((cpuMicros / ops) * 10) / 10;
process.stdout.write(`${JSON.stringify(result)}\n`);
