/**
 * PostgreSQL store (pg). One row per record in a table it creates on first use (`schema.ts`), read
 * and written by single atomic statements (`records.ts`); expired rows are deleted by `sweep()`,
 * which also runs on an unref'd interval. Deletes are announced with NOTIFY and heard with LISTEN
 * (`delete-watch.ts`), so caches in front of this store on other processes drop an ended session at once.
 */
import type pg from "pg";
import { createDeleteWatches } from "../delete-watches.ts";
import { createSweeper } from "../sweeper.ts";
import { guard, resolveTimeout } from "../timeout.ts";
import type { DeleteListener, DeleteWatch, SessionStore, StoreBudget } from "../types.ts";
import { connect, queryOnLiveConnections } from "./connection.ts";
import { listenForDeletes } from "./delete-watch.ts";
import { recordStatements } from "./records.ts";
import { schemaOnce, tableName } from "./schema.ts";

export interface PostgresStoreOptions {
  /** A `pg.Pool` you created and own: the store never ends it. */
  pool?: pg.Pool;
  /** `postgres://` / `postgresql://` connection string for a pool the store creates (and ends in `close()`). */
  url?: string;
  /** Extra `pg.Pool` options for a pool the store creates (merged over the timeout defaults). */
  poolOptions?: pg.PoolConfig;
  /** Table name, optionally schema-qualified (`app.sessions`); created on first use. Default `satchel_sessions`. */
  table?: string;
  /** Per-operation budget in ms; past it the operation fails with `SessionStoreUnavailableError`. Default 2000. */
  timeoutMs?: number;
  /** Delete expired rows this often (ms), on an unref'd timer started by the first write. 0 disables. Default 10 minutes. */
  sweepIntervalMs?: number;
  /** Clock in epoch ms used to decide expiry, for tests. Default `Date.now`. */
  now?: () => number;
}

/** The Postgres store, with user listing, sweeping and delete notifications. */
export interface PostgresStore extends SessionStore {
  keysForUser(userId: string): Promise<string[]>;
  /** Hears deletes from every process (LISTEN/NOTIFY), for caches in front of this store. */
  watchDeletes(listener: DeleteListener): Promise<DeleteWatch>;
  /** Delete expired rows now. Returns how many were deleted. */
  sweep(): Promise<number>;
  close(): Promise<void>;
  /** The pool in use. */
  readonly pool: pg.Pool;
}

/** Create the Postgres store from a pool or a URL. Nothing is sent until the first operation. */
export function createPostgresStore(options: PostgresStoreOptions): PostgresStore {
  const timeoutMs = resolveTimeout("postgres", options.timeoutMs);
  const table = tableName(options.table ?? "satchel_sessions");
  const { pool, owned, target } = connect(options, timeoutMs);
  const query = queryOnLiveConnections(pool);
  const ensureSchema = schemaOnce(query, table);
  const records = recordStatements(
    table.quoted,
    async (sql, params) => {
      await ensureSchema();
      return query(sql, params);
    },
    options.now ?? Date.now,
  );
  /** Every operation, bounded by the store's deadline; failures become `SessionStoreUnavailableError`. */
  const bounded = <T>(operation: string, work: () => Promise<T>, budget?: StoreBudget) =>
    guard(target, operation, timeoutMs, work, budget);
  const sweep = () => bounded("sweep", () => records.sweep());
  const sweeper = createSweeper(options.sweepIntervalMs ?? 10 * 60_000, sweep);
  /** NOTIFY channel of deletes; every delete notifies it in the same statement. */
  const deletedChannel = `satchel_del_${table.indexPrefix}`;
  /** Watches still running, stopped by `close()`. */
  const watches = createDeleteWatches();

  return {
    name: "postgres",
    pool,
    get: (key, budget) => bounded("get", () => records.get(key), budget),
    set(key, value, write, budget) {
      sweeper.start();
      return bounded("set", () => records.set(key, value, write), budget);
    },
    compareAndSet(key, value, expectedVersion, write, budget) {
      sweeper.start();
      return bounded(
        "compareAndSet",
        () => records.compareAndSet(key, value, expectedVersion, write),
        budget,
      );
    },
    delete: (key, budget) => bounded("delete", () => records.delete(key, deletedChannel), budget),
    touch: (key, expiresAt, budget) => bounded("touch", () => records.touch(key, expiresAt), budget),
    watchDeletes: (listener) =>
      watches.watch((heard) => listenForDeletes(pool, deletedChannel, heard), listener),
    keysForUser: (userId) => bounded("keysForUser", () => records.keysForUser(userId)),
    sweep,
    async close() {
      await watches.stopAll();
      sweeper.stop();
      if (!owned) return;
      try {
        await bounded("close", () => pool.end());
      } catch {
        // The server is unreachable; the sockets are already being torn down by pool.end().
      }
    },
  };
}
