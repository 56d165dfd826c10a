/**
 * A fast cache store (memory, Redis) in front of a durable store (Postgres), as Tipfy put memcache
 * in front of its datastore.
 *
 * - Reads are served by the cache; a miss reads the durable store and fills the cache.
 * - Writes go to the durable store first — it owns the version — then to the cache. The cache entry
 *   carries the durable version and is only ever replaced by a newer one (compare-and-set on the
 *   cache), so racing writers cannot leave an older record in it.
 * - A compare-and-set conflict drops the cache entry, so the loser's reload reads the durable store.
 * - delete leaves a short-lived tombstone in the cache, so a read that raced the delete cannot put
 *   the deleted record back; touch drops the entry so the next read picks up the new expiry.
 * - The cache is an optimisation, never the truth: cache failures are reported to `onCacheError`
 *   and the durable store answers. Durable failures are the store's errors.
 *
 * Staleness bound: if the cache is unreachable exactly when a write lands, the entry it held may be
 * served until `cacheTtlMs` runs out (or a conflict drops it). Keep `cacheTtlMs` short.
 */
import type { SessionStore, StoredRecord, WriteOptions } from "./types.ts";

export interface TieredStoreOptions {
  /** The fast store reads are served from (memory, Redis). Give a network cache a short `timeoutMs`. */
  cache: SessionStore;
  /** The store that holds the truth and owns record versions (Postgres, file). */
  durable: SessionStore;
  /** Longest time a cache entry (or tombstone) lives, in ms; bounds staleness after a cache outage. Default 5 minutes. */
  cacheTtlMs?: number;
  /** Called when the cache fails; the operation still completes through the durable store. Default: ignore. */
  onCacheError?: (error: unknown, operation: string) => void;
  /** Close both stores in `close()`. Default true. */
  closeInner?: boolean;
  /** Clock in epoch ms, for tests. Default `Date.now`. */
  now?: () => number;
}

/** What the cache holds: a record with its durable version, or a tombstone for a deleted key. */
type CacheEntry = { v: string; ver: number; exp: number } | { deleted: true };

function encode(entry: CacheEntry): string {
  return JSON.stringify(entry);
}

function decode(text: string | undefined): CacheEntry | null {
  if (text === undefined) return null;
  try {
    const data = JSON.parse(text) as Partial<{ v: string; ver: number; exp: number; deleted: true }>;
    if (data.deleted === true) return { deleted: true };
    if (typeof data.v === "string" && typeof data.ver === "number" && typeof data.exp === "number") {
      return { v: data.v, ver: data.ver, exp: data.exp };
    }
  } catch {
    // Not ours: treated as a miss.
  }
  return null;
}

/** Attempts at replacing a cache entry before dropping it instead. */
const FILL_ATTEMPTS = 3;

/** Create a tiered store: `cache` in front of `durable`. */
export function createTieredStore(options: TieredStoreOptions): SessionStore {
  const { cache, durable } = options;
  const cacheTtlMs = options.cacheTtlMs ?? 5 * 60_000;
  const now = options.now ?? Date.now;
  const report = options.onCacheError ?? (() => undefined);

  /** Run a cache operation; on failure report it and return `fallback`. */
  async function quietly<T>(operation: string, run: () => Promise<T>, fallback: T): Promise<T> {
    try {
      return await run();
    } catch (error) {
      report(error, operation);
      return fallback;
    }
  }

  const cacheExpiry = (expiresAt: number) => Math.min(expiresAt, now() + cacheTtlMs);

  /** Put `record` in the cache unless it already holds this version or a newer one. */
  async function fillAfterWrite(
    key: string,
    value: string,
    version: number,
    expiresAt: number,
  ): Promise<void> {
    const entry = encode({ v: value, ver: version, exp: expiresAt });
    for (let attempt = 0; attempt < FILL_ATTEMPTS; attempt++) {
      const current = await cache.get(key);
      const held = decode(current?.value);
      if (held && !("deleted" in held) && held.ver >= version) return;
      const written = await cache.compareAndSet(key, entry, current?.version ?? null, {
        expiresAt: cacheExpiry(expiresAt),
      });
      if (written !== null) return;
    }
    await cache.delete(key);
  }

  async function afterWrite(key: string, value: string, version: number, expiresAt: number): Promise<void> {
    const filled = await quietly(
      "fill",
      () => fillAfterWrite(key, value, version, expiresAt).then(() => true),
      false,
    );
    // Could not update it: at least do not leave the old record there.
    if (!filled) await quietly("invalidate", () => cache.delete(key), undefined);
  }

  const store: SessionStore = {
    name: "tiered",
    async get(key): Promise<StoredRecord | null> {
      const cached = await quietly("get", () => cache.get(key), null);
      const entry = decode(cached?.value);
      if (entry && !("deleted" in entry) && entry.exp > now()) {
        return { value: entry.v, version: entry.ver, expiresAt: entry.exp };
      }
      const record = await durable.get(key);
      // Fill only an empty slot: never over a tombstone (a racing delete) or a newer write's entry.
      if (record && !entry) {
        const fill = encode({ v: record.value, ver: record.version, exp: record.expiresAt });
        await quietly(
          "fill",
          () => cache.compareAndSet(key, fill, null, { expiresAt: cacheExpiry(record.expiresAt) }),
          null,
        );
      }
      return record;
    },
    async set(key: string, value: string, write: WriteOptions): Promise<number> {
      const version = await durable.set(key, value, write);
      await afterWrite(key, value, version, write.expiresAt);
      return version;
    },
    async compareAndSet(key, value, expectedVersion, write) {
      const version = await durable.compareAndSet(key, value, expectedVersion, write);
      if (version === null) {
        // The caller read something stale — possibly from the cache: make its reload hit the durable store.
        await quietly("invalidate", () => cache.delete(key), undefined);
        return null;
      }
      await afterWrite(key, value, version, write.expiresAt);
      return version;
    },
    async delete(key) {
      await durable.delete(key);
      const tombstone = encode({ deleted: true });
      const marked = await quietly(
        "delete",
        () => cache.set(key, tombstone, { expiresAt: now() + cacheTtlMs }).then(() => true),
        false,
      );
      if (!marked) await quietly("invalidate", () => cache.delete(key), undefined);
    },
    async touch(key, expiresAt) {
      await durable.touch(key, expiresAt);
      await quietly("invalidate", () => cache.delete(key), undefined);
    },
    async close() {
      if (options.closeInner === false) return;
      await Promise.all([cache.close?.(), durable.close?.()]);
    },
  };
  if (durable.keysForUser) {
    const list = durable.keysForUser.bind(durable);
    store.keysForUser = (userId: string) => list(userId);
  }
  return store;
}
