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
 * - Several processes, each with its own cache: when the durable store can announce deletes (Redis
 *   pub/sub, Postgres LISTEN/NOTIFY: `watchDeletes`), every instance tombstones a deleted key in its
 *   cache as soon as the notice arrives, so destroy() and revokeUser() on one instance end the session
 *   on all of them. While that channel is down the cache is bypassed, and entries filled before it
 *   came back are not trusted (deletes may have been missed meanwhile). A durable store that cannot
 *   announce deletes (file, memcached) makes the cache single-process: use it with one instance only.
 *
 * A request's store budget (`StoreBudget`) goes to the durable store only: the cache's failures
 * are reported and passed over, so its waits must not use up the request's time for the durable one.
 *
 * Staleness bound for writes (not deletes): if the cache is unreachable exactly when a write lands,
 * the entry it held may be served until `cacheTtlMs` runs out (or a conflict drops it). Stale data
 * is never written back: writes compare-and-set against the durable version.
 */
import type { SessionStore, StoredRecord, WriteOptions } from "../types.ts";
import { createDeleteTrust } from "./delete-trust.ts";
import { type CacheEntry, decode, encode, type FilledEntry } from "./entries.ts";

export interface TieredStoreOptions {
  /** The fast store reads are served from (memory, Redis). Give a network cache a short `timeoutMs`. */
  cache: SessionStore;
  /** The store that holds the truth and owns record versions (Postgres, file). */
  durable: SessionStore;
  /** Longest time a cache entry (or tombstone) lives, in ms; bounds staleness after a cache outage. Default 5 minutes. */
  cacheTtlMs?: number;
  /** Called when the cache fails; the operation still completes through the durable store. Default: ignore. */
  onCacheError?: (error: unknown, operation: string) => void;
  /**
   * Drop deleted sessions from this cache when any instance deletes them, through the durable store's
   * `watchDeletes` (Redis, Postgres). Default true; without it (or with a durable store that cannot
   * announce deletes) run one instance only.
   */
  watchDeletes?: boolean;
  /** Close both stores in `close()`. Default true. */
  closeInner?: boolean;
  /** Clock in epoch ms, for tests. Default `Date.now`. */
  now?: () => number;
}

type Report = (error: unknown, operation: string) => void;

/** Attempts at replacing a cache entry after a write before dropping it instead. */
const FILL_ATTEMPTS = 3;

/** Runs cache operations: a failure is reported and answered with `fallback` (the cache is never the truth). */
function reportingTo(report: Report) {
  return async <T>(operation: string, run: () => Promise<T>, fallback: T): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      report(error, operation);
      return fallback;
    }
  };
}

/** Create a tiered store: `cache` in front of `durable`. */
export function createTieredStore(options: TieredStoreOptions): SessionStore {
  const { cache, durable } = options;
  const cacheTtlMs = options.cacheTtlMs ?? 5 * 60_000;
  const now = options.now ?? Date.now;
  const report = options.onCacheError ?? (() => undefined);
  const quietly = reportingTo(report);

  const cacheExpiry = (expiresAt: number) => Math.min(expiresAt, now() + cacheTtlMs);

  const tombstone = encode({ deleted: true });
  const markDeleted = (key: string) =>
    quietly(
      "delete",
      () => cache.set(key, tombstone, { expiresAt: now() + cacheTtlMs }).then(() => true),
      false,
    );
  const invalidate = (key: string) => quietly("invalidate", () => cache.delete(key), undefined);
  const deletes = createDeleteTrust(
    durable,
    options.watchDeletes !== false,
    (key) => {
      void markDeleted(key).then((marked) => {
        if (!marked) void invalidate(key);
      });
    },
    report,
  );

  /** A cache entry that may be served: live, and filled while deletes were being heard. */
  const trusted = (entry: CacheEntry | null): entry is FilledEntry => {
    const since = deletes.since();
    return (
      entry !== null && !("deleted" in entry) && entry.exp > now() && since !== null && entry.at >= since
    );
  };

  /**
   * After a write of `value` as durable `version`: the cache gets it unless it already holds this
   * version or a newer one that may be served; after `FILL_ATTEMPTS` lost compare-and-sets the entry
   * is dropped instead. The fill runs here, not through `quietly` or a helper: every write comes
   * here, and each async layer was a promise step.
   */
  async function afterWrite(key: string, value: string, version: number, expiresAt: number): Promise<void> {
    // While deletes are not heard nothing new is cached; the old entry must still go.
    if (deletes.since() !== null) {
      try {
        const text = encode({ v: value, ver: version, exp: expiresAt, at: Date.now() });
        const write = { expiresAt: cacheExpiry(expiresAt) };
        for (let attempt = 0; attempt < FILL_ATTEMPTS; attempt++) {
          const current = await cache.get(key);
          const held = decode(current?.value);
          if (held && !("deleted" in held) && held.ver >= version && trusted(held)) return;
          if ((await cache.compareAndSet(key, text, current?.version ?? null, write)) !== null) return;
        }
        await cache.delete(key);
        return;
      } catch (error) {
        report(error, "fill");
      }
    }
    // Could not update it: at least do not leave the old record there.
    await invalidate(key);
  }

  const store: SessionStore = {
    name: "tiered",
    // What it keeps, the durable store keeps (the cache only mirrors it).
    ...(durable.durable === undefined ? {} : { durable: durable.durable }),
    async get(key, budget): Promise<StoredRecord | null> {
      // Every read asks: once listening, without the await (and its microtask) of start().
      if (!deletes.started()) await deletes.start();
      // `quietly` inlined: a hit is the hot path, and needs no closure or async wrapper.
      let cached: StoredRecord | null = null;
      try {
        cached = await cache.get(key);
      } catch (error) {
        report(error, "get");
      }
      const entry = decode(cached?.value);
      if (trusted(entry)) return { value: entry.v, version: entry.ver, expiresAt: entry.exp };
      const since = deletes.since();
      const record = await durable.get(key, budget);
      // Fill an empty slot, or replace an entry from before the delete channel (re)connected; never
      // over a tombstone (a racing delete) or a newer write's entry (the cache's compare-and-set).
      const replaceable = entry === null || (!("deleted" in entry) && !trusted(entry));
      if (record && since !== null && replaceable) {
        const fill = encode({ v: record.value, ver: record.version, exp: record.expiresAt, at: since });
        await quietly(
          "fill",
          () =>
            cache.compareAndSet(key, fill, cached?.version ?? null, {
              expiresAt: cacheExpiry(record.expiresAt),
            }),
          null,
        );
      }
      return record;
    },
    async set(key: string, value: string, write: WriteOptions, budget): Promise<number> {
      const version = await durable.set(key, value, write, budget);
      await afterWrite(key, value, version, write.expiresAt);
      return version;
    },
    async compareAndSet(key, value, expectedVersion, write, budget) {
      const version = await durable.compareAndSet(key, value, expectedVersion, write, budget);
      if (version === null) {
        // The caller read something stale — possibly from the cache: make its reload hit the durable store.
        await invalidate(key);
        return null;
      }
      await afterWrite(key, value, version, write.expiresAt);
      return version;
    },
    async delete(key, budget) {
      await durable.delete(key, budget);
      if (!(await markDeleted(key))) await invalidate(key);
    },
    async touch(key, expiresAt, budget) {
      await durable.touch(key, expiresAt, budget);
      await invalidate(key);
    },
    async close() {
      await deletes.stop();
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
