import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { SessionStoreUnavailableError } from "../errors.ts";
import type { Satchel } from "../satchel.ts";
import { testClock, testSatchel } from "../test-support/harness.ts";
import { type TestTypes, testConfig } from "../test-support/schema.ts";
import { appendWithRetry, describeStoreConformance } from "./conformance.ts";
import { createCountingStore } from "./counting.ts";
import { createMemoryStore } from "./memory.ts";
import { createPostgresStore } from "./postgres.ts";
import { createRedisStore } from "./redis.ts";
import { createTieredStore } from "./tiered.ts";
import type { SessionStore } from "./types.ts";

const SHARED_PG = "postgres://postgres@127.0.0.1:5432/test";
const run = randomBytes(4).toString("hex");
const report = (line: string) => console.info(`[measure] ${line}`);
const tables: string[] = [];
const table = (label: string) => {
  const name = `satchel_test_tiered_${label}_${run}`;
  tables.push(name);
  return name;
};
afterAll(async () => {
  const client = new pg.Client({ connectionString: SHARED_PG });
  await client.connect();
  for (const name of tables) await client.query(`DROP TABLE IF EXISTS "${name}"`);
  await client.end();
});

describeStoreConformance(
  "tiered(memory over postgres)",
  () =>
    createTieredStore({
      cache: createMemoryStore(),
      durable: createPostgresStore({ url: SHARED_PG, table: table("mem") }),
    }),
  { userIndex: true, report },
);

describeStoreConformance(
  "tiered(redis over postgres)",
  () =>
    createTieredStore({
      cache: createRedisStore({
        url: "redis://127.0.0.1:6379",
        prefix: `satchel-test-tiered-${run}:`,
        timeoutMs: 500,
      }),
      durable: createPostgresStore({ url: SHARED_PG, table: table("redis") }),
    }),
  { userIndex: true, report },
);

describe("tiered behaviour", () => {
  const later = () => Date.now() + 60_000;
  const setup = () => {
    const cache = createCountingStore(createMemoryStore());
    const durable = createCountingStore(createMemoryStore());
    const errors: string[] = [];
    const store = createTieredStore({ cache, durable, onCacheError: (_e, op) => errors.push(op) });
    return { cache, durable, store, errors };
  };

  it("serves repeated reads from the cache without touching the durable store", async () => {
    const { durable, store } = setup();
    await store.set("cart:a", "v1", { expiresAt: later() });
    durable.reset();
    for (let i = 0; i < 5; i++) expect((await store.get("cart:a"))?.value).toBe("v1");
    expect(durable.counts().get).toBe(0);
  });

  it("serves a cache entry an earlier version wrote as JSON, and a value with colons and quotes as written", async () => {
    const { cache, durable, store } = setup();
    const value = '{"json":{"a":"x:1:2:3","b":"\\"quoted\\""}}';
    await durable.inner.set("cart:old", value, { expiresAt: later() });
    // What the cache held before filled entries had their own layout.
    const legacy = JSON.stringify({ v: value, ver: 1, exp: later(), at: Date.now() });
    await cache.inner.set("cart:old", legacy, { expiresAt: later() });
    durable.reset();
    expect(await store.get("cart:old")).toMatchObject({ value, version: 1 });
    expect(durable.counts().get).toBe(0);
    // Written through this version: read back from the cache unchanged.
    const version = await store.compareAndSet("cart:old", `${value}:`, 1, { expiresAt: later() });
    durable.reset();
    expect(await store.get("cart:old")).toMatchObject({ value: `${value}:`, version });
    expect(durable.counts().get).toBe(0);
  });

  it("writes through to the durable store first, with the durable store's version", async () => {
    const { cache, durable, store } = setup();
    await durable.set("cart:b", "elsewhere", { expiresAt: later() });
    await durable.set("cart:b", "elsewhere", { expiresAt: later() });
    expect(await store.set("cart:b", "mine", { expiresAt: later() })).toBe(3);
    expect((await durable.inner.get("cart:b"))?.value).toBe("mine");
    expect(await store.get("cart:b")).toMatchObject({ value: "mine", version: 3 });
    expect(cache.log().some((line) => line.startsWith("compareAndSet"))).toBe(true);
  });

  it("fills the cache on a miss, then serves from it", async () => {
    const { durable, store } = setup();
    await durable.inner.set("cart:c", "durable only", { expiresAt: later() });
    durable.reset();
    expect((await store.get("cart:c"))?.value).toBe("durable only");
    expect((await store.get("cart:c"))?.value).toBe("durable only");
    expect(durable.counts().get).toBe(1);
  });

  it("a stale cache entry heals through a compare-and-set conflict: appends are not lost", async () => {
    const { durable, store } = setup();
    await store.set("cart:d", "[]", { expiresAt: later() });
    // Another node wrote to the durable store; this node's cache still holds the old record.
    await durable.inner.set("cart:d", JSON.stringify(["from-elsewhere"]), { expiresAt: later() });
    await appendWithRetry(store, "cart:d", "mine", later());
    expect(JSON.parse((await durable.inner.get("cart:d"))?.value ?? "[]")).toEqual([
      "from-elsewhere",
      "mine",
    ]);
    expect(JSON.parse((await store.get("cart:d"))?.value ?? "[]")).toEqual(["from-elsewhere", "mine"]);
  });

  it("a read racing a delete cannot put the deleted record back into the cache", async () => {
    const cache = createMemoryStore();
    const inner = createMemoryStore();
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    let slow = false;
    const durable: SessionStore = {
      ...inner,
      async get(key) {
        const record = await inner.get(key);
        if (slow) await gate;
        return record;
      },
    };
    const store = createTieredStore({ cache, durable });
    await inner.set("cart:e", "doomed", { expiresAt: later() });
    slow = true;
    const racingRead = store.get("cart:e"); // misses the cache, has read the record, now waits
    await new Promise((done) => setTimeout(done, 10));
    await store.delete("cart:e");
    open();
    expect((await racingRead)?.value).toBe("doomed"); // it began before the delete
    slow = false;
    expect(await store.get("cart:e")).toBeNull();
  });

  it("keeps working through the durable store when the cache is down, and reports it", async () => {
    const durable = createMemoryStore();
    const down = (operation: string) => () =>
      Promise.reject(new SessionStoreUnavailableError("redis", operation));
    const cache: SessionStore = {
      name: "redis",
      get: down("get"),
      set: down("set"),
      compareAndSet: down("compareAndSet"),
      delete: down("delete"),
      touch: down("touch"),
    };
    const errors: string[] = [];
    const store = createTieredStore({ cache, durable, onCacheError: (_e, op) => errors.push(op) });
    expect(await store.set("cart:f", "v", { expiresAt: later() })).toBe(1);
    expect((await store.get("cart:f"))?.value).toBe("v");
    await store.delete("cart:f");
    expect(await store.get("cart:f")).toBeNull();
    expect(errors.length).toBeGreaterThan(0);
  });

  it("durable store errors are the caller's errors", async () => {
    const failing: SessionStore = {
      ...createMemoryStore(),
      name: "postgres",
      set: () => Promise.reject(new SessionStoreUnavailableError("postgres", "set")),
    };
    const store = createTieredStore({ cache: createMemoryStore(), durable: failing });
    await expect(store.set("cart:g", "v", { expiresAt: later() })).rejects.toMatchObject({
      store: "postgres",
      operation: "set",
    });
    expect(await store.get("cart:g")).toBeNull();
  });
});

describe("revocation reaches every instance (two satchel instances, each with its own memory cache)", () => {
  const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));
  const instancesTable = table("instances");
  const durables: Record<string, () => SessionStore> = {
    postgres: () => createPostgresStore({ url: SHARED_PG, table: instancesTable, sweepIntervalMs: 0 }),
    redis: () =>
      createRedisStore({ url: "redis://127.0.0.1:6379", prefix: `satchel-test-instances-${run}:` }),
  };

  function instance(durable: SessionStore, watchDeletes?: boolean) {
    const store = createTieredStore({
      cache: createMemoryStore(),
      durable,
      ...(watchDeletes === undefined ? {} : { watchDeletes }),
    });
    return testSatchel<TestTypes>(testConfig, { store, clock: testClock(Date.now()) }).satchel;
  }

  async function read(satchel: Satchel<TestTypes>, cookie: string) {
    const cart = await satchel
      .fromRequest(new Request("http://localhost/", { headers: { cookie } }))
      .get("cart");
    return { owner: cart.owner, isNew: cart.$isNew };
  }

  /** Signs `user` in on `one`, reads the session on `two` (filling its cache), then revokes on `one`. */
  async function revokeOnOne(one: Satchel<TestTypes>, two: Satchel<TestTypes>, user: string) {
    const sessions = one.fromRequest(new Request("http://localhost/"));
    (await sessions.get("cart")).owner = user;
    await sessions.commit();
    const cookie = sessions.apply(new Response()).headers.getSetCookie()[0]?.split(";")[0] ?? "";
    expect(await read(two, cookie)).toEqual({ owner: user, isNew: false });
    expect(await read(two, cookie)).toEqual({ owner: user, isNew: false }); // now served by two's cache
    expect(await one.revokeUser("cart", user)).toBe(1);
    return cookie;
  }

  for (const [kind, durable] of Object.entries(durables)) {
    it(`${kind}: a revokeUser on one instance is seen by the other (delete notices)`, {
      timeout: 30_000,
    }, async () => {
      const [one, two] = [instance(durable()), instance(durable())] as const;
      const cookie = await revokeOnOne(one, two, `multi-${kind}-${run}`);
      let polls = 0;
      while ((await read(two, cookie)).isNew === false && polls < 50) {
        polls++;
        await sleep(20);
      }
      expect(polls, "the other instance kept serving the revoked session").toBeLessThan(50);
      report(
        `tiered(memory over ${kind}): revocation seen by the other instance after ${polls} polls of 20 ms`,
      );
      await Promise.all([one.close(), two.close()]);
    });
  }

  it("postgres: deletes made while the channel was down are not missed: older cache entries are not trusted", {
    timeout: 30_000,
  }, async () => {
    const make = durables.postgres as () => SessionStore;
    const [one, two] = [instance(make()), instance(make())] as const;
    const user = `down-${run}`;
    const sessions = one.fromRequest(new Request("http://localhost/"));
    (await sessions.get("cart")).owner = user;
    await sessions.commit();
    const cookie = sessions.apply(new Response()).headers.getSetCookie()[0]?.split(";")[0] ?? "";
    expect(await read(two, cookie)).toMatchObject({ isNew: false });
    expect(await read(two, cookie)).toMatchObject({ isNew: false }); // cached in two
    const admin = new pg.Client({ connectionString: SHARED_PG });
    await admin.connect();
    const listeners = `SELECT pid FROM pg_stat_activity WHERE query = 'LISTEN "satchel_del_${instancesTable}"'`;
    try {
      const pids = async () => (await admin.query(listeners)).rows.map((row: { pid: number }) => row.pid);
      const killed = await pids();
      expect(killed).toHaveLength(1); // two's (one has not read anything, so it does not listen yet)
      // The fault: the LISTEN connection is killed; the revocation happens while nobody listens.
      await admin.query(`SELECT pg_terminate_backend(pid) FROM (${listeners}) AS l`);
      expect(await one.revokeUser("cart", user)).toBe(1);
      // Two reconnects by itself; the entry it cached before that must not be served.
      let polls = 0;
      while (!(await pids()).some((pid) => !killed.includes(pid)) && polls < 100) {
        polls++;
        await sleep(50);
      }
      expect(polls).toBeLessThan(100);
      expect(await read(two, cookie)).toMatchObject({ owner: null, isNew: true });
    } finally {
      await admin.end();
      await Promise.all([one.close(), two.close()]);
    }
  });

  it("without delete notices the cache is per process: the other instance keeps serving the session", async () => {
    const make = durables.postgres as () => SessionStore;
    const [one, two] = [instance(make(), false), instance(make(), false)] as const;
    const cookie = await revokeOnOne(one, two, `single-${run}`);
    await sleep(300);
    expect(await read(two, cookie)).toEqual({ owner: `single-${run}`, isNew: false });
    await Promise.all([one.close(), two.close()]);
  });
});
