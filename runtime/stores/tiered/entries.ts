/**
 * What the tiered store keeps in its cache: a record with its durable version and when it was filled
 * (wall-clock ms, compared with when delete notices were last heard), or a tombstone for a deleted
 * key; and how an entry is replaced after a write, never by an older version.
 */
import type { SessionStore } from "../types.ts";

export type CacheEntry = { v: string; ver: number; exp: number; at: number } | { deleted: true };
/** A cache entry that holds a record. */
export type FilledEntry = Exclude<CacheEntry, { deleted: true }>;

export function encode(entry: CacheEntry): string {
  return JSON.stringify(entry);
}

export function decode(text: string | undefined): CacheEntry | null {
  if (text === undefined) return null;
  try {
    const data = JSON.parse(text) as Partial<{
      v: string;
      ver: number;
      exp: number;
      at: number;
      deleted: true;
    }>;
    if (data.deleted === true) return { deleted: true };
    if (typeof data.v === "string" && typeof data.ver === "number" && typeof data.exp === "number") {
      return { v: data.v, ver: data.ver, exp: data.exp, at: typeof data.at === "number" ? data.at : 0 };
    }
  } catch {
    // Not ours: treated as a miss.
  }
  return null;
}

/** Attempts at replacing a cache entry before dropping it instead. */
const FILL_ATTEMPTS = 3;

/**
 * Put a freshly written record (`entry`, of durable version `entry.ver`) in `cache` unless it already
 * holds this version or a newer one that may be served (`trusted`); `expiresAt` is the cache entry's
 * own expiry. After `FILL_ATTEMPTS` lost compare-and-sets the entry is dropped instead.
 */
export async function fillAfterWrite(
  cache: SessionStore,
  key: string,
  entry: FilledEntry,
  expiresAt: number,
  trusted: (held: CacheEntry | null) => boolean,
): Promise<void> {
  const text = encode(entry);
  for (let attempt = 0; attempt < FILL_ATTEMPTS; attempt++) {
    const current = await cache.get(key);
    const held = decode(current?.value);
    if (held && !("deleted" in held) && held.ver >= entry.ver && trusted(held)) return;
    const written = await cache.compareAndSet(key, text, current?.version ?? null, { expiresAt });
    if (written !== null) return;
  }
  await cache.delete(key);
}
