import { randomBytes } from "node:crypto";
import { inspect } from "node:util";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { defineSessions } from "../define.ts";
import { SessionStoreUnavailableError } from "../errors.ts";
import { testSatchel } from "../test-support/harness.ts";
import { type TestTypes, testConfig } from "../test-support/schema.ts";
import type { SessionHandle } from "../types.ts";
import { describeStoreConformance } from "./conformance.ts";
import { createCountingStore } from "./counting.ts";
import { createRedisStore, type RedisStore } from "./redis.ts";
import { eventually, expectUnavailable, runOutageScenario } from "./test-support/outage.ts";
import { type ManagedServer, startRedis, startRedisCluster } from "./test-support/servers.ts";
import { stallAfterIo } from "./test-support/stall.ts";

const run = randomBytes(4).toString("hex");
const report = (line: string) => console.info(`[measure] ${line}`);

// The shared server on 6379, with a prefix no other run uses.
describeStoreConformance(
  "redis",
  () => createRedisStore({ url: "redis://127.0.0.1:6379", prefix: `satchel-test-${run}:` }),
  { userIndex: true, watchesDeletes: true, report },
);

// A caller-owned client is used as given and not closed by the store.
describeStoreConformance(
  "redis (caller's client)",
  () => {
    const client = new Redis("redis://127.0.0.1:6379");
    const store = createRedisStore({ client, prefix: `satchel-test-own-${run}:` });
    // The store leaves a caller's client open; the test, as its owner, quits it.
    return { ...store, close: async () => void (await client.quit()) };
  },
  { userIndex: true, concurrentAppends: 20 },
);

// The record format is shared with the previous release (rolling deploys, rollbacks): a hash with
// val/ver/exp that it reads with HMGET. What one release writes, the other reads.
describe("redis record format (previous release's hash)", () => {
  const prefix = `satchel-test-format-${run}:`;
  const later = Date.now() + 60_000;

  it("a hash written as the previous release writes it reads back; ours is that hash", async () => {
    const raw = new Redis("redis://127.0.0.1:6379");
    const store = createRedisStore({ url: "redis://127.0.0.1:6379", prefix });
    try {
      const value = '{"json":{"data":{"note":"two words\n and a line"}}} trailing';
      await raw.hset(`${prefix}s:old`, "val", value, "ver", "7", "exp", String(later));
      expect(await store.get("old")).toEqual({ value, version: 7, expiresAt: later });
      expect(await store.compareAndSet("old", "new text", 7, { expiresAt: later + 1 })).toBe(8);
      expect(await raw.hmget(`${prefix}s:old`, "val", "ver", "exp")).toEqual([
        "new text",
        "8",
        String(later + 1),
      ]);
      // A user id may hold spaces and any character: it is stored whole, as the previous release stored it.
      expect(await store.set("owned", "0 v ✓", { expiresAt: later, userId: "a user ✓ id" })).toBe(1);
      expect(await raw.hgetall(`${prefix}s:owned`)).toEqual({
        val: "0 v ✓",
        ver: "1",
        exp: String(later),
        uid: "a user ✓ id",
      });
      // Missing a field, or expired: no record.
      await raw.hset(`${prefix}s:partial`, "val", "x", "ver", "1");
      expect(await store.get("partial")).toBeNull();
      await raw.hset(`${prefix}s:expired`, "val", "x", "ver", "1", "exp", String(Date.now() - 1));
      expect(await store.get("expired")).toBeNull();
      await raw.hset(`${prefix}s:empty`, "val", "", "ver", "2", "exp", String(later));
      expect(await store.get("empty")).toEqual({ value: "", version: 2, expiresAt: later });
      // Numbers are read as Number() reads them: leading zeros, a fraction, an exponent.
      await raw.hset(`${prefix}s:odd`, "val", "x", "ver", "007", "exp", `${later}.5`);
      expect(await store.get("odd")).toEqual({ value: "x", version: 7, expiresAt: later + 0.5 });
      await raw.hset(`${prefix}s:exponent`, "val", "x", "ver", "3", "exp", `${later / 1000}e3`);
      expect(await store.get("exponent")).toEqual({ value: "x", version: 3, expiresAt: later });
    } finally {
      await raw.del(
        ...["old", "owned", "partial", "expired", "empty", "odd", "exponent"].map(
          (key) => `${prefix}s:${key}`,
        ),
        `${prefix}u:a user ✓ id`,
      );
      await raw.quit();
      await store.close();
    }
  });
});

it("redis: a throwing clock fails the read at once, as an outage of the store, not after its timeout", async () => {
  let broken = false;
  const store = createRedisStore({
    url: "redis://127.0.0.1:6379",
    prefix: `satchel-test-clock-${run}:`,
    timeoutMs: 60_000,
    now: () => {
      if (broken) throw new Error("clock broke");
      return Date.now();
    },
  });
  try {
    await store.set("k", "v", { expiresAt: Date.now() + 60_000 });
    broken = true;
    const started = performance.now();
    await expect(store.get("k")).rejects.toBeInstanceOf(SessionStoreUnavailableError);
    expect(performance.now() - started).toBeLessThan(5_000);
  } finally {
    broken = false;
    await store.delete("k");
    await store.close();
  }
});

// Scripts go out as commands the store frames itself: what a caller's client options ask of every
// command (a key prefix, friendly error stacks, auto-pipelining) still applies.
describe("redis driver's String subclass", () => {
  // connection.ts makes one VerbatimString so that String.prototype gets its fast properties back
  // (declaring the subclass took them); a driver that moved the class would silently lose that.
  it("is where the store looks for it, a subclass of String", async () => {
    const { VerbatimString } = await import("ioredis/built/resp/verbatim-string.js");
    expect(Object.getPrototypeOf(VerbatimString)).toBe(String);
    expect(String(new VerbatimString("txt", "text"))).toBe("text");
  });
});

describe("redis store on a caller's client with its own options", () => {
  it("keys carry the client's keyPrefix; replies and errors are ioredis's", async () => {
    const keyPrefix = `satchel-test-kp-${run}:`;
    const client = new Redis("redis://127.0.0.1:6379", {
      keyPrefix,
      showFriendlyErrorStack: true,
      enableAutoPipelining: true,
    });
    const raw = new Redis("redis://127.0.0.1:6379");
    const store = createRedisStore({ client, prefix: "p:" });
    const later = Date.now() + 60_000;
    try {
      expect(await store.set("k ✓", "v ✓ \r\n$3", { expiresAt: later, userId: "u ✓" })).toBe(1);
      expect(await raw.hgetall(`${keyPrefix}p:s:k ✓`)).toEqual({
        val: "v ✓ \r\n$3",
        ver: "1",
        exp: String(later),
        uid: "u ✓",
      });
      expect(await raw.smembers(`${keyPrefix}p:u:u ✓`)).toEqual(["k ✓"]);
      expect(await store.get("k ✓")).toEqual({ value: "v ✓ \r\n$3", version: 1, expiresAt: later });
      expect(await store.keysForUser("u ✓")).toEqual(["k ✓"]);
      expect(await store.compareAndSet("k ✓", "w", 1, { expiresAt: later, userId: "u ✓" })).toBe(2);
      await store.touch("k ✓", later + 1);
      expect(await raw.hget(`${keyPrefix}p:s:k ✓`, "exp")).toBe(String(later + 1));
      await store.delete("k ✓");
      expect(await raw.exists(`${keyPrefix}p:s:k ✓`)).toBe(0);
      // A key of the wrong type: the server's error reaches the caller as an outage of this store.
      await raw.set(`${keyPrefix}p:s:string`, "x");
      await expectUnavailable(() => store.get("string"), "redis", "get");
    } finally {
      await raw.del(`${keyPrefix}p:s:string`, `${keyPrefix}p:u:u ✓`);
      await raw.quit();
      await client.quit();
    }
  });
});

describe("redis cluster (3 masters on private ports)", () => {
  let cluster: Awaited<ReturnType<typeof startRedisCluster>>;
  beforeAll(async () => {
    cluster = await startRedisCluster();
  });
  afterAll(async () => {
    await cluster?.cleanup();
  });
  describeStoreConformance(
    "redis cluster",
    () => createRedisStore({ clusterNodes: cluster.ports.map((port) => `127.0.0.1:${port}`), prefix: "c:" }),
    { userIndex: true, watchesDeletes: true, report },
  );
  it("spreads records over the three masters (the store never needs one slot)", async () => {
    const store = createRedisStore({
      clusterNodes: cluster.ports.map((port) => `127.0.0.1:${port}`),
      prefix: "s:",
    });
    const later = Date.now() + 60_000;
    for (let i = 0; i < 30; i++)
      await store.set(`cart:${i}`, `v${i}`, { expiresAt: later, userId: "spread-user" });
    expect((await store.keysForUser("spread-user")).length).toBe(30);
    const perNode = await Promise.all(
      cluster.ports.map(async (port) => {
        const node = new Redis({ port, host: "127.0.0.1" });
        const size = await node.dbsize();
        node.disconnect();
        return size;
      }),
    );
    expect(perNode.filter((size) => size > 0).length).toBe(3);
    await store.close();
  });

  it("one paused master: its keys fail with the typed error, the others keep working; resumed: all back", {
    timeout: 60_000,
  }, async () => {
    const timeoutMs = 500;
    const store = createRedisStore({
      clusterNodes: cluster.ports.map((port) => `127.0.0.1:${port}`),
      prefix: "p:",
      timeoutMs,
    });
    const later = Date.now() + 60_000;
    const keys = Array.from({ length: 30 }, (_, i) => `cart:${i}`);
    for (const key of keys) await store.set(key, `v-${key}`, { expiresAt: later });
    const paused = cluster.nodes[0] as ManagedServer;
    await paused.pause();
    let results: PromiseSettledResult<unknown>[];
    const started = performance.now();
    try {
      // Shorter than cluster-node-timeout (3 s), so the other masters never declare it failed.
      results = await Promise.allSettled(keys.map((key) => store.get(key)));
    } finally {
      await paused.resume();
    }
    const elapsed = performance.now() - started;
    const failed = results.filter((r) => r.status === "rejected");
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.length).toBeLessThan(keys.length);
    for (const r of failed)
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(SessionStoreUnavailableError);
    report(
      `redis cluster: 1 of 3 masters paused → ${failed.length}/30 keys unavailable after ${elapsed.toFixed(0)} ms, the rest served`,
    );
    const back = await eventually(() => Promise.all(keys.map((key) => store.get(key))));
    expect(back.map((record) => record?.value)).toEqual(keys.map((key) => `v-${key}`));
    await store.close();
  });
});

describe("redis outages (private server with AOF on a temp dir)", () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let server: ManagedServer;
  let store: RedisStore;
  const timeoutMs = 500;
  beforeAll(async () => {
    redis = await startRedis();
    server = redis.server;
    store = createRedisStore({ url: redis.url, timeoutMs, prefix: "outage:" });
  });
  afterAll(async () => {
    await store?.close();
    await redis?.cleanup();
  });

  it("paused → typed error within the timeout; resumed/restarted → works with all old data", {
    timeout: 60_000,
  }, async () => {
    const notes = await runOutageScenario(store, server, "cart");
    for (const note of notes) report(note);
  });

  it("after SCRIPT FLUSH (or a server that never saw the scripts) each script's body is sent again", async () => {
    const later = Date.now() + 60_000;
    await store.set("cart:flushed", "before", { expiresAt: later, userId: "flush-user" });
    await store.client.script("FLUSH");
    expect(await store.get("cart:flushed")).toEqual({ value: "before", version: 1, expiresAt: later });
    await store.client.script("FLUSH");
    expect(
      await store.compareAndSet("cart:flushed", "after", 1, { expiresAt: later, userId: "flush-user" }),
    ).toBe(2);
    await store.client.script("FLUSH");
    await store.touch("cart:flushed", later + 1);
    expect((await store.get("cart:flushed"))?.expiresAt).toBe(later + 1);
    await store.client.script("FLUSH");
    await store.delete("cart:flushed");
    expect(await store.get("cart:flushed")).toBeNull();
  });

  it("a store created while the server is down fails fast, then recovers on its own", {
    timeout: 60_000,
  }, async () => {
    await store.set("cart:kept", "kept", { expiresAt: Date.now() + 60_000 });
    await server.stop();
    const early = createRedisStore({ url: redis.url, timeoutMs, prefix: "outage:" });
    await expectUnavailable(() => early.get("cart:kept"), "redis", "get");
    // Many calls while down must neither hang nor pile up unhandled rejections.
    const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => early.get(`cart:${i}`)));
    expect(results.every((r) => r.status === "rejected")).toBe(true);
    await server.start();
    expect((await eventually(() => early.get("cart:kept")))?.value).toBe("kept");
    await early.close();
  });

  it("stopped: the error reads 'connection refused at host:port', not ioredis's MaxRetriesPerRequestError", {
    timeout: 60_000,
  }, async () => {
    const port = server.port;
    const told = (error: unknown) => `${String(error)} ${inspect(error, { depth: 5 })}`;
    await eventually(() => store.set("cart:refused", "v", { expiresAt: Date.now() + 60_000 }));
    await server.stop();
    try {
      // A client that was connected (reconnecting now) and one created while the server is down.
      const fresh = createRedisStore({ url: redis.url, timeoutMs, prefix: "outage:" });
      for (const [label, attempt] of [
        ["get", () => store.get("cart:refused")],
        [
          "compareAndSet",
          () => store.compareAndSet("cart:refused", "w", 1, { expiresAt: Date.now() + 60_000 }),
        ],
        ["delete", () => store.delete("cart:refused")],
        ["get (store created while down)", () => fresh.get("cart:refused")],
      ] as const) {
        const error = await attempt().then(
          () => null,
          (e: unknown) => e,
        );
        expect(error, label).toBeInstanceOf(SessionStoreUnavailableError);
        expect(String(error), label).toContain(`connection refused at 127.0.0.1:${port}`);
        expect(told(error), label).not.toMatch(/MaxRetriesPerRequest|max retries per request/);
      }
      await fresh.close();
    } finally {
      await server.start();
    }
  });

  it("stopped while the app's event loop was blocked past the store timeout: the connection's failure, not 'no answer'", {
    timeout: 60_000,
  }, async () => {
    const port = server.port;
    await server.stop();
    const fresh = createRedisStore({ url: redis.url, timeoutMs, prefix: "outage:" });
    try {
      const started = performance.now();
      const error = fresh.get("cart:refused").then(
        () => null,
        (e: unknown) => e,
      );
      // The refusal arrives while the loop is blocked; the store's deadline is due when it resumes,
      // and so is ioredis's own connect timer (connectTimeout = the store's timeout), which may
      // report first: either way the reason is the connection's, never "no answer".
      await stallAfterIo(() => performance.now() - started > 2 * timeoutMs);
      expect(await error).toBeInstanceOf(SessionStoreUnavailableError);
      expect(String(await error)).toMatch(
        new RegExp(`\\((connection refused|connecting timed out) at 127\\.0\\.0\\.1:${port}\\)`),
      );
    } finally {
      await fresh.close();
      await server.start();
    }
  });

  it("stopped long enough that the reconnect backoff outlasts the store timeout: still 'connection refused'", {
    timeout: 60_000,
  }, async () => {
    const port = server.port;
    await server.stop();
    // ioredis backs off up to 1 s between attempts; with a 100 ms timeout a command queued during
    // a backoff gets no answer in time (ioredis's "Command timed out" when it times commands itself),
    // which named no reason before.
    const waiting = createRedisStore({ url: redis.url, timeoutMs: 100, prefix: "outage:" });
    // An app's own longer commandTimeout leaves it to satchel's timer, whose "no answer" had the same news.
    const ownTimeout = createRedisStore({
      url: redis.url,
      timeoutMs: 100,
      prefix: "outage:",
      redisOptions: { commandTimeout: 10_000 },
    });
    try {
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      for (const store of [waiting, ownTimeout]) {
        for (let attempt = 0; attempt < 3; attempt++) {
          const error = await store.get("cart:refused").then(
            () => null,
            (e: unknown) => e,
          );
          expect(error).toBeInstanceOf(SessionStoreUnavailableError);
          expect(String(error)).toContain(`connection refused at 127.0.0.1:${port}`);
        }
      }
    } finally {
      await waiting.close();
      await ownTimeout.close();
      await server.start();
    }
  });

  it("one request's store calls share one deadline: after a load timed out, its save fails at once and is never sent", {
    timeout: 60_000,
  }, async () => {
    const session = {
      storage: "store",
      schema: z.object({ items: z.array(z.string()).default([]) }),
      expiry: { absolute: "1d" },
    } as const;
    const config = defineSessions({ cart: session, wishlist: session });
    type Handle = SessionHandle<{ items: string[] }>;
    const budgetStore = createRedisStore({ url: redis.url, timeoutMs, prefix: "budget:" });
    const counted = createCountingStore(budgetStore);
    const { satchel } = testSatchel<{ cart: Handle; wishlist: Handle }>(config, { store: counted });
    const first = satchel.fromRequest(new Request("http://localhost/"));
    (await first.get("cart")).items.push("kept");
    await first.commit();
    const cookie = first.apply(new Response()).headers.getSetCookie()[0]?.split(";")[0] ?? "";

    await server.pause();
    const errors: unknown[] = [];
    try {
      counted.reset();
      const request = satchel.fromRequest(new Request("http://localhost/", { headers: { cookie } }));
      // The load waits for the paused server until the timeout (a page asking { unavailable: "empty" }
      // goes on, as this request does)...
      errors.push(
        await request.get("cart").then(
          () => null,
          (e: unknown) => e,
        ),
      );
      // ...and a save in the same request does not wait another timeout.
      const wishlist = await request.get("wishlist");
      wishlist.items.push("never sent");
      errors.push(
        await wishlist.save().then(
          () => null,
          (e: unknown) => e,
        ),
      );
    } finally {
      await server.resume();
    }
    expect(counted.log().map((entry) => entry.split(" ")[0])).toEqual(["get", "compareAndSet"]);
    const [load, save] = errors;
    expect(load).toBeInstanceOf(SessionStoreUnavailableError);
    expect(save).toBeInstanceOf(SessionStoreUnavailableError);
    expect(String(save)).toContain(`the request's ${timeoutMs} ms for store calls is used up`);
    // Once the server answers again it has run what it was sent: the load, not the save.
    await eventually(() => budgetStore.get("cart:after"));
    expect(await budgetStore.client.keys("budget:s:wishlist:*")).toEqual([]);
    await budgetStore.close();
  });

  it("the shared deadline counts time spent waiting for the store, not the request's own work", async () => {
    const { satchel } = testSatchel<TestTypes>(testConfig, {
      store: createRedisStore({ url: redis.url, timeoutMs, prefix: "budget-work:" }),
    });
    const first = satchel.fromRequest(new Request("http://localhost/"));
    (await first.get("cart")).note = "first";
    await first.commit();
    const cookie = first.apply(new Response()).headers.getSetCookie()[0]?.split(";")[0] ?? "";
    const request = satchel.fromRequest(new Request("http://localhost/", { headers: { cookie } }));
    const cart = await request.get("cart");
    // Longer than the store's timeout, spent outside the store (a slow API call, rendering).
    await new Promise((done) => setTimeout(done, timeoutMs + 100));
    cart.note = "second";
    await cart.save();
    expect(cart.note).toBe("second");
  });

  it("delete notices: down while the server is stopped, up again after it returns — also when watching began during the outage", {
    timeout: 60_000,
  }, async () => {
    const events: string[] = [];
    const listener = {
      deleted: (key: string) => events.push(`deleted ${key}`),
      up: () => events.push("up"),
      down: () => events.push("down"),
    };
    const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));
    const until = async (what: string, since: number) => {
      for (let polls = 0; polls < 300 && !events.slice(since).includes(what); polls++) await sleep(50);
      expect(events.slice(since), `waiting for ${what}`).toContain(what);
    };
    await server.stop();
    const late = createRedisStore({ url: redis.url, timeoutMs, prefix: "outage:" });
    const watch = await late.watchDeletes(listener);
    expect(events).not.toContain("up");
    const mark = events.length;
    await server.start();
    await until("up", mark);
    await eventually(() => store.set("cart:watched", "v", { expiresAt: Date.now() + 60_000 }));
    await store.delete("cart:watched");
    await until("deleted cart:watched", mark);
    const beforeStop = events.length;
    await server.stop();
    await until("down", beforeStop);
    const beforeStart = events.length;
    await server.start();
    await until("up", beforeStart);
    await eventually(() => store.set("cart:watched-2", "v", { expiresAt: Date.now() + 60_000 }));
    await store.delete("cart:watched-2");
    await until("deleted cart:watched-2", beforeStart);
    await watch.stop();
    await late.close();
  });
});
