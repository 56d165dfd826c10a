/**
 * The store interface: all a backend has to do. Keys are opaque strings made by the session core
 * (session name + SHA-256 of the id); the raw session id never reaches a store.
 */

/** What a store holds for one session. */
export interface StoredRecord {
  /** The serialized session envelope (opaque to the store). */
  value: string;
  /** Record version for compare-and-set: 1 on first write, +1 on every write. */
  version: number;
  /** Epoch milliseconds after which the record must never be returned. */
  expiresAt: number;
}

export interface WriteOptions {
  /** Epoch milliseconds; the store may drop the record after it (TTL). */
  expiresAt: number;
  /** Value of the session's `userField`, for listing/revoking a user's sessions. */
  userId?: string | undefined;
}

/**
 * What one request's store calls share, passed as the last argument of each call: a store with a
 * per-operation timeout ends every call of the request within what is left of that timeout after
 * the request's earlier calls, so a request waits for its store at most `timeoutMs` in all, and a
 * call made after that fails at once without reaching the server. Stores without a timeout (memory,
 * file, your own) may ignore it.
 */
export interface StoreBudget {
  /** Milliseconds the request's store calls have taken so far (the stores add to it). */
  spentMs: number;
}

export interface SessionStore {
  /** Name used in errors and reports, e.g. `"redis"`. */
  readonly name: string;
  /** The live record, or null when missing or expired. */
  get(key: string, budget?: StoreBudget): Promise<StoredRecord | null>;
  /** Unconditional write. Returns the new record version. */
  set(key: string, value: string, options: WriteOptions, budget?: StoreBudget): Promise<number>;
  /**
   * Write only if the current version is `expectedVersion` (`null`: only if no live record exists).
   * Returns the new version, or `null` on conflict. Atomic in the backend.
   */
  compareAndSet(
    key: string,
    value: string,
    expectedVersion: number | null,
    options: WriteOptions,
    budget?: StoreBudget,
  ): Promise<number | null>;
  delete(key: string, budget?: StoreBudget): Promise<void>;
  /** Extend expiry without changing value or version. No-op when missing. */
  touch(key: string, expiresAt: number, budget?: StoreBudget): Promise<void>;
  /**
   * `false`: the store may lose a record before its expiry — it dies with the process (the memory
   * store) or is evicted under memory pressure (memcached). Satchel then keeps no cookie-session
   * layouts in it, and a satchel without generated codecs writes its cookie sessions in the keyed
   * format 2 (a layout lost while cookies written in it live on would sign their users out after a
   * schema change). Absent or `true`: the store keeps what it is given until its expiry, for every
   * process of the app (file, Redis, PostgreSQL, your own); when the app chose it (it is not the
   * embedded default), satchel keeps each cookie session's current layout under
   * `layout/<session>:<key>` (a few hundred bytes per session and schema change, expiring on their
   * own) and cookie sessions write the compact format 4. Set it to `false` on a store of your own
   * that may lose records early.
   */
  readonly durable?: boolean;
  /** Keys of live records written with this `userId` (optional capability). */
  keysForUser?(userId: string): Promise<string[]>;
  /**
   * Hears every delete made through any instance of this store, other processes included (optional
   * capability: Redis pub/sub, Postgres LISTEN/NOTIFY). Caches in front of the store use it to drop
   * ended sessions at once. Resolves once listening.
   */
  watchDeletes?(listener: DeleteListener): Promise<DeleteWatch>;
  /** Release connections, timers and files. */
  close?(): Promise<void>;
}

/** What a delete watcher hears. */
export interface DeleteListener {
  /** A record was deleted (destroy, revokeUser, regenerate). */
  deleted(key: string): void;
  /**
   * Listening (again) from now on. Deletes made while the connection was down were not heard, so a
   * cache must not trust entries it filled before this moment.
   */
  up(): void;
  /** The connection dropped: deletes are not heard until the next `up()`. */
  down(): void;
}

export interface DeleteWatch {
  /** Stop listening and release the connection. */
  stop(): Promise<void>;
}
