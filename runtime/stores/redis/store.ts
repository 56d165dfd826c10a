/**
 * Redis store (ioredis 6), standalone or Redis Cluster.
 *
 * A record is one hash `<prefix>s:<key>` with fields val/ver/exp/uid and a Redis TTL set with
 * PEXPIREAT from `expiresAt`. `set` and `compareAndSet` are Lua scripts (`scripts.ts`), so the
 * version check and the write are one atomic step. A user's sessions are listed from a set
 * `<prefix>u:<userId>` of keys; it is advisory (written before the record, filtered on read by the
 * record's own `uid`), expires with the user's last record, and never needs to be in the record's slot.
 *
 * Deletes are published on `<prefix>deleted` (`delete-watch.ts`), so caches in front of this store
 * on other processes drop an ended session at once. The client and its fail-fast options: `connection.ts`.
 */
import { createDeleteWatches } from "../delete-watches.ts";
import { clientBounded, DeadlineWatch, guard, resolveTimeout, withinBudget } from "../timeout.ts";
import type {
  DeleteListener,
  DeleteWatch,
  SessionStore,
  StoreBudget,
  StoredRecord,
  WriteOptions,
} from "../types.ts";
import { type ClientOptions, connect, type RedisClient } from "./connection.ts";
import { subscribeToDeletes } from "./delete-watch.ts";
import { DELETE, evalScript, INDEX_ADD, READ, runScript, type Script, TOUCH, WRITE } from "./scripts.ts";

export interface RedisStoreOptions {
  /**
   * An ioredis client (`Redis` or `Cluster`) you created and own: the store never closes it. Give it
   * `maxRetriesPerRequest` and `commandTimeout` yourself if you want fail-fast commands; the store's
   * `timeoutMs` still bounds every operation.
   */
  client?: RedisClient;
  /** `redis://` or `rediss://` URL for a client the store creates (and closes in `close()`). */
  url?: string;
  /** Seed nodes of a Redis Cluster (`"host:port"` or `{ host, port }`) for a cluster client the store creates. */
  clusterNodes?: ReadonlyArray<string | { host: string; port: number }>;
  /** Extra ioredis options for a client the store creates (merged over the fail-fast defaults). Replies use the default "legacy" mapping. */
  redisOptions?: ClientOptions;
  /** Prefix of every Redis key this store writes. Default `"satchel:"`. */
  prefix?: string;
  /** Per-operation budget in ms; past it the operation fails with `SessionStoreUnavailableError`. Default 2000. */
  timeoutMs?: number;
  /** Clock in epoch ms used to decide expiry, for tests. Default `Date.now`. */
  now?: () => number;
}

/** The Redis store, with the optional user listing and access to its client. */
export interface RedisStore extends SessionStore {
  keysForUser(userId: string): Promise<string[]>;
  watchDeletes(listener: DeleteListener): Promise<DeleteWatch>;
  close(): Promise<void>;
  /** The ioredis client in use. */
  readonly client: RedisClient;
}

/** The READ script's reply (`<ver> <exp> <val>`) → the live record, or null when missing or expired at `at`. */
function toRecord(reply: unknown, at: number): StoredRecord | null {
  if (typeof reply !== "string") return null;
  const afterVersion = reply.indexOf(" ");
  const afterExpiry = reply.indexOf(" ", afterVersion + 1);
  if (afterVersion < 0 || afterExpiry < 0) return null;
  const expiresAt = numberIn(reply, afterVersion + 1, afterExpiry);
  if (!(expiresAt > at)) return null;
  return { value: reply.slice(afterExpiry + 1), version: numberIn(reply, 0, afterVersion), expiresAt };
}

/**
 * `Number(text.slice(from, to))`. A cut of 1 to 15 digits (what the stores write: the version and an
 * epoch-millisecond expiry) is read digit by digit, which is exact below 10^15; anything else as
 * Number reads it. A 13-digit expiry is no array index, so Number() of it is a runtime call
 * (~750 instructions of each read).
 */
function numberIn(text: string, from: number, to: number): number {
  if (to - from < 1 || to - from > 15) return Number(text.slice(from, to));
  let value = 0;
  for (let i = from; i < to; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (!(digit >= 0 && digit <= 9)) return Number(text.slice(from, to));
    value = value * 10 + digit;
  }
  return value;
}

/** The compare-and-set write script's reply → the new version, or null on conflict (0). */
const casVersion = (reply: unknown): number | null => (reply === 0 ? null : Number(reply));

/** The DELETE / TOUCH scripts' reply → the record's user id, "" when none (or no record). */
const userIdOf = (reply: unknown): string => (typeof reply === "string" ? reply : "");

/** A reply nothing depends on (the user index's INDEX_ADD). */
const ignored = (): undefined => undefined;

/** Create the Redis store from a client, a URL, or cluster seed nodes. Connecting starts at once, in the background. */
export function createRedisStore(options: RedisStoreOptions): RedisStore {
  const timeoutMs = resolveTimeout("redis", options.timeoutMs);
  const prefix = options.prefix ?? "satchel:";
  const now = options.now ?? Date.now;
  const { client, owned, target, singleCommands, subscriberCommandTimeout } = connect(options, timeoutMs);
  const deadlines = singleCommands === "watch" ? new DeadlineWatch(target, timeoutMs) : undefined;
  const recordKey = (key: string) => `${prefix}s:${key}`;
  const indexKey = (userId: string) => `${prefix}u:${userId}`;
  const deletedChannel = `${prefix}deleted`;
  const readRecord = (reply: unknown) => toRecord(reply, now());
  /** Watches still running, stopped by `close()`. */
  const watches = createDeleteWatches();

  /** An operation of several commands: `guard` bounds them together. */
  const bounded = <T>(operation: string, work: () => Promise<T>, budget: StoreBudget | undefined) =>
    guard(target, operation, timeoutMs, work, budget);
  /**
   * An operation of one script call (a NOSCRIPT retry aside), while the request's budget is still
   * (nearly) whole: bounded by the store's deadline watch when it made the client (the watched call
   * settled by the script's own callbacks, one promise step less), else by the client's own command
   * timer when it has one; otherwise, and once the budget is partly spent, `guard`.
   */
  function oneScript<T>(
    operation: string,
    s: Script,
    key: string,
    args: string[],
    read: (reply: unknown) => T,
    budget: StoreBudget | undefined,
  ): Promise<T> {
    const whole = withinBudget(timeoutMs, budget);
    if (deadlines !== undefined && whole)
      return deadlines.watch<T>(operation, (call) => runScript(client, s, key, args, read, call), budget);
    const work = () => evalScript(client, s, key, args, read);
    return singleCommands === "guard" || !whole
      ? bounded(operation, work, budget)
      : clientBounded(target, operation, work, budget);
  }

  /**
   * The write script's one argument (`WRITE` in `scripts.ts`). The user id's length is counted only
   * when there is one.
   */
  function writeArgument(mode: "set" | "cas", value: string, expected: number | null, write: WriteOptions) {
    const userId = write.userId ?? "";
    const userBytes = userId === "" ? 0 : Buffer.byteLength(userId);
    return `${mode} ${expected === null ? "" : expected} ${write.expiresAt} ${now()} ${userBytes} ${userId}${value}`;
  }

  /**
   * A write as `guard` runs it: with a user id, the user's index first; then the record's write
   * script, whose reply `read` gets (the new version, or 0 on conflict).
   */
  function indexedWrite<T>(
    mode: "set" | "cas",
    key: string,
    value: string,
    expected: number | null,
    write: WriteOptions,
    read: (reply: unknown) => T,
  ): Promise<T> {
    const userId = write.userId ?? "";
    const record = () =>
      evalScript(client, WRITE, recordKey(key), [writeArgument(mode, value, expected, write)], read);
    if (userId === "") return record();
    // Index first: an entry without a record is harmless (filtered on listing); a record missing
    // from its user's index would survive "log out everywhere".
    return evalScript(client, INDEX_ADD, indexKey(userId), [key, String(write.expiresAt)], ignored).then(
      record,
    );
  }

  /** The live keys of a user's index: one HMGET per member (each may live on a different cluster node; ioredis pipelines them). */
  async function liveMembers(userId: string): Promise<string[]> {
    const members = await client.smembers(indexKey(userId));
    const owners = await Promise.all(members.map((member) => client.hmget(recordKey(member), "uid", "exp")));
    const at = now();
    return members
      .filter((_, i) => {
        const [uid, exp] = owners[i] ?? [];
        return uid === userId && exp != null && Number(exp) > at;
      })
      .sort();
  }

  return {
    name: "redis",
    client,
    get(key, budget) {
      return oneScript("get", READ, recordKey(key), [], readRecord, budget);
    },
    set: (key, value, write_, budget) =>
      bounded("set", () => indexedWrite("set", key, value, null, write_, Number), budget),
    compareAndSet(key, value, expectedVersion, write_, budget) {
      // With a user id the write is two commands (index, record): the guard bounds both together.
      if (write_.userId !== undefined && write_.userId !== "") {
        const work = () => indexedWrite("cas", key, value, expectedVersion, write_, casVersion);
        return bounded("compareAndSet", work, budget);
      }
      const argument = writeArgument("cas", value, expectedVersion, write_);
      return oneScript("compareAndSet", WRITE, recordKey(key), [argument], casVersion, budget);
    },
    delete(key, budget) {
      return bounded(
        "delete",
        async () => {
          const userId = await evalScript(client, DELETE, recordKey(key), [], userIdOf);
          await client.publish(deletedChannel, key);
          if (userId !== "") await client.srem(indexKey(userId), key);
        },
        budget,
      );
    },
    touch(key, expiresAt, budget) {
      return bounded(
        "touch",
        async () => {
          const at = String(expiresAt);
          const userId = await evalScript(client, TOUCH, recordKey(key), [at, String(now())], userIdOf);
          if (userId !== "") await evalScript(client, INDEX_ADD, indexKey(userId), [key, at], ignored);
        },
        budget,
      );
    },
    watchDeletes: (listener) =>
      watches.watch(
        (heard) => subscribeToDeletes(client, deletedChannel, heard, subscriberCommandTimeout),
        listener,
      ),
    keysForUser: (userId) => bounded("keysForUser", () => liveMembers(userId), undefined),
    async close() {
      await watches.stopAll();
      if (!owned) return;
      try {
        await bounded("close", () => client.quit(), undefined);
      } catch {
        // The server is unreachable: drop the connection instead of waiting for QUIT.
        client.disconnect();
      }
    },
  };
}
