/**
 * Single use over real stores: concurrent opens of one token, from several app instances over one
 * backend (as separate server processes would be), let exactly one through; a store outage rejects
 * with the typed error and neither hands out the data nor uses the token up.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SessionStoreUnavailableError } from "../errors.ts";
import { createFileStore } from "../stores/file.ts";
import { createMemoryStore } from "../stores/memory.ts";
import { createPostgresStore } from "../stores/postgres.ts";
import { createRedisStore } from "../stores/redis.ts";
import { SHARED_PG, SHARED_REDIS } from "../stores/test-support/backends.ts";
import { eventually } from "../stores/test-support/outage.ts";
import { startRedis, tempDir } from "../stores/test-support/servers.ts";
import type { SessionStore } from "../stores/types.ts";
import { testClock } from "../test-support/harness.ts";
import { tokenSatchel } from "../test-support/token-app.ts";

const run = randomBytes(4).toString("hex");
const INSTANCES = 4;
const OPENS = 24;

/** A backend: `connect()` gives one more client of the same storage, as another server process would hold. */
interface Backend {
  name: string;
  connect(): SessionStore;
}

const cleanups: Array<() => Promise<unknown>> = [];
const table = `satchel_test_tokens_${run}`;
let fileDir = "";
const memory = createMemoryStore();

const backends: Backend[] = [
  // One process: every instance shares the one in-memory map.
  { name: "memory", connect: () => memory },
  { name: "file", connect: () => createFileStore({ dir: fileDir, sweepIntervalMs: 0 }) },
  { name: "redis", connect: () => createRedisStore({ url: SHARED_REDIS, prefix: `satchel-tokens-${run}:` }) },
  { name: "postgres", connect: () => createPostgresStore({ url: SHARED_PG, table, sweepIntervalMs: 0 }) },
];

beforeAll(async () => {
  const dir = await tempDir("tokens");
  fileDir = dir.path;
  cleanups.push(dir.cleanup);
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  const client = new pg.Client({ connectionString: SHARED_PG });
  await client.connect();
  await client.query(`DROP TABLE IF EXISTS "${table}"`);
  await client.end();
});

for (const backend of backends) {
  describe(`single use over the ${backend.name} store`, () => {
    it(`${OPENS} concurrent opens from ${INSTANCES} app instances: exactly one gets the data`, async () => {
      const clock = testClock(Date.now());
      const instances = Array.from({ length: INSTANCES }, () => {
        const store = backend.connect();
        if (store !== memory) cleanups.push(async () => store.close?.());
        return tokenSatchel({ store, clock });
      });
      const [first] = instances;
      const text = await first!.satchel.sealToken("passwordReset", { userId: `u-${backend.name}` });
      const results = await Promise.all(
        Array.from({ length: OPENS }, (_, i) =>
          instances[i % INSTANCES]!.satchel.openToken("passwordReset", text),
        ),
      );
      expect(results.filter((result) => result !== null)).toEqual([{ userId: `u-${backend.name}` }]);
      const reports = instances.flatMap((instance) => instance.reports);
      expect(reports).toHaveLength(OPENS - 1);
      expect(new Set(reports.map((report) => `${report.token} ${report.reason}`))).toEqual(
        new Set(["passwordReset used"]),
      );
      // Later opens, from any instance, stay refused.
      for (const instance of instances) {
        expect(await instance.satchel.openToken("passwordReset", text)).toBeNull();
      }
      // Another token of the same kind is its own: it opens once too.
      const other = await first!.satchel.sealToken("passwordReset", { userId: "u-other" });
      expect(await instances[1]!.satchel.openToken("passwordReset", other)).toEqual({ userId: "u-other" });
    });
  });
}

describe("a store outage during a singleUse open (private Redis, stopped and started)", () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.cleanup();
  });

  it("rejects with SessionStoreUnavailableError, hands out nothing, and the token still opens once afterwards", async () => {
    const clock = testClock(Date.now());
    const store = createRedisStore({ url: redis.url, timeoutMs: 500, prefix: "tokens:" });
    cleanups.push(async () => store.close());
    const { satchel, reports } = tokenSatchel({ store, clock });
    const text = await satchel.sealToken("passwordReset", { userId: "u1" });
    // Kinds without singleUse need no store: they keep opening during the outage.
    const change = await satchel.sealToken("emailChange", { userId: "u1" });
    await redis.server.stop();
    const during = await satchel.openToken("passwordReset", text).then(
      (data) => ({ data }),
      (error: unknown) => ({ error }),
    );
    expect(during).toEqual({ error: expect.any(SessionStoreUnavailableError) });
    expect(await satchel.openToken("emailChange", change)).toEqual({ userId: "u1" });
    // A check without consuming needs the store as much: it may not say "unused" blindly.
    await expect(satchel.openToken("passwordReset", text, { consume: false })).rejects.toBeInstanceOf(
      SessionStoreUnavailableError,
    );
    expect(reports).toEqual([]);
    await redis.server.start();
    // The store reconnects in the background: retry until it answers.
    const opened = await eventually(() => satchel.openToken("passwordReset", text));
    expect(opened).toEqual({ userId: "u1" });
    expect(await satchel.openToken("passwordReset", text)).toBeNull();
    expect(reports.map((report) => report.reason)).toEqual(["used"]);
  });
});
