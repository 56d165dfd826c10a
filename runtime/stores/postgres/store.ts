/**
 * PostgreSQL store (pg). One row per record in a table it creates on first use:
 *
 *   key text PRIMARY KEY, value text, version bigint, expires_at bigint (epoch ms), user_id text
 *
 * with indexes on expires_at (for `sweep()`) and user_id (for "log out everywhere").
 * compareAndSet is a single statement — `UPDATE ... WHERE version = $n` or
 * `INSERT ... ON CONFLICT DO UPDATE ... WHERE <the old row expired>` — so Postgres's row locks make
 * it atomic; a failed statement changes nothing. Expired rows are never returned (every read filters
 * on expires_at) and are deleted by `sweep()`, which also runs on an unref'd interval.
 */
import type pg from "pg";
import { SatchelConfigError, SatchelError } from "../errors.ts";
import { createDeleteWatches } from "./delete-watches.ts";
import { loadDriver } from "./driver.ts";
import { endpointOf, redactUrl } from "./redact.ts";
import { guard, resolveTimeout, type StoreTarget } from "./timeout.ts";
import type { DeleteListener, DeleteWatch, SessionStore, StoredRecord } from "./types.ts";

// Loaded out of bundlers' sight (./driver.ts): an app that does not use this store builds without its driver.
const { Pool } = await loadDriver(
  "pg",
  "postgres",
  () => import(/* webpackIgnore: true */ /* turbopackIgnore: true */ "pg"),
);

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

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,47}$/;

/** Quote a (possibly schema-qualified) table name after checking it is a plain identifier. */
function tableNames(table: string): { quoted: string; indexPrefix: string } {
  const parts = table.split(".");
  if (parts.length > 2 || !parts.every((part) => IDENTIFIER.test(part))) {
    throw new SatchelConfigError(
      `satchel: the postgres store's table "${table}" is not a plain identifier; use letters, digits and _ (optionally schema.table).`,
    );
  }
  return {
    quoted: parts.map((part) => `"${part}"`).join("."),
    indexPrefix: parts[parts.length - 1] ?? table,
  };
}

/**
 * Errors two processes creating the same table at once can get; the table exists afterwards.
 * Losing a concurrent `CREATE … IF NOT EXISTS` raises unique_violation on the catalog, duplicate_table,
 * or duplicate_object for the table's row type (seen in CI: three stores at once).
 */
const CREATE_RACE = new Set(["23505", "42P07", "42710"]);

function errorCode(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && "code" in error ? String(error.code) : undefined;
}

/** Create the Postgres store from a pool or a URL. Nothing is sent until the first operation. */
export function createPostgresStore(options: PostgresStoreOptions): PostgresStore {
  const timeoutMs = resolveTimeout("postgres", options.timeoutMs);
  const now = options.now ?? Date.now;
  const sweepIntervalMs = options.sweepIntervalMs ?? 10 * 60_000;
  const { quoted: t, indexPrefix } = tableNames(options.table ?? "satchel_sessions");
  const owned = options.pool === undefined;
  let pool: pg.Pool;
  if (options.pool) {
    pool = options.pool;
  } else if (options.url) {
    if (!/^postgres(ql)?:\/\//.test(options.url)) {
      throw new SatchelConfigError(
        `satchel: the postgres store needs a postgres:// URL, got "${redactUrl(options.url)}".`,
      );
    }
    pool = new Pool({
      connectionString: options.url,
      connectionTimeoutMillis: timeoutMs,
      query_timeout: timeoutMs,
      keepAlive: true,
      ...options.poolOptions,
    });
    // Idle connections dropped by a restarting server are reported here; without a listener the
    // pool's "error" event would crash the process. The next operation reconnects.
    pool.on("error", () => undefined);
  } else {
    throw new SatchelConfigError(
      "satchel: createPostgresStore needs a pool or a url (postgres://user@host:5432/db); pass one of them.",
    );
  }

  const target: StoreTarget = {
    kind: "postgres",
    endpoint: options.url === undefined ? undefined : endpointOf(options.url, 5432),
  };

  /** NOTIFY channel of deletes; every delete notifies it in the same statement. */
  const deletedChannel = `satchel_del_${indexPrefix}`;
  let schemaReady: Promise<void> | null = null;
  let sweepTimer: NodeJS.Timeout | null = null;

  async function createSchema(): Promise<void> {
    const statements = [
      `CREATE TABLE IF NOT EXISTS ${t} (
        key text PRIMARY KEY,
        value text NOT NULL,
        version bigint NOT NULL,
        expires_at bigint NOT NULL,
        user_id text
      )`,
      `CREATE INDEX IF NOT EXISTS "${indexPrefix}_expires_at_idx" ON ${t} (expires_at)`,
      `CREATE INDEX IF NOT EXISTS "${indexPrefix}_user_id_idx" ON ${t} (user_id) WHERE user_id IS NOT NULL`,
    ];
    for (const sql of statements) {
      try {
        await pool.query(sql);
      } catch (error) {
        // Another process created it between our IF NOT EXISTS check and the insert into the catalog.
        if (!CREATE_RACE.has(errorCode(error) ?? "")) throw error;
      }
    }
  }

  /** Create the table once; a failure (server down) is retried by the next operation. */
  function ensureSchema(): Promise<void> {
    schemaReady ??= createSchema().catch((error: unknown) => {
      schemaReady = null;
      throw error;
    });
    return schemaReady;
  }

  async function query(sql: string, params: unknown[]): Promise<pg.QueryResult> {
    await ensureSchema();
    return pool.query(sql, params);
  }

  function startSweeper(): void {
    if (sweepTimer || sweepIntervalMs <= 0) return;
    sweepTimer = setInterval(() => {
      sweep().catch(() => {
        // Retried on the next tick; expired rows are filtered on read anyway.
      });
    }, sweepIntervalMs);
    sweepTimer.unref();
  }

  function sweep(): Promise<number> {
    return guard(target, "sweep", timeoutMs, async () => {
      const result = await query(`DELETE FROM ${t} WHERE expires_at <= $1`, [now()]);
      return result.rowCount ?? 0;
    });
  }

  /** Postgres text cannot hold NUL: refuse it as bad data instead of failing as an outage. */
  const checkUserId = (userId: string | undefined): string | null => {
    if (userId?.includes("\u0000")) {
      throw new SatchelError(
        "satchel: the postgres store cannot store a user id containing a NUL character (\\u0000); validate the userField value.",
      );
    }
    return userId ?? null;
  };

  /** A dedicated pool connection that LISTENs; reconnects (and says down/up) until stopped. */
  /** Watches still running, stopped by `close()`. */
  const watches = createDeleteWatches();
  const watchDeletes = (listener: DeleteListener) => watches.watch(startWatch, listener);

  async function startWatch(listener: DeleteListener): Promise<DeleteWatch> {
    let stopped = false;
    let current: pg.PoolClient | null = null;
    let retry: NodeJS.Timeout | null = null;
    const connect = async (): Promise<void> => {
      let connection: pg.PoolClient | null = null;
      try {
        connection = await pool.connect();
        const held = connection;
        let lost = false;
        const onLost = () => {
          if (lost) return;
          lost = true;
          held.release(true);
          if (current === held) current = null;
          listener.down();
          if (!stopped) retry = setTimeout(() => void connect(), 500).unref();
        };
        held.on("error", onLost);
        held.on("end", onLost);
        held.on("notification", (message) => {
          if (message.channel === deletedChannel && message.payload !== undefined)
            listener.deleted(message.payload);
        });
        await held.query(`LISTEN "${deletedChannel}"`);
        if (stopped) {
          held.release();
          return;
        }
        current = held;
        listener.up();
      } catch {
        connection?.release(true);
        listener.down();
        if (!stopped) retry = setTimeout(() => void connect(), 500).unref();
      }
    };
    await connect();
    return {
      async stop() {
        stopped = true;
        if (retry) clearTimeout(retry);
        const held = current;
        current = null;
        if (held) {
          held.removeAllListeners("end");
          held.removeAllListeners("error");
          held.on("error", () => undefined);
          held.release(true);
        }
      },
    };
  }

  const firstVersion = (result: pg.QueryResult): number | null => {
    const row = result.rows[0] as { version: string | number } | undefined;
    return row === undefined ? null : Number(row.version);
  };

  return {
    name: "postgres",
    pool,
    get(key) {
      return guard(target, "get", timeoutMs, async () => {
        const result = await query(
          `SELECT value, version, expires_at FROM ${t} WHERE key = $1 AND expires_at > $2`,
          [key, now()],
        );
        const row = result.rows[0] as { value: string; version: string; expires_at: string } | undefined;
        if (!row) return null;
        return {
          value: row.value,
          version: Number(row.version),
          expiresAt: Number(row.expires_at),
        } satisfies StoredRecord;
      });
    },
    set(key, value, write) {
      startSweeper();
      return guard(target, "set", timeoutMs, async () => {
        const result = await query(
          `INSERT INTO ${t} AS r (key, value, version, expires_at, user_id) VALUES ($1, $2, 1, $3, $4)
           ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, version = r.version + 1,
             expires_at = EXCLUDED.expires_at, user_id = EXCLUDED.user_id
           RETURNING version`,
          [key, value, write.expiresAt, checkUserId(write.userId)],
        );
        const version = firstVersion(result);
        if (version === null) throw new Error("INSERT ... RETURNING returned no row");
        return version;
      });
    },
    compareAndSet(key, value, expectedVersion, write) {
      startSweeper();
      return guard(target, "compareAndSet", timeoutMs, async () => {
        if (expectedVersion === null) {
          // Insert, or take over a row that exists but has expired (it is not "live").
          const result = await query(
            `INSERT INTO ${t} AS r (key, value, version, expires_at, user_id) VALUES ($1, $2, 1, $3, $4)
             ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, version = r.version + 1,
               expires_at = EXCLUDED.expires_at, user_id = EXCLUDED.user_id
             WHERE r.expires_at <= $5
             RETURNING version`,
            [key, value, write.expiresAt, checkUserId(write.userId), now()],
          );
          return firstVersion(result);
        }
        const result = await query(
          `UPDATE ${t} SET value = $2, version = version + 1, expires_at = $3, user_id = $4
           WHERE key = $1 AND version = $5 AND expires_at > $6
           RETURNING version`,
          [key, value, write.expiresAt, checkUserId(write.userId), expectedVersion, now()],
        );
        return firstVersion(result);
      });
    },
    delete(key) {
      return guard(target, "delete", timeoutMs, async () => {
        // One statement: the notification is sent exactly when the delete commits.
        await query(
          `WITH gone AS (DELETE FROM ${t} WHERE key = $1 RETURNING key) SELECT pg_notify($2, key) FROM gone`,
          [key, deletedChannel],
        );
      });
    },
    touch(key, expiresAt) {
      return guard(target, "touch", timeoutMs, async () => {
        await query(`UPDATE ${t} SET expires_at = $2 WHERE key = $1 AND expires_at > $3`, [
          key,
          expiresAt,
          now(),
        ]);
      });
    },
    watchDeletes,
    keysForUser(userId) {
      return guard(target, "keysForUser", timeoutMs, async () => {
        const result = await query(
          `SELECT key FROM ${t} WHERE user_id = $1 AND expires_at > $2 ORDER BY key`,
          [userId, now()],
        );
        return (result.rows as Array<{ key: string }>).map((row) => row.key);
      });
    },
    sweep,
    async close() {
      await watches.stopAll();
      if (sweepTimer) clearInterval(sweepTimer);
      sweepTimer = null;
      if (!owned) return;
      try {
        await guard(target, "close", timeoutMs, () => pool.end());
      } catch {
        // The server is unreachable; the sockets are already being torn down by pool.end().
      }
    },
  };
}
