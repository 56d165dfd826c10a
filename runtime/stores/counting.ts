/**
 * A store wrapper that counts calls per operation. Tests and benchmarks use it to assert the lazy
 * rules ("a request that does not touch the session makes no store round trip").
 */
import type { SessionStore } from "./types.ts";

/** Store operations that are counted. */
export type StoreOperation = "get" | "set" | "compareAndSet" | "delete" | "touch" | "keysForUser";

/** Calls per operation since creation or the last `reset()`. */
export type StoreCallCounts = Record<StoreOperation, number>;

/** The wrapped store plus its counters. */
export interface CountingStore extends SessionStore {
  /** Calls per operation so far. A fresh object each time: safe to keep as a snapshot. */
  counts(): StoreCallCounts;
  /** Total calls of every operation so far. */
  total(): number;
  /** Every call in order, as `"operation key"`, for readable assertion failures. */
  log(): string[];
  /** Zero the counters and the log. */
  reset(): void;
  /** The store being counted. */
  readonly inner: SessionStore;
}

const zero = (): StoreCallCounts => ({
  get: 0,
  set: 0,
  compareAndSet: 0,
  delete: 0,
  touch: 0,
  keysForUser: 0,
});

/** Wrap `inner` so every call is counted before it is forwarded unchanged. */
export function createCountingStore(inner: SessionStore): CountingStore {
  let calls = zero();
  let entries: string[] = [];
  const note = (operation: StoreOperation, key: string) => {
    calls[operation] += 1;
    entries.push(`${operation} ${key}`);
  };
  const store: CountingStore = {
    name: inner.name,
    ...(inner.durable === undefined ? {} : { durable: inner.durable }),
    inner,
    get(key, budget) {
      note("get", key);
      return inner.get(key, budget);
    },
    set(key, value, options, budget) {
      note("set", key);
      return inner.set(key, value, options, budget);
    },
    compareAndSet(key, value, expectedVersion, options, budget) {
      note("compareAndSet", key);
      return inner.compareAndSet(key, value, expectedVersion, options, budget);
    },
    delete(key, budget) {
      note("delete", key);
      return inner.delete(key, budget);
    },
    touch(key, expiresAt, budget) {
      note("touch", key);
      return inner.touch(key, expiresAt, budget);
    },
    counts: () => ({ ...calls }),
    total: () => Object.values(calls).reduce((sum, n) => sum + n, 0),
    log: () => [...entries],
    reset() {
      calls = zero();
      entries = [];
    },
  };
  if (inner.keysForUser) {
    const list = inner.keysForUser.bind(inner);
    store.keysForUser = (userId: string) => {
      note("keysForUser", userId);
      return list(userId);
    };
  }
  if (inner.close) store.close = inner.close.bind(inner);
  return store;
}
