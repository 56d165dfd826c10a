/**
 * Every store backend the session-level store tests run over, each built on a test clock. Servers
 * (a private memcached and Redis Cluster) start in `startSharedServers()`; Postgres tables and temp
 * directories made here are removed by `stopSharedServers()`.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { createFileStore } from "../file.ts";
import { createMemcachedStore } from "../memcached.ts";
import { createMemoryStore } from "../memory.ts";
import { createPostgresStore } from "../postgres.ts";
import { createRedisStore } from "../redis.ts";
import { createTieredStore } from "../tiered.ts";
import type { SessionStore } from "../types.ts";
import { startMemcached, startRedisCluster, tempDir } from "./servers.ts";

export const SHARED_PG = "postgres://postgres@127.0.0.1:5432/test";
export const SHARED_REDIS = "redis://127.0.0.1:6379";

export interface Backend {
  name: string;
  /** The store can list a user's sessions (revokeUser, listUserSessions). */
  userIndex: boolean;
  make(now: () => number): Promise<SessionStore>;
}

/** The backends of one test file: `label` keeps its Postgres tables and Redis keys apart from other files'. */
export function storeBackends(label: string): {
  backends: Backend[];
  startSharedServers(): Promise<void>;
  stopSharedServers(): Promise<void>;
} {
  const run = `${label}_${randomBytes(4).toString("hex")}`;
  const shared: { memcachedUrl?: string; clusterPorts?: number[] } = {};
  const cleanups: Array<() => Promise<unknown>> = [];
  const tables: string[] = [];
  let tableCount = 0;
  const table = () => {
    const name = `satchel_test_${run}_${++tableCount}`;
    tables.push(name);
    return name;
  };

  const backends: Backend[] = [
    { name: "memory", userIndex: true, make: async (now) => createMemoryStore({ now }) },
    {
      name: "file",
      userIndex: true,
      make: async (now) => {
        const dir = await tempDir(`${label}-file`);
        cleanups.push(dir.cleanup);
        return createFileStore({ dir: dir.path, now, sweepIntervalMs: 0 });
      },
    },
    {
      name: "redis",
      userIndex: true,
      make: async (now) => createRedisStore({ url: SHARED_REDIS, prefix: `satchel-${run}:`, now }),
    },
    {
      name: "redis cluster",
      userIndex: true,
      make: async (now) =>
        createRedisStore({
          clusterNodes: (shared.clusterPorts ?? []).map((port) => `127.0.0.1:${port}`),
          prefix: `satchel-${run}:`,
          now,
        }),
    },
    {
      name: "postgres",
      userIndex: true,
      make: async (now) => createPostgresStore({ url: SHARED_PG, table: table(), now, sweepIntervalMs: 0 }),
    },
    {
      name: "memcached",
      userIndex: false,
      make: async (now) =>
        createMemcachedStore({ url: shared.memcachedUrl ?? "", prefix: `satchel-${run}:`, now }),
    },
    {
      name: "tiered(memory over postgres)",
      userIndex: true,
      make: async (now) =>
        createTieredStore({
          cache: createMemoryStore({ now }),
          durable: createPostgresStore({ url: SHARED_PG, table: table(), now, sweepIntervalMs: 0 }),
          now,
        }),
    },
  ];

  return {
    backends,
    async startSharedServers() {
      const memcached = await startMemcached();
      cleanups.push(memcached.cleanup);
      shared.memcachedUrl = memcached.url;
      const cluster = await startRedisCluster();
      cleanups.push(cluster.cleanup);
      shared.clusterPorts = cluster.ports;
    },
    async stopSharedServers() {
      for (const cleanup of cleanups.reverse()) await cleanup();
      const client = new pg.Client({ connectionString: SHARED_PG });
      await client.connect();
      for (const name of tables) await client.query(`DROP TABLE IF EXISTS "${name}"`);
      await client.end();
    },
  };
}
