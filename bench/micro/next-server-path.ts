/**
 * Figure 3's routes counted inside ONE process that runs the built bench/next-app as a production
 * Next server (`next({ dev: false })`, what `next start` runs) and a keep-alive HTTP client on
 * loopback, so callgrind counts what a request costs the server (plus the client's constant share).
 * Build the app first (`satchel gen` + `next build`, as figure 3 does before it loads the server):
 *
 *   npx tsx generator/cli.ts gen --schema bench/lib/bench-schema.ts --out bench/next-app/generated/sessions.ts
 *   NODE_ENV=production npx next build bench/next-app && rm -f bench/next-app/next-env.d.ts
 *   npx tsx bench/lib/callgrind.ts --warmup 10000 --keep /tmp/cg bench/micro/next-server-path.ts 300 satchel-cookie/read
 *   npx tsx bench/lib/callgrind.ts --warmup 500 --keep /tmp/cg bench/micro/next-server-path.ts 300 satchel-cookie/read all
 *   npx tsx bench/micro/next-server-path.ts satchel-cookie/write 10      # plain run: checks the routes
 *   BENCH_WARMUP_OPS=1000 node --trace-gc …/next-server-path.mjs none/read 5000   # (bundled) GC per request
 *
 * Read a count with its garbage collection split out (`--keep`, then `callgrind_annotate` on the main
 * thread's file: V8's `MarkCompactCollector`/`Marking*`/`Sweeper` functions): Next's server allocates
 * so much per request that under callgrind's node flags (`--predictable-gc-schedule`) it runs a
 * mark-compact of its ~36 MB heap about every 400 requests, ~0.2G instructions each. 300 requests
 * hold one of them or none, which moves a count by up to 0.7M instructions per request either way
 * (that, and the route's code still being optimized after a short warm-up, was the "0.9M more after
 * a warm-up on every route"). Counts of 3,000 requests stalled here (the process waited in epoll with
 * no connection open; not understood), so compare counts without the mark-compacts, and the
 * scavenges per request from `--trace-gc` for what a route allocates.
 *
 * Warm up 10,000 requests before counting a route (~8 minutes here): `--single-threaded` compiles on
 * the main thread, and TurboFan (`v8::internal::compiler::*`) was still 3.3M of none/read's 7.3M
 * instructions per request after a 1,000-request warm-up, 0.11M after 3,000, 6k after 10,000 (then
 * none/read 2.78M, satchel-cookie/read 2.87-2.89M, each without a mark-compact). A mark-compact's
 * cost is more than its `MarkCompactCollector`/`Marking*`/`Sweeper` functions' own: take the
 * inclusive counts of `IncrementalMarking::Observer::Step`, `IncrementalMarkingJob::Task::RunInternal`
 * and `Heap::StartIncrementalMarking` (the functions' own costs miss ~0.2M per request of it).
 *
 * The variant is a route of the app (`none/read`, `satchel-cookie/read`, `satchel-cookie/write`,
 * `iron/read`, `satchel-redis/read`, `diag/header-cookie`, ...), sent with its session's seeded cookie
 * (`none/*` and the read diagnostics with satchel's, the write diagnostics with none, as figure 3
 * sends them; `none/*` without one when the fourth argument is `bare`). `diag/set-cookie-long` and
 * `diag/set-cookie-expires` (not in figure 3) answer a Set-Cookie exactly as long as satchel's, without
 * and with an `Expires` date (a comma): sent satchel's cookie like satchel-cookie/write, or none when
 * `bare`. With `unseeded` instead of `bare`, no session route is seeded either: no satchel wrapper
 * ever runs in the process, so its AsyncLocalStorage is never in use (compare `none/write bare`). The warm-up
 * (`BENCH_WARMUP_OPS`, set by callgrind.ts) is either on the measured route alone (`own`, the
 * default), or `all`: that many rounds over EVERY route of the app, reads and writes (as figure 3's
 * interleaved load reaches the measured route after the others ran in the same server), or over a
 * comma-separated list of routes (to find which of them leaves the measured one slower), and
 * then as many requests to the measured route alone (so it is as warm as after an `own` warm-up). Each op is one request on one
 * connection, answered and read in full; a Set-Cookie replaces the cookie sent next. A plain run
 * prints the CPU microseconds per measured request too.
 *
 * Needs Redis on 127.0.0.1:6379 (BENCH_REDIS_URL) for the store routes; the keys get a unique
 * prefix and are removed at the end.
 */
import { randomBytes } from "node:crypto";
import { Agent, createServer, request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import next from "next/dist/server/next.js";
import { BENCH_SECRET } from "../lib/bench-schema.ts";
import { deleteRedisPrefix } from "../lib/redis-cleanup.ts";
import { steadySection, warmupOps } from "../lib/steady-section.ts";

const [variant = "satchel-cookie/read", opsText = "1000", mode = "own", cookieMode = "cookie"] =
  process.argv.slice(2);
const ops = Number(opsText);
/** No session route runs at all, so none of their AsyncLocalStorages is ever in use. */
const unseeded = cookieMode === "unseeded";

const APP = fileURLToPath(new URL("../next-app", import.meta.url));
const REDIS_URL = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";
const prefix = `nsp-${randomBytes(4).toString("hex")}:`;
const store = new URL(REDIS_URL);
store.searchParams.set("prefix", prefix);
// What figure 3's `next start` gets; the generated module reads them on first use.
Object.assign(process.env, {
  NODE_ENV: "production",
  NEXT_TELEMETRY_DISABLED: "1",
  SESSION_SECRET: BENCH_SECRET,
  SESSION_STORE_URL: store.toString(),
});

/** Every route of the app; the session ones are seeded with a write first. */
const SESSION_ROUTES = ["satchel-cookie", "iron", "satchel-redis"] as const;
const ROUTES = [
  ...["satchel-cookie", "none", "iron", "satchel-redis"].flatMap((path) => [`${path}/read`, `${path}/write`]),
  "diag/read-cookies",
  "diag/request-cookies",
  "diag/header-cookie",
  "diag/next-cookie",
  "diag/set-cookie-long",
  "diag/set-cookie-expires",
];
if (!ROUTES.includes(variant))
  throw new Error(`bench: unknown route ${variant}; one of ${ROUTES.join(", ")}`);
/** The routes a round of the warm-up visits: none but the measured one (`own`), all, or a list. */
const warmRoutes = mode === "own" ? [] : mode === "all" ? ROUTES : mode.split(",");
for (const path of warmRoutes)
  if (!ROUTES.includes(path))
    throw new Error(`bench: unknown warm-up route ${path}; one of ${ROUTES.join(", ")}`);

const app = next({ dev: false, dir: APP, hostname: "127.0.0.1", port: 0 });
await app.prepare();
const handle = app.getRequestHandler();
const server = createServer((req, res) => void handle(req, res));
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const { port } = server.address() as AddressInfo;
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

interface Answer {
  status: number;
  setCookie: string | undefined;
}

/** One GET of `path` with `cookie`, its body read in full. */
function get(path: string, cookie: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: "127.0.0.1", port, path: `/${path}`, agent, headers: cookie ? { cookie } : {} },
      (res) => {
        res.on("data", () => {});
        res.on("end", () => {
          const set = res.headers["set-cookie"]?.[0];
          resolve({ status: res.statusCode ?? 0, setCookie: set?.slice(0, set.indexOf(";")) });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end();
  });
}

/** Figure 3 sends these no cookie: they show what writing one costs Next. */
const WRITE_DIAGNOSTICS = ["diag/header-cookie", "diag/next-cookie"];
/** Set-Cookie lines as long as satchel's: sent satchel's cookie, as its write route is, unless `bare`. */
const SIZED_DIAGNOSTICS = ["diag/set-cookie-long", "diag/set-cookie-expires"];
/** Each session route's cookie (`name=value`), replaced by every Set-Cookie its routes answer. */
const cookies = new Map<string, string>();
const cookieFor = (path: string): string => {
  const session = path.slice(0, path.indexOf("/"));
  const bare = session === "none" || SIZED_DIAGNOSTICS.includes(path);
  if (WRITE_DIAGNOSTICS.includes(path) || (bare && cookieMode !== "cookie")) return "";
  if (session === "none" || session === "diag") return cookies.get("satchel-cookie") ?? "";
  return cookies.get(session) ?? "";
};

/** One request of route `path`; a session route's Set-Cookie is what it sends next. */
async function hit(path: string): Promise<void> {
  const answer = await get(path, cookieFor(path));
  if (answer.status !== 200) throw new Error(`bench: ${path} answered ${answer.status}`);
  const session = path.slice(0, path.indexOf("/"));
  if (answer.setCookie !== undefined && cookies.has(session)) cookies.set(session, answer.setCookie);
}

try {
  for (const session of unseeded ? [] : SESSION_ROUTES) {
    const answer = await get(`${session}/write`, "");
    if (answer.setCookie === undefined) throw new Error(`bench: seeding ${session} wrote no cookie`);
    cookies.set(session, answer.setCookie);
  }
  const warmup = warmupOps();
  if (warmRoutes.length > 0) {
    for (let round = 0; round < warmup; round++) for (const path of warmRoutes) await hit(path);
  }
  for (let i = 0; i < warmup; i++) await hit(variant);
  const cpuMicros = await steadySection(ops, () => hit(variant), 0);
  const sent = cookieFor(variant);
  const cpuPerOp = Math.round(cpuMicros / ops);
  process.stdout.write(`${JSON.stringify({ variant, ops, mode, cookieBytes: sent.length, cpuPerOp })}\n`);
} finally {
  agent.destroy();
  server.close();
  await app.close();
  await deleteRedisPrefix(REDIS_URL, prefix).catch(() => 0);
}
// The app's Redis client keeps the event loop alive.
process.exit(0);
