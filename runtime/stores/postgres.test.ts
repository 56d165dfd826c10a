import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SessionStoreUnavailableError, SessionValidationError } from "../errors.ts";
import { testSatchel } from "../test-support/harness.ts";
import { type TestTypes, testConfig } from "../test-support/schema.ts";
import { describeStoreConformance } from "./conformance.ts";
import { createPostgresStore, type PostgresStore } from "./postgres.ts";
import { relayWithHeldReplies } from "./test-support/held-replies.ts";
import { runOutageScenario } from "./test-support/outage.ts";
import { startPostgres } from "./test-support/servers.ts";

const SHARED = "postgres://postgres@127.0.0.1:5432/test";
const run = randomBytes(4).toString("hex");
const report = (line: string) => console.info(`[measure] ${line}`);
/** Tables this file creates on the shared server, dropped in afterAll. */
const tables: string[] = [];
const table = (label: string) => {
  const name = `satchel_test_${label}_${run}`;
  tables.push(name);
  return name;
};

afterAll(async () => {
  const client = new pg.Client({ connectionString: SHARED });
  await client.connect();
  for (const name of tables) await client.query(`DROP TABLE IF EXISTS "${name}"`);
  await client.end();
});

const conformanceTable = table("conf");
describeStoreConformance("postgres", () => createPostgresStore({ url: SHARED, table: conformanceTable }), {
  userIndex: true,
  watchesDeletes: true,
  report,
});

describe("postgres specifics", () => {
  let store: PostgresStore;
  let name: string;
  beforeAll(() => {
    name = table("spec");
    store = createPostgresStore({ url: SHARED, table: name, sweepIntervalMs: 0 });
  });
  afterAll(async () => {
    await store.close();
  });

  it("creates its table with version, expiry and user columns and indexes on first use", async () => {
    expect(await store.get("cart:nothing")).toBeNull();
    const columns = await store.pool.query(
      "SELECT column_name FROM information_schema.columns WHERE table_name = $1 ORDER BY column_name",
      [name],
    );
    expect(columns.rows.map((row: { column_name: string }) => row.column_name)).toEqual([
      "expires_at",
      "key",
      "user_id",
      "value",
      "version",
    ]);
    const indexes = await store.pool.query("SELECT indexname FROM pg_indexes WHERE tablename = $1", [name]);
    const names = indexes.rows.map((row: { indexname: string }) => row.indexname);
    expect(names).toContain(`${name}_expires_at_idx`);
    expect(names).toContain(`${name}_user_id_idx`);
  });

  it("stores creating the same table at once all work (every way of losing the race)", async () => {
    // Rounds of a fresh table each: losing the race raises one of several errors, by timing.
    for (let round = 0; round < 8; round++) {
      const shared = table(`race${round}`);
      const stores = [1, 2, 3, 4].map(() =>
        createPostgresStore({ url: SHARED, table: shared, sweepIntervalMs: 0 }),
      );
      const later = Date.now() + 60_000;
      await Promise.all(stores.map((s, i) => s.set(`cart:${i}`, `v${i}`, { expiresAt: later })));
      expect((await stores[0]?.get("cart:3"))?.value).toBe("v3");
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it("sweep deletes expired rows and keeps live ones", async () => {
    await store.set("cart:sweep-live", "live", { expiresAt: Date.now() + 60_000 });
    await store.set("cart:sweep-dead", "dead", { expiresAt: Date.now() - 1 });
    expect(await store.sweep()).toBeGreaterThanOrEqual(1);
    const rows = await store.pool.query(`SELECT key FROM "${name}" WHERE key LIKE 'cart:sweep-%'`);
    expect(rows.rows.map((row: { key: string }) => row.key)).toEqual(["cart:sweep-live"]);
  });

  it("a NUL byte in the userField value is a validation error at write time, not a store outage", async () => {
    const { satchel } = testSatchel<TestTypes>(testConfig, { store });
    const sessions = satchel.fromRequest(new Request("http://localhost/"));
    const cart = await sessions.get("cart");
    cart.owner = "user\u0000admin";
    const saving = cart.save();
    await expect(saving).rejects.toBeInstanceOf(SessionValidationError);
    await expect(saving).rejects.toThrow(/field "owner".*NUL/);
    // Direct store users get a satchel error that says why, not SessionStoreUnavailableError (503).
    const direct = store.set("cart:nul", "v", { expiresAt: Date.now() + 60_000, userId: "a\u0000b" });
    await expect(direct).rejects.toThrow(/NUL/);
    await expect(direct).rejects.not.toBeInstanceOf(SessionStoreUnavailableError);
  });

  it("a connection the server terminates in the same read that completes its startup fails over, and the process lives", async () => {
    // The server's startup replies and its termination notice reach the client in one chunk, as when a
    // server shuts down while a connection is being made: the connection is handed out and dies before
    // the statement that asked for it runs. Unheard, that error would crash the app's process.
    const relay = await relayWithHeldReplies({ host: "127.0.0.1", port: 5432 });
    const applicationName = `satchel-held-${run}`;
    const held = createPostgresStore({
      url: `postgres://postgres@127.0.0.1:${relay.port}/test`,
      table: name,
      sweepIntervalMs: 0,
      poolOptions: { application_name: applicationName },
    });
    const admin = new pg.Client({ connectionString: SHARED });
    await admin.connect();
    try {
      await held.set("cart:held", "kept", { expiresAt: Date.now() + 60_000 });
      // Busy the one idle connection, so the next operation opens a new one.
      const busy = held.pool.connect();
      const client = await busy;
      relay.holdNext();
      const reading = held.get("cart:held");
      let pid: number | undefined;
      while (pid === undefined) {
        const rows = await admin.query<{ pid: number }>(
          "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND pid <> $2 AND state = 'idle'",
          [applicationName, (client as unknown as { processID: number }).processID],
        );
        pid = rows.rows[0]?.pid;
      }
      await admin.query("SELECT pg_terminate_backend($1)", [pid]);
      await relay.serverClosed();
      relay.release();
      expect((await reading)?.value).toBe("kept");
      client.release();
    } finally {
      await admin.end();
      await held.close();
      await relay.close();
    }
  });

  it("rejects a table name that is not a plain identifier", () => {
    expect(() => createPostgresStore({ url: SHARED, table: 'x"; DROP TABLE users; --' })).toThrow(
      /plain identifier/,
    );
  });
});

describe("postgres outages (private server on a spare port)", () => {
  let pgServer: Awaited<ReturnType<typeof startPostgres>>;
  let store: PostgresStore;
  const timeoutMs = 800;
  beforeAll(async () => {
    pgServer = await startPostgres();
    store = createPostgresStore({ url: pgServer.url, timeoutMs, sweepIntervalMs: 0 });
  });
  afterAll(async () => {
    await store?.close();
    await pgServer?.cleanup();
  });

  it("paused → typed error within the timeout; resumed/restarted → works with all old data", {
    timeout: 90_000,
  }, async () => {
    const notes = await runOutageScenario(store, pgServer.server, "cart");
    for (const note of notes) report(note);
  });

  /** The pids of the server's connections named `application_name`. */
  const backends = async (admin: pg.Client, applicationName: string) =>
    (
      await admin.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE application_name = $1", [
        applicationName,
      ])
    ).rows.map((row) => row.pid);

  it("connections the server drops (pg_terminate_backend) cost a retry on a fresh connection, not a 503 each", {
    timeout: 60_000,
  }, async () => {
    const later = Date.now() + 60_000;
    const keys = Array.from({ length: 8 }, (_, i) => `cart:dropped-${i}`);
    // Concurrent writes leave several connections in the pool.
    await Promise.all(keys.map((key) => store.set(key, `v-${key}`, { expiresAt: later })));
    const admin = new pg.Client({ connectionString: pgServer.url, application_name: "satchel-test-admin" });
    await admin.connect();
    try {
      const before = await backends(admin, "satchel");
      expect(before.length).toBeGreaterThan(1);
      await admin.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'satchel'",
      );
      // Every operation after it succeeds: none is handed a dropped connection without a retry.
      for (const key of keys) expect((await store.get(key))?.value).toBe(`v-${key}`);
      expect(await store.compareAndSet(keys[0] as string, "again", 1, { expiresAt: later })).toBe(2);
      const after = await backends(admin, "satchel");
      expect(after.filter((pid) => before.includes(pid))).toEqual([]);
    } finally {
      await admin.end();
    }
  });

  it('names its connections: application_name "satchel" by default, or the one given', async () => {
    const admin = new pg.Client({ connectionString: pgServer.url, application_name: "satchel-test-admin" });
    await admin.connect();
    const named = createPostgresStore({
      url: pgServer.url,
      sweepIntervalMs: 0,
      poolOptions: { application_name: "shop-sessions" },
    });
    try {
      await store.get("cart:any");
      await named.get("cart:any");
      expect((await backends(admin, "satchel")).length).toBeGreaterThan(0);
      expect((await backends(admin, "shop-sessions")).length).toBe(1);
    } finally {
      await named.close();
      await admin.end();
    }
  });
});
