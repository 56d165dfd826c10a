/**
 * The Postgres store's pool: the one it was given, or one it creates from a URL with the store's
 * timeouts; `pg` is loaded out of bundlers' sight (`../driver.ts`), so an app that does not use this
 * store builds without it.
 */
import type pg from "pg";
import { SatchelConfigError } from "../../errors.ts";
import { loadDriver } from "../driver.ts";
import { endpointOf, redactUrl } from "../redact.ts";
import type { StoreTarget } from "../timeout.ts";

const { Pool } = await loadDriver(
  "pg",
  "postgres",
  () => import(/* webpackIgnore: true */ /* turbopackIgnore: true */ "pg"),
);

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
