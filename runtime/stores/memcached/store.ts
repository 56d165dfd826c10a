/**
 * memcached store (memjs). A record is one item holding JSON `{ v, ver, exp, uid? }`, with a
 * memcached TTL from `expiresAt`.
 *
 * Atomicity uses memcached's own CAS, over binary protocol requests of our own (`items.ts`).
 * memcached cannot list keys, so there is no `keysForUser`.
 */
import type memjs from "memjs";
import { SatchelConfigError, SessionStoreUnavailableError } from "../../errors.ts";
import { loadDriver } from "../driver.ts";
import { redactUrl } from "../redact.ts";
import { guard, resolveTimeout, type StoreTarget } from "../timeout.ts";
import type { SessionStore, StoredRecord, WriteOptions } from "../types.ts";
import { createItems, type Item } from "./items.ts";

// Loaded out of bundlers' sight (../driver.ts): an app that does not use this store builds without its driver.
const { Client, Server } = await loadDriver(
  "memjs",
  "memcached",
  () => import(/* webpackIgnore: true */ /* turbopackIgnore: true */ "memjs"),
);

export interface MemcachedStoreOptions {
  /** A memjs client you created and own: the store never closes it. */
  client?: memjs.Client;
  /** `memcached://host:port` (several: `memcached://h1:11211,h2:11211`) for a client the store creates. */
  url?: string;
  /** Prefix of every memcached key this store writes. Default `"satchel:"`. */
  prefix?: string;
  /** Per-operation budget in ms; past it the operation fails with `SessionStoreUnavailableError`. Default 2000. */
  timeoutMs?: number;
  /**
   * Largest item this store sends, in bytes. memcached drops the old item when a SET is over its
   * `-I` limit, so oversize records are refused here, before they reach the server. Default 1,000,000
   * (under memcached's default 1 MiB, leaving room for the item header).
   */
  maxItemBytes?: number;
  /** Clock in epoch ms used to decide expiry, for tests. Default `Date.now`. */
  now?: () => number;
}

export interface MemcachedStore extends SessionStore {
  close(): Promise<void>;
}

/** Attempts of an unconditional set racing other writers before giving up. */
const SET_ATTEMPTS = 50;
/** Longest memcached key. */
const MAX_KEY_BYTES = 250;

/**
 * The servers for error messages: `host:port` of each, without the `user:password@` memjs accepts in
 * front of it (the store's errors say where it failed, never with what credentials).
 */
function endpointsOf(servers: string): string {
  return servers
    .split(",")
    .map((server) => server.slice(server.lastIndexOf("@") + 1))
    .join(",");
}

function serversFromUrl(url: string): string {
  if (!url.startsWith("memcached://")) {
    throw new SatchelConfigError(
      `satchel: the memcached store needs a memcached://host:port URL, got "${redactUrl(url)}".`,
    );
  }
  const hosts = url.slice("memcached://".length).split(/[/?#]/)[0] ?? "";
  if (hosts === "")
    throw new SatchelConfigError(`satchel: the memcached URL "${redactUrl(url)}" names no server.`);
  return hosts;
}

/**
 * The memjs client to use, from `client` or `url`; `owned` when the store created it (and closes it).
 * A client the store creates comes with `renew`, which swaps a server whose request failed for a fresh
 * one: memjs 1.3 gives up on a connection whose request timed out by ending it, not destroying it, and
 * that socket's handlers keep acting on its server object's current connection. When the server answers
 * and closes it at last (a memcached resumed after a pause), its `close` clears the connection of that
 * moment: one still opening then never sends the requests queued on it (they get no answer, and no
 * memjs timeout either, only the store's 503), and one already open is cut loose from memjs. Its late
 * bytes also land in the server object's read buffer. By the time memjs reports the failure it has
 * failed every request of that server and dropped its connection, so a fresh server object loses
 * nothing, and the old socket's events reach only the retired one.
 */
function connect(
  options: MemcachedStoreOptions,
  timeoutMs: number,
): { client: memjs.Client; owned: boolean; renew?: (failed: memjs.Server) => void } {
  if (options.client) return { client: options.client, owned: false };
  if (!options.url) {
    throw new SatchelConfigError(
      "satchel: createMemcachedStore needs a client or a url (memcached://127.0.0.1:11211); pass one of them.",
    );
  }
  const clientOptions = {
    timeout: timeoutMs / 1000,
    conntimeout: timeoutMs / 1000,
    // No client-side retries: the store reports the outage at once and the caller decides.
    retries: 1,
    keepAlive: true,
    logger: { log: () => undefined },
  };
  // memjs parses the server list (user:pass@host:port,…); the client then gets a list of the store's
  // own, which memjs uses as given, so `renew` can replace a server in it.
  const servers = [...Client.create(serversFromUrl(options.url), clientOptions).servers];
  const renew = (failed: memjs.Server) => {
    // Several requests of one server fail together: only the first replaces it.
    const index = servers.indexOf(failed);
    if (index === -1) return;
    servers[index] = new Server(failed.host, failed.port, failed.username, failed.password, failed.options);
  };
  return { client: new Client(servers, clientOptions), owned: true, renew };
}

/** Create the memcached store from a memjs client or a URL. Connects on first use. */
export function createMemcachedStore(options: MemcachedStoreOptions): MemcachedStore {
  const timeoutMs = resolveTimeout("memcached", options.timeoutMs);
  const prefix = options.prefix ?? "satchel:";
  const now = options.now ?? Date.now;
  const { client, owned, renew } = connect(options, timeoutMs);
  const { read, store, remove } = createItems(client, options.maxItemBytes ?? 1_000_000, now, renew);
  const target: StoreTarget = {
    kind: "memcached",
    endpoint: options.url === undefined ? undefined : endpointsOf(serversFromUrl(options.url)),
  };

  function itemKey(key: string): Buffer {
    const full = Buffer.from(prefix + key, "utf8");
    // The protocol forbids spaces and control characters (bytes up to 0x20, and 0x7f) in keys.
    if (full.length > MAX_KEY_BYTES || full.some((byte) => byte <= 0x20 || byte === 0x7f)) {
      throw new SatchelConfigError(
        `satchel: memcached keys must be under ${MAX_KEY_BYTES} bytes without spaces or control characters; got "${key}".`,
      );
    }
    return full;
  }

  const live = (item: Item | null): item is Item => item !== null && item.exp > now();

  const newItem = (value: string, version: number, write: WriteOptions): Item => {
    const item: Item = { v: value, ver: version, exp: write.expiresAt };
    if (write.userId !== undefined) item.uid = write.userId;
    return item;
  };

  return {
    name: "memcached",
    // memcached evicts under memory pressure and forgets everything on restart: a cookie layout kept
    // here could vanish while cookies written in it live on (see SessionStore.durable).
    durable: false,
    get(key, budget) {
      return guard(
        target,
        "get",
        timeoutMs,
        async () => {
          const item = (await read(itemKey(key)))?.item ?? null;
          if (!live(item)) return null;
          return { value: item.v, version: item.ver, expiresAt: item.exp } satisfies StoredRecord;
        },
        budget,
      );
    },
    set(key, value, write, budget) {
      return guard(
        target,
        "set",
        timeoutMs,
        async () => {
          const k = itemKey(key);
          for (let attempt = 0; attempt < SET_ATTEMPTS; attempt++) {
            const found = await read(k);
            const version = (found?.item?.ver ?? 0) + 1;
            if (await store(k, newItem(value, version, write), found ? found.cas : "add")) return version;
          }
          throw new SessionStoreUnavailableError("memcached", "set", {
            endpoint: target.endpoint,
            cause: new Error(`lost ${SET_ATTEMPTS} CAS races in a row on one key`),
          });
        },
        budget,
      );
    },
    compareAndSet(key, value, expectedVersion, write, budget) {
      return guard(
        target,
        "compareAndSet",
        timeoutMs,
        async () => {
          const k = itemKey(key);
          if (expectedVersion === null && (await store(k, newItem(value, 1, write), "add"))) return 1;
          // ADD lost: an item exists — maybe expired by our clock but not yet dropped by memcached.
          const found = await read(k);
          if (!found) return null; // missing (a version was expected), or deleted meanwhile: the caller reloads
          const isLive = live(found.item);
          if (expectedVersion === null ? isLive : !isLive || found.item?.ver !== expectedVersion) return null;
          const version = (found.item?.ver ?? 0) + 1;
          return (await store(k, newItem(value, version, write), found.cas)) ? version : null;
        },
        budget,
      );
    },
    delete(key, budget) {
      return guard(
        target,
        "delete",
        timeoutMs,
        async () => {
          await remove(itemKey(key));
        },
        budget,
      );
    },
    touch(key, expiresAt, budget) {
      return guard(
        target,
        "touch",
        timeoutMs,
        async () => {
          const k = itemKey(key);
          const found = await read(k);
          if (!found || !live(found.item)) return;
          // A lost race means a newer write landed, with its own fresh expiry: nothing left to do.
          await store(k, { ...found.item, exp: expiresAt }, found.cas);
        },
        budget,
      );
    },
    async close() {
      if (owned) client.close();
    },
  };
}
