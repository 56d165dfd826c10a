/**
 * The Postgres store's pool: the one it was given, or one it creates from a URL with the store's
 * timeouts and `application_name` "satchel"; and how statements get a connection that is still there.
 * `pg` is loaded out of bundlers' sight (`../driver.ts`), so an app that does not use this store
 * builds without it.
 */
import type pg from "pg";
import { SatchelConfigError } from "../../errors.ts";
import { loadDriver } from "../driver.ts";
import { endpointOf, errorCode, redactUrl } from "../redact.ts";
import type { StoreTarget } from "../timeout.ts";

const { Pool } = await loadDriver(
  "pg",
  "postgres",
  () => import(/* webpackIgnore: true */ /* turbopackIgnore: true */ "pg"),
);

/** `application_name` of the connections of a pool the store creates, unless `poolOptions` or the URL name another. */
const DEFAULT_APPLICATION_NAME = "satchel";

export interface ConnectionOptions {
  pool?: pg.Pool | undefined;
  url?: string | undefined;
  poolOptions?: pg.PoolConfig | undefined;
}

export interface Connection {
  pool: pg.Pool;
  /** Created here (ended by the store's `close()`), not given by the app. */
  owned: boolean;
  target: StoreTarget;
}

/** The pool to use, from `pool` or `url`; a `SatchelConfigError` naming what to pass otherwise. */
export function connect(options: ConnectionOptions, timeoutMs: number): Connection {
  const target: StoreTarget = {
    kind: "postgres",
    endpoint: options.url === undefined ? undefined : endpointOf(options.url, 5432),
  };
  if (options.pool) return { pool: options.pool, owned: false, target };
  if (!options.url) {
    throw new SatchelConfigError(
      "satchel: createPostgresStore needs a pool or a url (postgres://user@host:5432/db); pass one of them.",
    );
  }
  if (!/^postgres(ql)?:\/\//.test(options.url)) {
    throw new SatchelConfigError(
      `satchel: the postgres store needs a postgres:// URL, got "${redactUrl(options.url)}".`,
    );
  }
  const pool = new Pool({
    connectionString: options.url,
    // So operators can find (and terminate) satchel's connections in pg_stat_activity.
    application_name: DEFAULT_APPLICATION_NAME,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    keepAlive: true,
    ...options.poolOptions,
  });
  // Idle connections dropped by a restarting server are reported here; without a listener the
  // pool's "error" event would crash the process. The next operation reconnects.
  pool.on("error", () => undefined);
  return { pool, owned: true, target };
}

const ignore = () => undefined;

/** Runs one statement. */
export type Query = (sql: string, params?: unknown[]) => Promise<pg.QueryResult>;

/**
 * Errors of a connection the server (or the network) dropped: terminated by an operator
 * (`pg_terminate_backend`, SQLSTATE 57P01), a server shutting down or crashed (57P02/57P03), a
 * connection exception (class 08), a reset socket, or pg's own "Connection terminated".
 */
function isDroppedConnection(error: unknown): boolean {
  const code = errorCode(error) ?? "";
  if (/^57P0[123]$/.test(code) || code.startsWith("08") || code === "ECONNRESET" || code === "EPIPE")
    return true;
  return error instanceof Error && /^Connection terminated|not queryable/.test(error.message);
}

/**
 * Statements on `pool` that survive dropped connections. A failover or `pg_terminate_backend` kills
 * every connection the pool holds, and the pool learns of each only when it is used, so without this
 * every pooled connection would fail one request with a 503. Here the first statement that meets a
 * dropped connection marks the moment; it and every later one skip (and close) connections opened
 * before it, and it runs once more on a fresh connection. A retry is safe: a dropped connection
 * either never ran the statement, or ran it whole (one statement each, see records.ts), and a
 * compare-and-set run twice finds its own version and reports a conflict, which the session merges.
 */
export function queryOnLiveConnections(pool: pg.Pool): Query {
  const openedAt = new WeakMap<pg.PoolClient, number>();
  pool.on("connect", (client: pg.PoolClient) => {
    openedAt.set(client, performance.now());
    // A dropped socket is also emitted as an "error" event; unheard, it would crash the process. The
    // pool listens only while a client is idle, and a listener added once a statement gets the client
    // comes too late when the server's last startup reply and its termination notice arrive in one
    // read (a server shutting down while the client connects): the client is handed out and the error
    // emitted in the same tick. So every client is heard for its whole life; the statement that gets
    // it then fails as "not queryable" and runs again on a fresh connection.
    client.on("error", ignore);
  });
  /** When a dropped connection was last met (performance.now() ms); -1: never. */
  let droppedAt = -1;

  async function checkout(): Promise<pg.PoolClient> {
    for (;;) {
      const client = await pool.connect();
      // Clients from before this store watched the pool count as opened at 0.
      if ((openedAt.get(client) ?? 0) > droppedAt) return client;
      client.release(true);
    }
  }

  async function run(sql: string, params: unknown[] | undefined): Promise<pg.QueryResult> {
    const client = await checkout();
    try {
      const result = await client.query(sql, params);
      client.release();
      return result;
    } catch (error) {
      // As pool.query does: a client whose statement failed is closed, not reused.
      client.release(error instanceof Error ? error : true);
      throw error;
    }
  }

  return async (sql, params) => {
    try {
      return await run(sql, params);
    } catch (error) {
      if (!isDroppedConnection(error)) throw error;
      droppedAt = performance.now();
      return run(sql, params);
    }
  };
}
