/**
 * Redis store (ioredis 6), standalone or Redis Cluster.
 *
 * A record is one hash `<prefix>s:<key>` with fields val/ver/exp/uid and a Redis TTL set with
 * PEXPIREAT from `expiresAt`. `set` and `compareAndSet` are Lua scripts, so the version check and
 * the write are one atomic step. Every script touches exactly one key, which is what lets the store
 * run unchanged on a Redis Cluster (no CROSSSLOT). A user's sessions are listed from a set
 * `<prefix>u:<userId>` of keys; it is advisory (written before the record, filtered on read by the
 * record's own `uid`), expires with the user's last record, and never needs to be in the record's slot.
 *
 * Deletes are published on `<prefix>deleted` (pub/sub reaches every node of a cluster), so caches in
 * front of this store on other processes drop an ended session at once (`watchDeletes`).
 *
 * Outages: clients this store creates fail fast — commands time out after `timeoutMs`, commands
 * queued while disconnected are rejected on the next failed reconnect instead of waiting forever,
 * and ioredis keeps reconnecting in the background, so the store recovers by itself.
 */
import { createHash } from "node:crypto";
import type { ClusterNode, RedisOptions } from "ioredis";
import { SatchelConfigError } from "../errors.ts";
import { createDeleteWatches } from "./delete-watches.ts";
import { loadDriver } from "./driver.ts";
import { endpointOf, redactUrl } from "./redact.ts";
import { asUnavailable, guard, resolveTimeout, type StoreTarget } from "./timeout.ts";
import type { DeleteListener, DeleteWatch, SessionStore, StoredRecord, WriteOptions } from "./types.ts";

// Loaded out of bundlers' sight (./driver.ts): an app that does not use this store builds without its driver.
const { Cluster, Redis } = await loadDriver(
  "ioredis",
  "redis",
  () => import(/* webpackIgnore: true */ /* turbopackIgnore: true */ "ioredis"),
);
type Cluster = InstanceType<typeof Cluster>;
type Redis = InstanceType<typeof Redis>;

export interface RedisStoreOptions {
  /**
   * An ioredis client (`Redis` or `Cluster`) you created and own: the store never closes it. Give it
   * `maxRetriesPerRequest` and `commandTimeout` yourself if you want fail-fast commands; the store's
   * `timeoutMs` still bounds every operation.
   */
  client?: Redis | Cluster;
  /** `redis://` or `rediss://` URL for a client the store creates (and closes in `close()`). */
  url?: string;
  /** Seed nodes of a Redis Cluster (`"host:port"` or `{ host, port }`) for a cluster client the store creates. */
  clusterNodes?: ReadonlyArray<string | { host: string; port: number }>;
  /** Extra ioredis options for a client the store creates (merged over the fail-fast defaults). Replies use the default "legacy" mapping. */
  redisOptions?: Omit<RedisOptions, "replyMapping">;
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
  readonly client: Redis | Cluster;
}

interface Script {
  lua: string;
  sha: string;
}

function script(lua: string): Script {
  return { lua, sha: createHash("sha1").update(lua).digest("hex") };
}

/**
 * KEYS[1] record; ARGV: mode ("set" | "cas"), expected version ("" = no live record), value,
 * expiresAt, userId ("" = none), now. Returns the new version, or 0 on conflict.
 */
const WRITE = script(`
local cur = redis.call('HMGET', KEYS[1], 'ver', 'exp')
local ver = tonumber(cur[1])
local exp = tonumber(cur[2])
local live = ver ~= nil and exp ~= nil and exp > tonumber(ARGV[6])
if ARGV[1] == 'cas' then
  if ARGV[2] == '' then
    if live then return 0 end
  elseif (not live) or ver ~= tonumber(ARGV[2]) then
    return 0
  end
end
local nextver = (ver or 0) + 1
redis.call('DEL', KEYS[1])
if ARGV[5] == '' then
  redis.call('HSET', KEYS[1], 'val', ARGV[3], 'ver', nextver, 'exp', ARGV[4])
else
  redis.call('HSET', KEYS[1], 'val', ARGV[3], 'ver', nextver, 'exp', ARGV[4], 'uid', ARGV[5])
end
redis.call('PEXPIREAT', KEYS[1], ARGV[4])
return nextver
`);

/** KEYS[1] record; ARGV: expiresAt, now. Extends a live record; returns its uid ("" none), or false when missing. */
const TOUCH = script(`
local exp = tonumber(redis.call('HGET', KEYS[1], 'exp'))
if exp == nil or exp <= tonumber(ARGV[2]) then return false end
redis.call('HSET', KEYS[1], 'exp', ARGV[1])
redis.call('PEXPIREAT', KEYS[1], ARGV[1])
return redis.call('HGET', KEYS[1], 'uid') or ''
`);

/** KEYS[1] record. Deletes it; returns its uid ("" none) so the caller can drop it from the user index. */
const DELETE = script(`
local uid = redis.call('HGET', KEYS[1], 'uid')
redis.call('DEL', KEYS[1])
return uid or ''
`);

/**
 * KEYS[1] user index; ARGV: member, expiresAt. Adds the member; the set lives as long as its longest
 * record. The set's current expiry is compared in server time (TIME + PTTL), the clock PEXPIREAT
 * uses; calling TIME before a write is fine since Redis 5 replicates script effects, not scripts.
 */
const INDEX_ADD = script(`
redis.call('SADD', KEYS[1], ARGV[1])
local t = redis.call('TIME')
local nowms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local pttl = redis.call('PTTL', KEYS[1])
if pttl < 0 or nowms + pttl < tonumber(ARGV[2]) then
  redis.call('PEXPIREAT', KEYS[1], ARGV[2])
end
return 1
`);

/**
 * Fail fast while disconnected: a command gets no reply within `timeoutMs` → error; commands queued
 * while reconnecting are rejected when the next reconnect attempt fails (maxRetriesPerRequest 0),
 * and in-flight ones are not replayed after a reconnect, so a write reported as failed is never
 * silently applied later by the client.
 */
function failFastCommandOptions(timeoutMs: number) {
  return { commandTimeout: timeoutMs, connectTimeout: timeoutMs, maxRetriesPerRequest: 0 } as const;
}

/** Keep reconnecting in the background, at most 1 s apart, so the store recovers by itself. */
const reconnectDelay = (times: number) => Math.min(50 * 2 ** Math.min(times, 5), 1000);

/** Node options a cluster accepts: ioredis manages retry and queueing of cluster nodes itself. */
function clusterRedisOptions(options: Omit<RedisOptions, "replyMapping"> | undefined) {
  if (!options) return {};
  const {
    retryStrategy,
    enableOfflineQueue,
    readOnly,
    sentinels,
    host,
    port,
    path,
    himportFieldsets,
    ...rest
  } = options;
  return rest;
}

function parseNode(node: string | { host: string; port: number }): ClusterNode {
  if (typeof node !== "string") return node;
  const url = new URL(node.includes("://") ? node : `redis://${node}`);
  return { host: url.hostname, port: Number(url.port || 6379) };
}

/** Where the store's server is, for error messages: the URL's host:port, or the cluster's seed nodes. */
function redisEndpoint(options: RedisStoreOptions): string | undefined {
  if (options.clusterNodes && options.clusterNodes.length > 0) {
    return options.clusterNodes
      .map((node) =>
        typeof node === "string"
          ? endpointOf(node.includes("://") ? node : `redis://${node}`, 6379)
          : `${node.host}:${node.port}`,
      )
      .join(",");
  }
  return options.url === undefined ? undefined : endpointOf(options.url, 6379);
}

/** Create the Redis store from a client, a URL, or cluster seed nodes. Connecting starts at once, in the background. */
export function createRedisStore(options: RedisStoreOptions): RedisStore {
  const timeoutMs = resolveTimeout("redis", options.timeoutMs);
  const prefix = options.prefix ?? "satchel:";
  const now = options.now ?? Date.now;
  const owned = options.client === undefined;
  let client: Redis | Cluster;
  if (options.client) {
    client = options.client;
  } else if (options.clusterNodes && options.clusterNodes.length > 0) {
    client = new Cluster(options.clusterNodes.map(parseNode), {
      enableOfflineQueue: true,
      clusterRetryStrategy: (times: number) => Math.min(100 * times, 1000),
      slotsRefreshTimeout: timeoutMs,
      redisOptions: { ...failFastCommandOptions(timeoutMs), ...clusterRedisOptions(options.redisOptions) },
    });
  } else if (options.url) {
    if (!/^rediss?:\/\//.test(options.url)) {
      throw new SatchelConfigError(
        `satchel: the redis store needs a redis:// or rediss:// URL, got "${redactUrl(options.url)}".`,
      );
    }
    const redisOptions: Omit<RedisOptions, "replyMapping"> = {
      ...failFastCommandOptions(timeoutMs),
      enableOfflineQueue: true,
      retryStrategy: reconnectDelay,
      ...options.redisOptions,
    };
    client = new Redis(options.url, redisOptions);
  } else {
    throw new SatchelConfigError(
      "satchel: createRedisStore needs a client, a url (redis://host:6379) or clusterNodes; pass one of them.",
    );
  }
  const target: StoreTarget = { kind: "redis", endpoint: redisEndpoint(options) };
  if (owned) {
    // Connection errors surface per operation as SessionStoreUnavailableError; without a listener
    // ioredis would print every reconnect failure.
    client.on("error", () => undefined);
  }

  /**
   * A standalone client this store made with a command timeout within the budget: ioredis already
   * starts a timer per command (offline-queued ones too) and rejects it when it expires, so an
   * operation of one command needs no second timer from `guard`, only its error mapping. Clusters
   * queue commands at the cluster level, outside that timer, and keep the guard.
   */
  const commandTimeout = owned && !(client instanceof Cluster) ? client.options.commandTimeout : undefined;
  const selfTimed = typeof commandTimeout === "number" && commandTimeout <= timeoutMs;
  /** `guard` for an operation of a single command (a NOSCRIPT retry aside). */
  function oneCommand<T>(operation: string, work: () => Promise<T>): Promise<T> {
    if (!selfTimed) return guard(target, operation, timeoutMs, work);
    let running: Promise<T>;
    try {
      running = work();
    } catch (error) {
      running = Promise.reject(error);
    }
    return running.catch((error: unknown) => {
      throw asUnavailable(target, operation, error);
    });
  }

  const recordKey = (key: string) => `${prefix}s:${key}`;
  const indexKey = (userId: string) => `${prefix}u:${userId}`;
  const deletedChannel = `${prefix}deleted`;

  /** A subscriber connection (a duplicate of the client) that reports deletes and its own ups and downs. */
  /** Watches still running, stopped by `close()`. */
  const watches = createDeleteWatches();
  const watchDeletes = (listener: DeleteListener) => watches.watch(startWatch, listener);

  async function startWatch(listener: DeleteListener): Promise<DeleteWatch> {
    const subscriber: Redis | Cluster = client instanceof Cluster ? client.duplicate() : client.duplicate();
    subscriber.on("error", () => undefined); // reconnects by itself; the state goes through up/down
    let stopped = false;
    /** Subscribed on the current connection. */
    let listening = false;
    const listen = async () => {
      try {
        await subscriber.subscribe(deletedChannel);
        listening = true;
        if (!stopped) listener.up();
      } catch {
        listener.down(); // the next "ready" (after a reconnect) tries again
      }
    };
    subscriber.on("message", (channel: string, key: string) => {
      if (channel === deletedChannel) listener.deleted(key);
    });
    subscriber.on("close", () => {
      listening = false;
      listener.down();
    });
    // Every (re)connection subscribes explicitly, so up() comes only once deletes are heard again —
    // also when the first connection attempt failed.
    subscriber.on("ready", () => {
      if (!listening) void listen();
    });
    await listen();
    return {
      async stop() {
        stopped = true;
        subscriber.disconnect();
      },
    };
  }

  async function evalScript(s: Script, key: string, args: Array<string | number>): Promise<unknown> {
    try {
      return await client.evalsha(s.sha, 1, key, ...args);
    } catch (error) {
      // First use on this server (or after a restart / SCRIPT FLUSH): send the body once.
      if (error instanceof Error && error.message.startsWith("NOSCRIPT"))
        return client.eval(s.lua, 1, key, ...args);
      throw error;
    }
  }

  async function write(
    mode: "set" | "cas",
    key: string,
    value: string,
    expected: number | null,
    options_: WriteOptions,
  ): Promise<number> {
    const userId = options_.userId ?? "";
    // Index first: an entry without a record is harmless (filtered on listing); a record missing
    // from its user's index would survive "log out everywhere".
    if (userId !== "") await evalScript(INDEX_ADD, indexKey(userId), [key, options_.expiresAt]);
    const reply = await evalScript(WRITE, recordKey(key), [
      mode,
      expected === null ? "" : String(expected),
      value,
      options_.expiresAt,
      userId,
      now(),
    ]);
    return Number(reply);
  }

  /** HMGET val ver exp → the live record, or null when missing or expired. */
  function toRecord([val, ver, exp]: Array<string | null>): StoredRecord | null {
    if (val == null || ver == null || exp == null) return null;
    const expiresAt = Number(exp);
    if (!(expiresAt > now())) return null;
    return { value: val, version: Number(ver), expiresAt };
  }

  return {
    name: "redis",
    client,
    get(key) {
      return oneCommand("get", () => client.hmget(recordKey(key), "val", "ver", "exp").then(toRecord));
    },
    set(key, value, options_) {
      return guard(target, "set", timeoutMs, () => write("set", key, value, null, options_));
    },
    compareAndSet(key, value, expectedVersion, options_) {
      const work = async () => {
        const version = await write("cas", key, value, expectedVersion, options_);
        return version === 0 ? null : version;
      };
      // With a user id the write is two commands (index, record): the guard bounds both together.
      return options_.userId === undefined || options_.userId === ""
        ? oneCommand("compareAndSet", work)
        : guard(target, "compareAndSet", timeoutMs, work);
    },
    delete(key) {
      return guard(target, "delete", timeoutMs, async () => {
        const userId = await evalScript(DELETE, recordKey(key), []);
        await client.publish(deletedChannel, key);
        if (typeof userId === "string" && userId !== "") await client.srem(indexKey(userId), key);
      });
    },
    touch(key, expiresAt) {
      return guard(target, "touch", timeoutMs, async () => {
        const userId = await evalScript(TOUCH, recordKey(key), [expiresAt, now()]);
        if (typeof userId === "string" && userId !== "") {
          await evalScript(INDEX_ADD, indexKey(userId), [key, expiresAt]);
        }
      });
    },
    watchDeletes,
    keysForUser(userId) {
      return guard(target, "keysForUser", timeoutMs, async () => {
        const members = await client.smembers(indexKey(userId));
        // One HMGET per member (each may live on a different cluster node); ioredis pipelines them.
        const owners = await Promise.all(
          members.map((member) => client.hmget(recordKey(member), "uid", "exp")),
        );
        const at = now();
        return members
          .filter((_, i) => {
            const [uid, exp] = owners[i] ?? [];
            return uid === userId && exp != null && Number(exp) > at;
          })
          .sort();
      });
    },
    async close() {
      await watches.stopAll();
      if (!owned) return;
      try {
        await guard(target, "close", timeoutMs, () => client.quit());
      } catch {
        // The server is unreachable: drop the connection instead of waiting for QUIT.
        client.disconnect();
      }
    },
  };
}
