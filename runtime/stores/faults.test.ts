/**
 * Fault injection through whole requests (Fetch adapter → session core → store), on private Redis,
 * PostgreSQL and memcached servers on spare ports (never the shared 6379/5432): the server stopped
 * mid-request, paused past the timeout, restarted; connections dropped by the server
 * (CLIENT KILL, pg_terminate_backend). What a user must see:
 * - the typed SessionStoreUnavailableError (the app maps it to 503) within the timeout, never a hang;
 * - a request that only reads a cookie session keeps working while the store is down;
 * - no partial records: every record decodes, holds each item at most once, and holds every item
 *   whose request succeeded (nothing lost) once the server is back.
 * The store-level scenario (every operation, timings) is in test-support/outage.ts; this file checks
 * the same faults one level up, as an app sees them.
 */
import { randomBytes } from "node:crypto";
import { rename, rm, writeFile } from "node:fs/promises";
import { Redis } from "ioredis";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeEnvelope } from "../codec/envelope.ts";
import { SessionStoreUnavailableError } from "../errors.ts";
import { createSatchel } from "../satchel.ts";
import { CookieClient, SECRET_A } from "../test-support/harness.ts";
import { type TestTypes, testConfig } from "../test-support/schema.ts";
import { createCountingStore } from "./counting.ts";
import { createFileStore } from "./file.ts";
import { createMemcachedStore } from "./memcached.ts";
import { createPostgresStore } from "./postgres.ts";
import { createRedisStore } from "./redis.ts";
import { eventually } from "./test-support/outage.ts";
import {
  type ManagedServer,
  startMemcached,
  startPostgres,
  startRedis,
  tempDir,
} from "./test-support/servers.ts";
import type { SessionStore } from "./types.ts";

const TIMEOUT_MS = 600;
const report = (line: string) => console.info(`[measure] ${line}`);

interface Target {
  server: ManagedServer;
  url: string;
  cleanup(): Promise<void>;
}

interface Fault {
  label: string;
  start(): Promise<Target>;
  store(url: string): SessionStore;
  /** Data survives a restart (memcached keeps it in memory only, by design). */
  durable: boolean;
  /** Make the server drop every client connection except the admin's own. */
  dropConnections?(url: string): Promise<number>;
}

/**
 * The app under test: `/auth` reads (GET) or writes (POST) the cookie session only; `/cart` reads the
 * store session; `/add?sku=` appends to it with update(fn). Store outages become 503, as the docs
 * tell apps to do; anything else escapes and fails the test.
 */
function makeApp(store: SessionStore) {
  const counting = createCountingStore(store);
  const satchel = createSatchel<TestTypes>(testConfig, { secrets: [SECRET_A], store: counting });
  const inner = satchel.handle(async (request, sessions) => {
    const url = new URL(request.url);
    if (url.pathname === "/auth") {
      const auth = await sessions.get("auth");
      if (request.method === "POST") auth.userId = url.searchParams.get("user");
      return Response.json({ userId: auth.userId });
    }
    const cart = await sessions.get("cart");
    if (url.pathname === "/add") {
      const sku = url.searchParams.get("sku") as string;
      await cart.update((data) => {
        data.items.push({ sku, qty: 1 });
        return data;
      });
    }
    return Response.json({ skus: cart.items.map((item) => item.sku) });
  });
  const handler = async (request: Request): Promise<Response> => {
    try {
      return await inner(request);
    } catch (error) {
      if (error instanceof SessionStoreUnavailableError) return new Response(error.message, { status: 503 });
      throw error;
    }
  };
  return { satchel, handler, counting };
}

/** Timed request; returns status and elapsed ms. */
async function timed(client: CookieClient, path: string, init?: RequestInit) {
  const started = performance.now();
  const response = await client.fetch(path, init);
  const body =
    response.status === 200 ? ((await response.json()) as Record<string, unknown>) : await response.text();
  return { status: response.status, body, ms: performance.now() - started };
}

/** The cart's raw record, decoded: proves it is whole, not half-written. */
async function rawSkus(
  counting: ReturnType<typeof makeApp>["counting"],
  store: SessionStore,
): Promise<string[] | null> {
  // The session's current key: the last one written (a restarted memcached gave it a new id).
  const key = counting
    .log()
    .filter((entry) => entry.startsWith("compareAndSet cart:"))
    .map((entry) => entry.split(" ")[1] as string)
    .at(-1);
  if (key === undefined) return null;
  const record = await store.get(key);
  if (record === null) return null;
  const envelope = decodeEnvelope(record.value);
  const data = envelope.data as { items: { sku: string; qty: number }[] };
  for (const item of data.items) expect(item).toEqual({ sku: expect.any(String), qty: 1 });
  return data.items.map((item) => item.sku);
}

function expectNoDuplicates(skus: string[]) {
  expect(new Set(skus).size).toBe(skus.length);
}

const run = randomBytes(3).toString("hex");

const faults: Fault[] = [
  {
    label: "redis",
    start: () => startRedis(),
    store: (url) => createRedisStore({ url, timeoutMs: TIMEOUT_MS, prefix: `faults-${run}:` }),
    durable: true,
    async dropConnections(url) {
      const admin = new Redis(url, { maxRetriesPerRequest: 1 });
      try {
        return Number(await admin.call("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"));
      } finally {
        admin.disconnect();
      }
    },
  },
  {
    label: "postgres",
    start: () => startPostgres(),
    store: (url) =>
      createPostgresStore({ url, timeoutMs: TIMEOUT_MS, sweepIntervalMs: 0, table: `faults_${run}` }),
    durable: true,
    async dropConnections(url) {
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      try {
        const result = await admin.query(
          `SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity
           WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'`,
        );
        return result.rows.length;
      } finally {
        await admin.end();
      }
    },
  },
  {
    label: "memcached",
    start: () => startMemcached(),
    store: (url) => createMemcachedStore({ url, timeoutMs: TIMEOUT_MS, prefix: `faults-${run}:` }),
    durable: false,
  },
];

describe.each(faults)("$label: faults seen through requests", (fault) => {
  let target: Target;
  let store: SessionStore;
  let app: ReturnType<typeof makeApp>;
  let shopper: CookieClient;
  /** Skus whose /add answered 200: they must never be lost (on a durable store). */
  const confirmed: string[] = [];
  let sequence = 0;
  const add = async (client = shopper) => {
    const sku = `${fault.label}-${sequence++}`;
    const result = await timed(client, `/add?sku=${sku}`);
    if (result.status === 200) confirmed.push(sku);
    return { ...result, sku };
  };

  beforeAll(async () => {
    target = await fault.start();
    store = fault.store(target.url);
    app = makeApp(store);
    shopper = new CookieClient(app.handler);
    expect((await timed(shopper, "/auth?user=alice", { method: "POST" })).status).toBe(200);
    for (let i = 0; i < 5; i++) expect((await add()).status).toBe(200);
  }, 120_000);

  afterAll(async () => {
    await app?.satchel.close();
    await target?.cleanup();
  });

  it("server stopped: cookie-only requests keep working, store requests get 503 (never a hang)", {
    timeout: 60_000,
  }, async () => {
    await target.server.stop();
    try {
      // Reading (and even writing) the cookie session never touches the store.
      expect((await timed(shopper, "/auth")).body).toEqual({ userId: "alice" });
      const visitor = new CookieClient(app.handler);
      expect((await timed(visitor, "/auth?user=bob", { method: "POST" })).status).toBe(200);
      expect((await timed(visitor, "/auth")).body).toEqual({ userId: "bob" });
      // Store sessions: the typed error, mapped to 503, quickly.
      const read = await timed(shopper, "/cart");
      const write = await add();
      for (const result of [read, write]) {
        expect(result.status).toBe(503);
        expect(String(result.body)).toMatch(
          new RegExp(`^satchel: session store "${fault.label}" at 127\\.0\\.0\\.1:\\d+\\S* is unavailable`),
        );
      }
      report(
        `${fault.label} stopped: 503 after ${read.ms.toFixed(0)} ms (read), ${write.ms.toFixed(0)} ms (update)`,
      );
    } finally {
      await target.server.start();
    }
    // Restarted: the client reconnects by itself; nothing confirmed before is lost.
    const started = performance.now();
    const back = await eventually(async () => {
      const result = await timed(shopper, "/cart");
      if (result.status !== 200) throw new Error(`still ${result.status}`);
      return result.body as { skus: string[] };
    });
    report(
      `${fault.label} restarted: requests succeed again after ${(performance.now() - started).toFixed(0)} ms`,
    );
    if (fault.durable) {
      expect(back.skus).toEqual(confirmed);
    } else {
      // memcached restarted empty: the session starts fresh, and works.
      expect(back.skus).toEqual([]);
      confirmed.length = 0;
    }
    expect((await add()).status).toBe(200);
    expect(await rawSkus(app.counting, store)).toEqual(confirmed);
  });

  it("server paused past the timeout: 503 in bounded time, cookie-only requests unaffected, no partial write", {
    timeout: 60_000,
  }, async () => {
    await target.server.pause();
    let paused: Awaited<ReturnType<typeof add>>;
    try {
      expect((await timed(shopper, "/auth")).body).toEqual({ userId: "alice" });
      paused = await add();
      expect(paused.status).toBe(503);
      expect((await timed(shopper, "/cart")).status).toBe(503);
      report(`${fault.label} paused: update answered 503 after ${paused.ms.toFixed(0)} ms`);
    } finally {
      await target.server.resume();
    }
    const skus = await eventually(async () => {
      const result = await timed(shopper, "/cart");
      if (result.status !== 200) throw new Error(`still ${result.status}`);
      return (result.body as { skus: string[] }).skus;
    });
    // The write sent during the pause may have landed once the server ran again — whole, or not at all.
    expectNoDuplicates(skus);
    expect(skus.filter((sku) => !confirmed.includes(sku))).toEqual(
      skus.includes(paused.sku) ? [paused.sku] : [],
    );
    for (const sku of confirmed) expect(skus).toContain(sku);
    if (skus.includes(paused.sku)) confirmed.push(paused.sku);
    const after = await add();
    expect(after.status, String(after.body)).toBe(200);
  });

  it("server stopped mid-request: of 24 concurrent updates, every one that succeeded is kept, none twice", {
    timeout: 90_000,
  }, async () => {
    const before = [...confirmed];
    const inFlight = Array.from({ length: 24 }, () => add());
    // Stop as soon as the first one is through, while the rest still contend for the record.
    await Promise.race(inFlight);
    await target.server.stop();
    const results = await Promise.all(inFlight);
    const statuses = results.map((r) => r.status);
    for (const status of statuses) expect([200, 503]).toContain(status);
    report(
      `${fault.label} stopped mid-burst: ${statuses.filter((s) => s === 200).length} × 200, ` +
        `${statuses.filter((s) => s === 503).length} × 503`,
    );
    await target.server.start();
    const skus = await eventually(async () => {
      const result = await timed(shopper, "/cart");
      if (result.status !== 200) throw new Error(`still ${result.status}`);
      return (result.body as { skus: string[] }).skus;
    });
    if (!fault.durable) return; // memcached restarts empty, by design
    expectNoDuplicates(skus);
    // Nothing confirmed is lost; an update answered 503 may or may not have landed (its reply was lost).
    for (const sku of confirmed) expect(skus).toContain(sku);
    const attempted = new Set([...before, ...results.map((r) => r.sku)]);
    for (const sku of skus) expect(attempted.has(sku) || confirmed.includes(sku)).toBe(true);
    expect(await rawSkus(app.counting, store)).toEqual(skus);
    confirmed.length = 0;
    confirmed.push(...skus);
  });

  it.skipIf(fault.dropConnections === undefined)(
    "connections dropped by the server: at worst a 503, then recovery on a new connection with nothing lost",
    { timeout: 60_000 },
    async () => {
      const killed = await fault.dropConnections?.(target.url);
      expect(killed).toBeGreaterThanOrEqual(1);
      const after: number[] = [];
      for (let i = 0; i < 5; i++) after.push((await add()).status);
      for (const status of after) expect([200, 503]).toContain(status);
      report(`${fault.label}: dropped ${killed} connection(s); next 5 updates → ${after.join(", ")}`);
      await eventually(async () => {
        const result = await add();
        if (result.status !== 200) throw new Error(`still ${result.status}`);
      });
      const skus = await rawSkus(app.counting, store);
      expectNoDuplicates(skus ?? []);
      for (const sku of confirmed) expect(skus).toContain(sku);
    },
  );
});

describe("file: the sessions directory lost (a mount gone, a path now a file) and restored", () => {
  it("store requests get 503, cookie-only requests keep working, and restoring it loses nothing", {
    timeout: 60_000,
  }, async () => {
    const temp = await tempDir("faults-file");
    const dir = `${temp.path}/sessions`;
    const app = makeApp(createFileStore({ dir, sweepIntervalMs: 0, lockTimeoutMs: TIMEOUT_MS }));
    const client = new CookieClient(app.handler);
    try {
      expect((await timed(client, "/auth?user=carol", { method: "POST" })).status).toBe(200);
      for (let i = 0; i < 3; i++) expect((await timed(client, `/add?sku=f${i}`)).status).toBe(200);
      // The directory disappears and a plain file takes its path.
      await rename(dir, `${dir}.away`);
      await writeFile(dir, "not a directory");
      expect((await timed(client, "/auth")).body).toEqual({ userId: "carol" });
      const read = await timed(client, "/cart");
      const write = await timed(client, "/add?sku=lost");
      for (const result of [read, write]) {
        expect(result.status).toBe(503);
        expect(String(result.body)).toMatch(/^satchel: session store "file" at \S+ is unavailable/);
      }
      // Restored: everything confirmed is there, the refused write is not.
      await rm(dir);
      await rename(`${dir}.away`, dir);
      expect((await timed(client, "/cart")).body).toEqual({ skus: ["f0", "f1", "f2"] });
      expect((await timed(client, "/add?sku=f3")).body).toEqual({ skus: ["f0", "f1", "f2", "f3"] });
    } finally {
      await app.satchel.close();
      await temp.cleanup();
    }
  });
});
