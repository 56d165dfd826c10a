/**
 * Where express-session kept its records: a client the app passes (ioredis and node-redis both fit
 * `RecordClient`), or a `redis://` URL for which an ioredis client is opened on first use. ioredis is
 * an optional peer, loaded out of bundlers' sight as the redis store loads it (../stores/driver.ts),
 * so an app that imports from a client of its own never needs it installed.
 */
import { SatchelConfigError, SessionStoreUnavailableError } from "../errors.ts";
import { loadDriver } from "../stores/driver.ts";

/** A client of the store express-session wrote to: `get` and, for `deleteOld`, `del` (ioredis, node-redis). */
export interface RecordClient {
  /** The text stored under `key`, `null` when there is none. */
  get(key: string): Promise<string | null>;
  /** Deletes `key`; needed only with `deleteOld: true`. */
  del?(key: string): Promise<unknown>;
}

/** Reads and deletes old records; rejects with `SessionStoreUnavailableError` when the store fails. */
export interface RecordStore {
  get(key: string): Promise<unknown>;
  del(key: string): Promise<void>;
  /** Closes a client opened from a URL; a client the app passed stays open (it is the app's). */
  close(): Promise<void>;
}

/** ioredis fails fast, as satchel's redis store does: an import waits at most this long. */
const TIMEOUT_MS = 2000;
const reconnectDelay = (times: number) => Math.min(50 * 2 ** Math.min(times, 5), 1000);

/** The store of the `store` option; a URL is checked now and connected on first use. */
export function recordStoreOf(store: string | URL | RecordClient, deleteOld: boolean): RecordStore {
  if (typeof store === "string" || store instanceof URL) return urlStore(parseRedisUrl(store));
  if (store === null || typeof store !== "object" || typeof store.get !== "function") {
    throw new SatchelConfigError(
      'satchel: expressSession() option "store" must be a redis:// URL or the client express-session\'s store used (ioredis or node-redis: an object with get(key)).',
    );
  }
  if (deleteOld && typeof store.del !== "function") {
    throw new SatchelConfigError(
      'satchel: expressSession() option "deleteOld" deletes old records, but the "store" client has no del(key); pass an ioredis or node-redis client, or drop deleteOld.',
    );
  }
  return clientStore(store, "express-session store", undefined);
}

function parseRedisUrl(store: string | URL): URL {
  let url: URL | undefined;
  try {
    url = new URL(store);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== "redis:" && url.protocol !== "rediss:")) {
    // Never echo the URL: it may hold the store's password.
    throw new SatchelConfigError(
      `satchel: expressSession() option "store" must be a redis:// or rediss:// URL (like redis://127.0.0.1:6379/0) or a client; got ${url === undefined ? "text that is not a URL" : `a ${url.protocol} URL`}.`,
    );
  }
  return url;
}

function urlStore(url: URL): RecordStore {
  const endpoint = `${url.hostname}:${url.port || "6379"}`;
  let opened: Promise<{ store: RecordStore; disconnect(): void }> | undefined;
  const open = () => {
    opened ??= loadDriver(
      "ioredis",
      "redis",
      () => import(/* webpackIgnore: true */ /* turbopackIgnore: true */ "ioredis"),
    ).then(
      ({ Redis }) => {
        const client = new Redis(url.href, {
          commandTimeout: TIMEOUT_MS,
          connectTimeout: TIMEOUT_MS,
          // Commands queued while disconnected fail on the next failed reconnect, not after minutes.
          maxRetriesPerRequest: 0,
          retryStrategy: reconnectDelay,
        });
        // Errors reach the command that failed; without a listener ioredis would also log each one.
        client.on("error", () => {});
        return { store: clientStore(client, "redis", endpoint), disconnect: () => client.disconnect() };
      },
      (error: unknown) => {
        opened = undefined;
        throw error;
      },
    );
    return opened;
  };
  return {
    async get(key) {
      return (await open()).store.get(key);
    },
    async del(key) {
      return (await open()).store.del(key);
    },
    async close() {
      if (opened === undefined) return;
      const current = opened;
      opened = undefined;
      (await current).disconnect();
    },
  };
}

function clientStore(client: RecordClient, name: string, endpoint: string | undefined): RecordStore {
  const unavailable = (operation: string, cause: unknown) =>
    new SessionStoreUnavailableError(name, operation, { cause, endpoint });
  return {
    async get(key) {
      try {
        return await client.get(key);
      } catch (cause) {
        throw unavailable("reading an express-session record to import", cause);
      }
    },
    async del(key) {
      try {
        await client.del?.(key);
      } catch (cause) {
        throw unavailable("deleting an imported express-session record", cause);
      }
    },
    async close() {},
  };
}
