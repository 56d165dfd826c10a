/**
 * Figure 5: lost updates. 100 concurrent "append one item" requests carrying the same session
 * cookie, then count what the session kept. satchel appends with `update()` (its documented way to
 * change a store session under concurrency) on each store; express-session + connect-redis appends
 * with `req.session.items.push()`, the way its docs write it. Each side runs on an in-process
 * node:http server; requests go over loopback with fetch.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createConnection } from "node:net";
import { join } from "node:path";
import { RedisStore as ConnectRedisStore } from "connect-redis";
import session from "express-session";
import { createClient } from "redis";
import { SessionConflictError } from "../../runtime/errors.ts";
import { createSatchel } from "../../runtime/satchel.ts";
import { createFileStore } from "../../runtime/stores/file.ts";
import { createMemcachedStore } from "../../runtime/stores/memcached.ts";
import { createMemoryStore } from "../../runtime/stores/memory.ts";
import { createPostgresStore } from "../../runtime/stores/postgres.ts";
import { createRedisStore } from "../../runtime/stores/redis.ts";
import type { SessionStore } from "../../runtime/stores/types.ts";
import { BENCH_SECRET, type BenchTypes, benchSessions } from "../lib/bench-schema.ts";
import type { BenchContext } from "../lib/context.ts";
import { cookieFrom } from "../lib/load.ts";
import { withSatchel } from "../lib/node-satchel.ts";
import { BENCH_CODECS } from "../lib/payload-codecs.ts";
import { deleteRedisPrefix } from "../lib/redis-cleanup.ts";
import type { RowInput } from "../lib/result.ts";
import { summarize } from "../lib/stats.ts";

const REDIS_URL = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";
const POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const EXPRESS = "express-session + connect-redis";
const CONCURRENT = 100;
const BARRIER_MS = 5000;

type Handler = (req: IncomingMessage, res: ServerResponse, action: string, item: string) => Promise<void>;

/**
 * Holds every append until all of them have arrived (or `BARRIER_MS` passed), then lets them go
 * at once: "100 concurrent" then means 100 requests in flight together on the server, not
 * whatever overlap the client's connection pool happens to produce.
 */
function barrier(count: number): () => Promise<void> {
  let arrived = 0;
  let release: () => void = () => {};
  const open = new Promise<void>((resolve) => {
    release = resolve;
  });
  let timer: NodeJS.Timeout | undefined;
  return () => {
    arrived += 1;
    timer ??= setTimeout(release, BARRIER_MS);
    if (arrived >= count) {
      clearTimeout(timer);
      release();
    }
    return open;
  };
}

async function listen(handler: Handler): Promise<{ base: string; server: Server }> {
  const arrive = barrier(CONCURRENT);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const action = url.pathname.slice(1);
    const gate = action === "append" ? arrive() : Promise.resolve();
    gate
      .then(() => handler(req, res, action, url.searchParams.get("item") ?? ""))
      .catch((error: unknown) => {
        res.statusCode = error instanceof SessionConflictError ? 409 : 500;
        res.end(error instanceof Error ? error.message : String(error));
      });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  return { base: `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`, server };
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** Seeds a session, fires the concurrent appends, reads it back. */
async function trial(handler: Handler): Promise<{
  kept: number;
  missing: number;
  silent: number;
  failed: number;
  statuses: Record<number, number>;
  firstError?: string;
}> {
  const { base, server } = await listen(handler);
  try {
    const cookie = cookieFrom(await fetch(`${base}/seed`));
    const responses = await Promise.all(
      Array.from({ length: CONCURRENT }, (_, i) =>
        fetch(`${base}/append?item=i${i}`, { headers: { cookie } }).then(async (r) => ({
          status: r.status,
          body: await r.text(),
        })),
      ),
    );
    const statuses: Record<number, number> = {};
    for (const { status } of responses) statuses[status] = (statuses[status] ?? 0) + 1;
    const firstError = responses.find((r) => r.status !== 200)?.body;
    const items = JSON.parse(await (await fetch(`${base}/list`, { headers: { cookie } })).text()) as string[];
    const kept = new Set(items.filter((item) => /^i\d+$/.test(item))).size;
    const failed = responses.filter((r) => r.status !== 200).length;
    // Missing: every append not in the session, whether the request was refused with an error
    // (the client knows) or acknowledged with 200 and then overwritten (silent: the classic lost update).
    const result = { kept, missing: CONCURRENT - kept, silent: CONCURRENT - failed - kept, failed, statuses };
    return firstError === undefined ? result : { ...result, firstError: firstError.slice(0, 200) };
  } finally {
    await close(server);
  }
}

/**
 * satchel's side: append with `update()` (the documented way under concurrency) or, for contrast,
 * with a plain assignment saved at the end of the request. The store is the caller's to close.
 */
function satchelHandler(store: SessionStore, mode: "update" | "assign"): Handler {
  const satchel = createSatchel<BenchTypes>(benchSessions, {
    codecs: BENCH_CODECS,
    secrets: [BENCH_SECRET],
    store,
  });
  return (req, res, action, item) =>
    withSatchel(satchel, req, res, async (sessions) => {
      const counter = await sessions.get("counter");
      if (action === "seed") counter.visits = 1;
      else if (action === "append" && mode === "update") {
        await counter.update((data) => {
          data.items.push(item);
          return data;
        });
      } else if (action === "append") counter.items = [...counter.items, item];
      return action === "list" ? JSON.stringify(counter.items) : "ok";
    });
}

/** The peer's side: express-session + connect-redis, appending the way its docs write it. */
function expressHandler(prefix: string): { handler: Handler; close(): Promise<void> } {
  const client = createClient({ url: REDIS_URL });
  const ready = client.connect();
  const middleware = session({
    store: new ConnectRedisStore({ client, prefix }),
    secret: BENCH_SECRET,
    resave: false,
    saveUninitialized: false,
    cookie: { secure: false },
  });
  return {
    handler: async (req, res, action, item) => {
      await ready;
      await new Promise<void>((resolve, reject) =>
        middleware(req as never, res as never, (error?: unknown) => {
          if (error) return reject(error);
          const s = (req as unknown as { session: { items?: string[] } }).session;
          if (action === "seed") s.items = [];
          else if (action === "append") {
            s.items = s.items ?? [];
            s.items.push(item);
          }
          res.end(action === "list" ? JSON.stringify(s.items ?? []) : "ok", () => resolve());
        }),
      );
    },
    async close() {
      await ready;
      let cursor = "0";
      do {
        const reply = await client.scan(cursor, { MATCH: `${prefix}*`, COUNT: 1000 });
        if (reply.keys.length > 0) await client.del(reply.keys);
        cursor = String(reply.cursor);
      } while (cursor !== "0");
      await client.quit();
    },
  };
}

function reachable(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = createConnection({ host: hostname, port: Number(port) });
    socket.setTimeout(1000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** A memcached to test against: BENCH_MEMCACHED_URL / 127.0.0.1:11211 if up, else a private one. */
async function memcachedUrl(): Promise<{ url: string; stop(): Promise<void> } | string> {
  const shared = process.env.BENCH_MEMCACHED_URL ?? "memcached://127.0.0.1:11211";
  if (await reachable(shared.replace("memcached://", "tcp://"))) return { url: shared, stop: async () => {} };
  try {
    const { startMemcached } = await import("../../runtime/stores/test-support/servers.ts");
    const started = await startMemcached();
    return { url: started.url, stop: started.cleanup };
  } catch (error) {
    return `no memcached reachable at ${shared} and none could be started (${error instanceof Error ? error.message : String(error)})`;
  }
}

interface StoreCase {
  name: string;
  /** The store, and how to remove what the run wrote and close it; or why it cannot run here. */
  open(): Promise<{ store: SessionStore; cleanup(): Promise<void> } | string>;
}

export async function lostUpdatesFigure(ctx: BenchContext): Promise<RowInput[]> {
  const repeats = ctx.quick ? 1 : 3;
  const prefix = `${ctx.runId}:fig5:`;
  const table = `bench_${ctx.runId.replace(/[^a-z0-9]/gi, "_")}`.slice(0, 40);
  const cases: StoreCase[] = [
    {
      name: "memory",
      open: async () => {
        const store = createMemoryStore();
        return { store, cleanup: async () => store.close?.() };
      },
    },
    {
      name: "file",
      open: async () => {
        // The directory is inside the run's scratch directory, which the harness removes.
        const store = createFileStore({ dir: join(ctx.tmpDir, "file-store") });
        return { store, cleanup: () => store.close() };
      },
    },
    {
      name: "redis",
      open: async () => {
        if (!(await reachable(REDIS_URL))) return `no Redis at ${REDIS_URL}`;
        const store = createRedisStore({ url: REDIS_URL, prefix: `${prefix}satchel:` });
        return {
          store,
          cleanup: async () => {
            await store.close();
            await deleteRedisPrefix(REDIS_URL, `${prefix}satchel:`);
          },
        };
      },
    },
    {
      name: "postgres",
      open: async () => {
        if (!(await reachable(POSTGRES_URL))) return `no PostgreSQL at ${POSTGRES_URL}`;
        const store = createPostgresStore({ url: POSTGRES_URL, table, sweepIntervalMs: 0 });
        return {
          store,
          cleanup: async () => {
            await store.pool.query(`DROP TABLE IF EXISTS "${table}"`);
            await store.close();
          },
        };
      },
    },
    {
      name: "memcached",
      open: async () => {
        const server = await memcachedUrl();
        if (typeof server === "string") return server;
        const store = createMemcachedStore({ url: server.url, prefix: `${prefix}satchel:` });
        // memcached cannot list keys: on a shared server the run's records expire with their TTL (1 day).
        return {
          store,
          cleanup: async () => {
            await store.close();
            await server.stop();
          },
        };
      },
    },
  ];

  // The peer, measured once for every row.
  const peerRuns: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const express = expressHandler(`${prefix}express:${r}:`);
    try {
      peerRuns.push((await trial(express.handler)).missing);
    } finally {
      await express.close();
    }
  }
  ctx.log(`  ${EXPRESS}: missing ${peerRuns.join(", ")} of ${CONCURRENT}`);
  const peer = summarize(peerRuns);

  const rows: RowInput[] = [];
  for (const c of cases) {
    const row: RowInput = {
      id: `lost-updates-${c.name}`,
      figure: 5,
      description: `${CONCURRENT} concurrent appends to one session, ${c.name} store`,
      unit: "appends missing",
      higherIsBetter: false,
      satchel: null,
      peers: { [EXPRESS]: peer },
      reference: null,
      target: "0 lost (refused requests count as lost)",
      checks: [{ kind: "value", op: "==", threshold: 0 }],
      notes: [
        `the server holds each append until all ${CONCURRENT} have arrived, then releases them together, so they truly overlap`,
      ],
    };
    const opened = await c
      .open()
      .catch((error: unknown) => (error instanceof Error ? error.message : String(error)));
    if (typeof opened === "string") {
      row.skipped = opened;
      rows.push(row);
      continue;
    }
    try {
      const runs: number[] = [];
      const details: string[] = [];
      for (let r = 0; r < repeats; r++) {
        const result = await trial(satchelHandler(opened.store, "update"));
        runs.push(result.missing);
        details.push(
          `${result.missing} (${result.silent} silent, ${result.failed} refused${result.firstError ? `: "${result.firstError}"` : ""})`,
        );
      }
      row.satchel = summarize(runs);
      if (details.some((d) => d.includes("gave up after"))) {
        row.notes?.push(
          "why: update() retries optimistically (reload, re-run, compare-and-set); on this store each write is slow enough " +
            "that 100 writers on one key exhaust the retry budget. What would close it: jittered backoff between retries, " +
            "or holding the store's per-key lock across update()'s read-modify-write",
        );
      }
      row.notes?.push(`satchel update(), appends missing per run: ${details.join("; ")}`);
      // The naive way for contrast: read, assign, commit at the end of the request.
      const naive = await trial(satchelHandler(opened.store, "assign"));
      row.notes?.push(
        `for contrast, plain assignment (counter.items = [...]) + commit instead of update(): kept ${naive.kept}, silently lost ${naive.silent}, refused ${naive.failed} (${Object.entries(
          naive.statuses,
        )
          .map(([status, n]) => `${n}× ${status}`)
          .join(", ")})`,
      );
      ctx.log(
        `  satchel/${c.name}: missing ${runs.join(", ")}; plain assignment lost ${naive.silent}, refused ${naive.failed}`,
      );
    } finally {
      await opened
        .cleanup()
        .catch((error: unknown) => ctx.log(`  cleanup of ${c.name} failed: ${String(error)}`));
    }
    rows.push(row);
  }
  return rows;
}
