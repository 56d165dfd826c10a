/**
 * memcached store (memjs). A record is one item holding JSON `{ v, ver, exp, uid? }`, with a
 * memcached TTL from `expiresAt`.
 *
 * Atomicity uses memcached's own CAS: memjs 1.3 speaks the binary protocol but exposes no CAS
 * calls, so this file builds GET / SET-with-CAS / ADD / DELETE requests itself and sends them with
 * memjs's `perform` (connection handling, timeouts and server selection stay memjs's). A SET that
 * carries the CAS token from the GET fails with "exists" if anyone wrote the item in between, which
 * is what makes compareAndSet atomic. memcached cannot list keys, so there is no `keysForUser`.
 */
import type memjs from "memjs";
import { SatchelConfigError, SatchelError, SessionStoreUnavailableError } from "../errors.ts";
import { loadDriver } from "./driver.ts";
import { redactUrl } from "./redact.ts";
import { guard, resolveTimeout, type StoreTarget } from "./timeout.ts";
import type { SessionStore, StoredRecord, WriteOptions } from "./types.ts";

// Loaded out of bundlers' sight (./driver.ts): an app that does not use this store builds without its driver.
const { Client } = await loadDriver(
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

/** Binary protocol opcodes and statuses used here. */
const OP = { get: 0x00, set: 0x01, add: 0x02, delete: 0x04 } as const;
const STATUS = { ok: 0, notFound: 1, exists: 2, tooLarge: 3, notStored: 5 } as const;
/** memcached reads an expiry above 30 days as an absolute unix time. */
const RELATIVE_LIMIT_S = 60 * 60 * 24 * 30;
/** Attempts of an unconditional set racing other writers before giving up. */
const SET_ATTEMPTS = 50;
/** Longest memcached key. */
const MAX_KEY_BYTES = 250;

interface Item {
  v: string;
  ver: number;
  exp: number;
  uid?: string;
}

interface Response {
  header: { status: number; cas: Buffer };
  val: Buffer;
}

function request(
  opcode: number,
  key: Buffer,
  extras: Buffer,
  value: Buffer,
  seq: number,
  cas?: Buffer,
): Buffer {
  const buf = Buffer.alloc(24 + extras.length + key.length + value.length);
  buf.writeUInt8(0x80, 0); // request magic
  buf.writeUInt8(opcode, 1);
  buf.writeUInt16BE(key.length, 2);
  buf.writeUInt8(extras.length, 4);
  buf.writeUInt32BE(extras.length + key.length + value.length, 8);
  buf.writeUInt32BE(seq, 12);
  cas?.copy(buf, 16);
  extras.copy(buf, 24);
  key.copy(buf, 24 + extras.length);
  value.copy(buf, 24 + extras.length + key.length);
  return buf;
}

function parseItem(val: Buffer | null | undefined): Item | null {
  if (!val) return null;
  try {
    const data = JSON.parse(val.toString("utf8")) as Partial<Item>;
    if (typeof data.v !== "string" || typeof data.ver !== "number" || typeof data.exp !== "number")
      return null;
    return data as Item;
  } catch {
    return null;
  }
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

/** Create the memcached store from a memjs client or a URL. Connects on first use. */
export function createMemcachedStore(options: MemcachedStoreOptions): MemcachedStore {
  const timeoutMs = resolveTimeout("memcached", options.timeoutMs);
  const prefix = options.prefix ?? "satchel:";
  const now = options.now ?? Date.now;
  const maxItemBytes = options.maxItemBytes ?? 1_000_000;
  const owned = options.client === undefined;
  let client: memjs.Client;
  if (options.client) {
    client = options.client;
  } else if (options.url) {
    client = Client.create(serversFromUrl(options.url), {
      timeout: timeoutMs / 1000,
      conntimeout: timeoutMs / 1000,
      // No client-side retries: the store reports the outage at once and the caller decides.
      retries: 1,
      keepAlive: true,
      logger: { log: () => undefined },
    });
  } else {
    throw new SatchelConfigError(
      "satchel: createMemcachedStore needs a client or a url (memcached://127.0.0.1:11211); pass one of them.",
    );
  }

  const target: StoreTarget = {
    kind: "memcached",
    endpoint: options.url === undefined ? undefined : serversFromUrl(options.url),
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

  function send(opcode: number, key: Buffer, extras: Buffer, value: Buffer, cas?: Buffer): Promise<Response> {
    return new Promise((resolve, reject) => {
      client.incrSeq();
      const seq = client.seq;
      client.perform(
        key.toString("utf8"),
        request(opcode, key, extras, value, seq, cas),
        seq,
        (error, response) => {
          if (error) reject(error);
          else resolve(response as Response);
        },
      );
    });
  }

  /** memcached expiry for an epoch-ms deadline: relative seconds, or a unix time past 30 days. Never 0 (= forever). */
  function expiry(expiresAt: number): number {
    const seconds = Math.ceil((expiresAt - now()) / 1000);
    if (seconds <= 0) return -1; // negative: already expired (and the record is filtered by `exp` anyway)
    return seconds > RELATIVE_LIMIT_S ? Math.ceil(expiresAt / 1000) : seconds;
  }

  /** The item and its CAS token; `item` null when the stored bytes are not ours (overwritten like a missing one). */
  async function read(key: Buffer): Promise<{ item: Item | null; cas: Buffer } | null> {
    const response = await send(OP.get, key, Buffer.alloc(0), Buffer.alloc(0));
    if (response.header.status === STATUS.notFound) return null;
    if (response.header.status !== STATUS.ok)
      throw new Error(`memcached GET status ${response.header.status}`);
    return { item: parseItem(response.val), cas: Buffer.from(response.header.cas) };
  }

  /** SET (with `cas`: only if unchanged) or ADD (`cas` "add": only if absent). Returns false on a lost race. */
  async function store(key: Buffer, item: Item, cas: Buffer | "add" | null): Promise<boolean> {
    const extras = Buffer.alloc(8);
    extras.writeInt32BE(expiry(item.exp), 4);
    const body = Buffer.from(JSON.stringify(item), "utf8");
    if (body.length > maxItemBytes) throw tooLarge(body.length);
    const response =
      cas === "add"
        ? await send(OP.add, key, extras, body)
        : await send(OP.set, key, extras, body, cas ?? undefined);
    const status = response.header.status;
    if (status === STATUS.ok) return true;
    if (status === STATUS.tooLarge) throw tooLarge(body.length);
    if (status === STATUS.exists || status === STATUS.notFound || status === STATUS.notStored) return false;
    throw new Error(`memcached ${cas === "add" ? "ADD" : "SET"} status ${status}`);
  }

  const tooLarge = (bytes: number) =>
    new SatchelError(
      `satchel: a session record of ${bytes} bytes is over the memcached store's item size limit (${maxItemBytes} bytes); ` +
        "store less in the session, raise memcached's -I limit and maxItemBytes, or use the Redis or Postgres store.",
    );

  const live = (item: Item | null): item is Item => item !== null && item.exp > now();

  const newItem = (value: string, version: number, write: WriteOptions): Item => {
    const item: Item = { v: value, ver: version, exp: write.expiresAt };
    if (write.userId !== undefined) item.uid = write.userId;
    return item;
  };

  return {
    name: "memcached",
    get(key) {
      return guard(target, "get", timeoutMs, async () => {
        const item = (await read(itemKey(key)))?.item ?? null;
        if (!live(item)) return null;
        return { value: item.v, version: item.ver, expiresAt: item.exp } satisfies StoredRecord;
      });
    },
    set(key, value, write) {
      return guard(target, "set", timeoutMs, async () => {
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
      });
    },
    compareAndSet(key, value, expectedVersion, write) {
      return guard(target, "compareAndSet", timeoutMs, async () => {
        const k = itemKey(key);
        if (expectedVersion === null && (await store(k, newItem(value, 1, write), "add"))) return 1;
        // ADD lost: an item exists — maybe expired by our clock but not yet dropped by memcached.
        const found = await read(k);
        if (!found) return null; // missing (a version was expected), or deleted meanwhile: the caller reloads
        const isLive = live(found.item);
        if (expectedVersion === null ? isLive : !isLive || found.item?.ver !== expectedVersion) return null;
        const version = (found.item?.ver ?? 0) + 1;
        return (await store(k, newItem(value, version, write), found.cas)) ? version : null;
      });
    },
    delete(key) {
      return guard(target, "delete", timeoutMs, async () => {
        const response = await send(OP.delete, itemKey(key), Buffer.alloc(0), Buffer.alloc(0));
        const status = response.header.status;
        if (status !== STATUS.ok && status !== STATUS.notFound)
          throw new Error(`memcached DELETE status ${status}`);
      });
    },
    touch(key, expiresAt) {
      return guard(target, "touch", timeoutMs, async () => {
        const k = itemKey(key);
        const found = await read(k);
        if (!found || !live(found.item)) return;
        // A lost race means a newer write landed, with its own fresh expiry: nothing left to do.
        await store(k, { ...found.item, exp: expiresAt }, found.cas);
      });
    },
    async close() {
      if (owned) client.close();
    },
  };
}
