/**
 * The in-process store: a Map. For tests and single-process development; data is gone on restart and
 * not shared between processes.
 */
import type { SessionStore, StoredRecord, WriteOptions } from "./types.ts";

/** Options of the memory store. */
export interface MemoryStoreOptions {
  /** Clock in epoch milliseconds, for tests. Default `Date.now`. */
  now?: () => number;
  /** Upper bound on records kept; the oldest-written are dropped first. Default 100,000. */
  maxRecords?: number;
}

interface Entry extends StoredRecord {
  userId: string | undefined;
}

/** A store that keeps records in a Map in this process. Implements `keysForUser`. */
export function createMemoryStore(options: MemoryStoreOptions = {}): SessionStore {
  const now = options.now ?? Date.now;
  const maxRecords = options.maxRecords ?? 100_000;
  const entries = new Map<string, Entry>();

  const live = (key: string): Entry | undefined => {
    const entry = entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= now()) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  };

  const write = (key: string, value: string, version: number, write: WriteOptions): number => {
    // Delete first so Map order is write order, which makes the size cap drop the stalest record.
    entries.delete(key);
    entries.set(key, { value, version, expiresAt: write.expiresAt, userId: write.userId });
    while (entries.size > maxRecords) {
      const oldest = entries.keys().next().value;
      if (oldest === undefined) break;
      entries.delete(oldest);
    }
    return version;
  };

  return {
    name: "memory",
    // Nothing outlives the process: no cookie layouts are kept here (see SessionStore.durable).
    durable: false,
    async get(key) {
      const entry = live(key);
      return entry === undefined
        ? null
        : { value: entry.value, version: entry.version, expiresAt: entry.expiresAt };
    },
    async set(key, value, write_) {
      return write(key, value, (live(key)?.version ?? 0) + 1, write_);
    },
    async compareAndSet(key, value, expectedVersion, write_) {
      const current = live(key)?.version ?? null;
      if (current !== expectedVersion) return null;
      return write(key, value, (current ?? 0) + 1, write_);
    },
    async delete(key) {
      entries.delete(key);
    },
    async touch(key, expiresAt) {
      const entry = live(key);
      if (entry !== undefined) entry.expiresAt = expiresAt;
    },
    async keysForUser(userId) {
      const keys: string[] = [];
      for (const key of [...entries.keys()]) {
        if (live(key)?.userId === userId) keys.push(key);
      }
      return keys;
    },
    async close() {
      entries.clear();
    },
  };
}
