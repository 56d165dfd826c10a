/**
 * Figure 4's server, run as its own process so the load generator does not share its event loop.
 * Three ways to keep a per-visitor counter in Redis, each as `/<variant>/read` and `/<variant>/write`
 * plus `/<variant>/seed` (creates a session and returns its cookie):
 *
 * - `bare`: the floor — a cookie with a random id, one GET (read) or GET + SET (write) per request.
 * - `express`: express-session + connect-redis (node-redis client), as their docs set them up.
 * - `satchel`: a satchel store session on its Redis store, via `satchel.open()`.
 * - `tiered`: the same session over a tiered store, this process's memory cache in front of that Redis
 *   store (delete notices heard over Redis pub/sub, as in production): a read that hits the cache
 *   makes no round trip, a write one compare-and-set.
 *
 * `/stats` returns requests and store round trips per variant, so the parent can report round
 * trips per request. Prints `READY <port>` once listening; stops on SIGTERM.
 * Env: BENCH_REDIS_URL (default redis://127.0.0.1:6379), BENCH_PREFIX (unique key prefix).
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { RedisStore as ConnectRedisStore } from "connect-redis";
import session from "express-session";
import { Redis } from "ioredis";
import { createClient } from "redis";
import { parseCookies } from "../../runtime/cookies/header.ts";
import { createSatchel } from "../../runtime/satchel.ts";
import { createMemoryStore } from "../../runtime/stores/memory.ts";
import { createRedisStore, type RedisStore } from "../../runtime/stores/redis.ts";
import { createTieredStore } from "../../runtime/stores/tiered.ts";
import type { SessionStore } from "../../runtime/stores/types.ts";
import { BENCH_SECRET, type BenchTypes, benchSessions } from "../lib/bench-schema.ts";
import { withSatchel } from "../lib/node-satchel.ts";
import { BENCH_CODECS } from "../lib/payload-codecs.ts";
import { deleteRedisPrefix } from "../lib/redis-cleanup.ts";

const redisUrl = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";
const prefix = process.env.BENCH_PREFIX ?? `satchel-bench-${process.pid}:`;
const TTL_SECONDS = 86_400;

const stats = {
  bare: { requests: 0, roundTrips: 0 },
  express: { requests: 0, roundTrips: 0 },
  satchel: { requests: 0, roundTrips: 0 },
  tiered: { requests: 0, roundTrips: 0 },
};

// ---- bare GET/SET ---------------------------------------------------------------------------
const bareClient = new Redis(redisUrl, { lazyConnect: false, maxRetriesPerRequest: 1 });
async function bare(req: IncomingMessage, res: ServerResponse, action: string): Promise<void> {
  const sid = parseCookies(req.headers.cookie ?? null).get("bare");
  let visits = 0;
  if (sid !== undefined) {
    stats.bare.roundTrips++;
    const text = await bareClient.get(`${prefix}bare:${sid}`);
    if (text !== null) visits = (JSON.parse(text) as { visits: number }).visits;
  }
  if (action === "write" || action === "seed") {
    const id = sid ?? randomBytes(32).toString("base64url");
    visits += 1;
    stats.bare.roundTrips++;
    await bareClient.set(`${prefix}bare:${id}`, JSON.stringify({ visits, items: [] }), "EX", TTL_SECONDS);
    if (sid === undefined) {
      res.setHeader("set-cookie", `bare=${id}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${TTL_SECONDS}`);
    }
  }
  res.end(String(visits));
}

// ---- express-session + connect-redis ----------------------------------------------------------
const nodeRedis = createClient({ url: redisUrl });
await nodeRedis.connect();
// Count every command connect-redis sends, without changing what it sends.
const countedClient = new Proxy(nodeRedis, {
  get(target, property, receiver) {
    const value = Reflect.get(target, property, receiver) as unknown;
    if (typeof value !== "function") return value;
    const counted = ["get", "set", "expire", "del", "mGet"].includes(String(property));
    return (...args: unknown[]) => {
      if (counted) stats.express.roundTrips++;
      return (value as (...a: unknown[]) => unknown).apply(target, args);
    };
  },
});
const expressSession = session({
  store: new ConnectRedisStore({ client: countedClient, prefix: `${prefix}express:`, ttl: TTL_SECONDS }),
  secret: BENCH_SECRET,
  resave: false,
  saveUninitialized: false,
  cookie: { secure: false, httpOnly: true, sameSite: "lax", maxAge: TTL_SECONDS * 1000 },
});
declare module "express-session" {
  interface SessionData {
    visits: number;
    items: string[];
  }
}
function express(req: IncomingMessage, res: ServerResponse, action: string): Promise<void> {
  return new Promise((resolve, reject) => {
    // The middleware works on plain node:http (it is connect-style); express itself adds nothing here.
    expressSession(req as never, res as never, (error?: unknown) => {
      if (error) return reject(error);
      const s = (req as unknown as { session: session.Session & Partial<session.SessionData> }).session;
      if (action === "write" || action === "seed") s.visits = (s.visits ?? 0) + 1;
      res.end(String(s.visits ?? 0), () => resolve());
    });
  });
}

// ---- satchel ------------------------------------------------------------------------------------
/**
 * Counts satchel's store calls (one Redis round trip each here: no userField) as the other routes
 * count theirs, with a plain counter: runtime/stores/counting.ts also logs every call, and a log
 * growing by a string per request is heap and GC work the other routes do not pay.
 */
function countCalls(inner: RedisStore): SessionStore & { total(): number } {
  let calls = 0;
  return {
    name: inner.name,
    // Not a round trip per request: the tiered store's delete notices (one subscription per process).
    watchDeletes: (listener) => inner.watchDeletes(listener),
    // The request's store budget goes through, as it reaches the store without this wrapper.
    get(key, budget) {
      calls++;
      return inner.get(key, budget);
    },
    set(key, value, options, budget) {
      calls++;
      return inner.set(key, value, options, budget);
    },
    compareAndSet(key, value, expected, options, budget) {
      calls++;
      return inner.compareAndSet(key, value, expected, options, budget);
    },
    delete(key, budget) {
      calls++;
      return inner.delete(key, budget);
    },
    touch(key, expiresAt, budget) {
      calls++;
      return inner.touch(key, expiresAt, budget);
    },
    close: () => inner.close?.() ?? Promise.resolve(),
    total: () => calls,
  };
}
const satchelStore = countCalls(createRedisStore({ url: redisUrl, prefix: `${prefix}satchel:` }));
const tieredDurable = countCalls(createRedisStore({ url: redisUrl, prefix: `${prefix}tiered:` }));
/** A satchel over `store`, with the codecs `satchel gen` writes for the bench schema. */
const satchelOver = (store: SessionStore) =>
  createSatchel<BenchTypes>(benchSessions, { codecs: BENCH_CODECS, secrets: [BENCH_SECRET], store });
const satchel = satchelOver(satchelStore);
const tiered = satchelOver(createTieredStore({ cache: createMemoryStore(), durable: tieredDurable }));

/** The route of a satchel: read the visit counter, and count the visit on write. */
const satchelRoute =
  (instance: typeof satchel) =>
  async (req: IncomingMessage, res: ServerResponse, action: string): Promise<void> => {
    await withSatchel(instance, req, res, async (sessions) => {
      const counter = await sessions.get("counter");
      if (action === "write" || action === "seed") counter.visits += 1;
      return String(counter.visits);
    });
  };

const routes: Record<string, (req: IncomingMessage, res: ServerResponse, action: string) => Promise<void>> = {
  bare,
  express,
  satchel: satchelRoute(satchel),
  tiered: satchelRoute(tiered),
};

const server = createServer((req, res) => {
  const [, variant = "", action = ""] = (req.url ?? "/").split("?")[0]?.split("/") ?? [];
  if (variant === "stats") {
    // satchel's calls are counted by its store wrapper (a per-request diff would count neighbours' calls).
    stats.satchel.roundTrips = satchelStore.total();
    stats.tiered.roundTrips = tieredDurable.total();
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify(stats));
    return;
  }
  const route = routes[variant];
  if (!route || !["read", "write", "seed"].includes(action)) {
    res.statusCode = 404;
    res.end();
    return;
  }
  if (action === "seed")
    delete req.headers.cookie; // a seed always starts a fresh session
  else stats[variant as keyof typeof stats].requests++;
  route(req, res, action).catch((error: unknown) => {
    console.error(error);
    res.statusCode = 500;
    res.end();
  });
});
// Connections stay open between autocannon requests; no need for a header timeout race.
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  process.stdout.write(`READY ${typeof address === "object" && address ? address.port : 0}\n`);
});

async function shutdown(): Promise<void> {
  server.close();
  server.closeAllConnections();
  // Remove every key this run wrote, then let go of the clients.
  await deleteRedisPrefix(redisUrl, prefix);
  await Promise.allSettled([satchel.close(), tiered.close(), nodeRedis.quit(), bareClient.quit()]);
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown());
process.on("SIGINT", () => void shutdown());
