/**
 * The Redis store's client: the one it was given, or a standalone or cluster client it creates with
 * fail-fast options. ioredis is loaded out of bundlers' sight (`../driver.ts`), so an app that does
 * not use this store builds without it.
 *
 * Outages: clients this store creates fail fast — commands time out after `timeoutMs`, commands
 * queued while disconnected are rejected on the next failed reconnect instead of waiting forever,
 * and ioredis keeps reconnecting in the background, so the store recovers by itself.
 */
import type { ClusterNode, RedisOptions } from "ioredis";
import { SatchelConfigError } from "../../errors.ts";
import { loadDriver } from "../driver.ts";
import { endpointOf, redactUrl } from "../redact.ts";
import { NoAnswerError, type StoreTarget } from "../timeout.ts";

const driver = await loadDriver(
  "ioredis",
  "redis",
  () => import(/* webpackIgnore: true */ /* turbopackIgnore: true */ "ioredis"),
);
export const { Cluster, Command } = driver;
const { Redis } = driver;
await refastenStringPrototype();

/**
 * ioredis's RESP decoder declares `class VerbatimString extends String`, and declaring a subclass
 * leaves `String.prototype` with slow (dictionary) properties until the first instance is made,
 * which a RESP2 connection never makes. Until then optimized code cannot fold a string method to
 * its function: every `text.charCodeAt(…)`, `text.startsWith(…)` or `text.slice(…)` in the process
 * — satchel's cookie and record parsing, ioredis's own, the app's — calls the generic property load
 * (~120 instructions). One instance, made here, gives the prototype its fast properties back; it
 * changes no property. Best effort: a driver without that file is left as it is.
 */
async function refastenStringPrototype(): Promise<void> {
  try {
    const { VerbatimString } = await import(
      /* webpackIgnore: true */ /* turbopackIgnore: true */ "ioredis/built/resp/verbatim-string.js"
    );
    new VerbatimString("txt", "");
  } catch {
    // Another layout of the driver: nothing to fix, or nothing we know how to.
  }
}
export type RedisClient = InstanceType<typeof driver.Redis> | InstanceType<typeof driver.Cluster>;

/** ioredis options for a client the store creates; replies always use the default "legacy" mapping. */
export type ClientOptions = Omit<RedisOptions, "replyMapping">;

export interface ConnectionOptions {
  client?: RedisClient | undefined;
  url?: string | undefined;
  clusterNodes?: ReadonlyArray<string | { host: string; port: number }> | undefined;
  redisOptions?: ClientOptions | undefined;
}

export interface Connection {
  client: RedisClient;
  /** Created here (closed by the store's `close()`), not given by the app. */
  owned: boolean;
  target: StoreTarget;
  /**
   * How an operation of one command is bounded. `"client"`: a standalone client with a command
   * timeout within the budget (the app's own `commandTimeout`): ioredis starts a timer per command
   * (offline-queued ones too) and rejects it when it expires, so it needs no second timer, only its
   * error mapping. `"watch"`: a standalone client this store made (no command timeout of its own):
   * the store's `DeadlineWatch`, one timer for all its commands. `"guard"`: a client the app gave,
   * or a cluster (it queues commands at the cluster level, outside a command timer): `guard`.
   */
  singleCommands: "client" | "watch" | "guard";
  /**
   * The command timeout a standalone client this store made would have had: its subscriber (the
   * delete watch, outside the store's timers) gets it. Undefined for other clients.
   */
  subscriberCommandTimeout: number | undefined;
}

/**
 * Fail fast while disconnected: a command gets no reply within `timeoutMs` → error; commands queued
 * while reconnecting are rejected when the next reconnect attempt fails (maxRetriesPerRequest 0),
 * and in-flight ones are not replayed after a reconnect, so a write reported as failed is never
 * silently applied later by the client.
 */
function failFastCommandOptions(timeoutMs: number) {
  return { commandTimeout: timeoutMs, ...failFastConnectOptions(timeoutMs) } as const;
}

/**
 * `failFastCommandOptions` without ioredis's command timeout, for a standalone client this store
 * makes: the store bounds its commands itself (`DeadlineWatch` for single commands, `guard` for the
 * rest), without a timer set and cleared for every command.
 */
function failFastConnectOptions(timeoutMs: number) {
  return { connectTimeout: timeoutMs, maxRetriesPerRequest: 0 } as const;
}

/** Keep reconnecting in the background, at most 1 s apart, so the store recovers by itself. */
const reconnectDelay = (times: number) => Math.min(50 * 2 ** Math.min(times, 5), 1000);

/** Node options a cluster accepts: ioredis manages retry and queueing of cluster nodes itself. */
function clusterRedisOptions(options: ClientOptions | undefined) {
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
function redisEndpoint(options: ConnectionOptions): string | undefined {
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

function createClient(options: ConnectionOptions, timeoutMs: number): RedisClient {
  if (options.clusterNodes && options.clusterNodes.length > 0) {
    return new Cluster(options.clusterNodes.map(parseNode), {
      enableOfflineQueue: true,
      clusterRetryStrategy: (times: number) => Math.min(100 * times, 1000),
      slotsRefreshTimeout: timeoutMs,
      redisOptions: { ...failFastCommandOptions(timeoutMs), ...clusterRedisOptions(options.redisOptions) },
    });
  }
  if (options.url) {
    if (!/^rediss?:\/\//.test(options.url)) {
      throw new SatchelConfigError(
        `satchel: the redis store needs a redis:// or rediss:// URL, got "${redactUrl(options.url)}".`,
      );
    }
    return new Redis(options.url, {
      ...failFastConnectOptions(timeoutMs),
      enableOfflineQueue: true,
      retryStrategy: reconnectDelay,
      ...options.redisOptions,
    });
  }
  throw new SatchelConfigError(
    "satchel: createRedisStore needs a client, a url (redis://host:6379) or clusterNodes; pass one of them.",
  );
}

/** The client to use, from `client`, `clusterNodes` or `url`. Connecting starts at once, in the background. */
export function connect(options: ConnectionOptions, timeoutMs: number): Connection {
  const endpoint = redisEndpoint(options);
  if (options.client)
    return {
      client: options.client,
      owned: false,
      target: { kind: "redis", endpoint },
      singleCommands: "guard",
      subscriberCommandTimeout: undefined,
    };
  const client = createClient(options, timeoutMs);
  // Connection errors surface per operation as SessionStoreUnavailableError; without a listener
  // ioredis would print every reconnect failure. The last one is what a failed command is about.
  let connectionError: unknown = null;
  client.on("error", (error: unknown) => {
    connectionError = error;
  });
  client.on("ready", () => {
    connectionError = null;
  });
  const target: StoreTarget = {
    kind: "redis",
    endpoint,
    // A command rejected while reconnecting failed because the last connection attempt did: ioredis
    // rejects it as retries exhausted, or, when it waited out a reconnect backoff longer than the
    // command timeout, as timed out (or satchel's own timer fires first: no answer). `connectionError`
    // is cleared once the client is ready again.
    explain: (error) =>
      connectionError !== null &&
      (isRetriesExhausted(error) || isCommandTimeout(error) || error instanceof NoAnswerError)
        ? connectionError
        : error,
  };
  if (client instanceof Cluster)
    return { client, owned: true, target, singleCommands: "guard", subscriberCommandTimeout: undefined };
  // The app's own redisOptions may set a command timeout: ioredis then times every command itself.
  const commandTimeout = client.options.commandTimeout;
  if (commandTimeout === undefined)
    return { client, owned: true, target, singleCommands: "watch", subscriberCommandTimeout: timeoutMs };
  const singleCommands = commandTimeout <= timeoutMs ? "client" : "guard";
  return { client, owned: true, target, singleCommands, subscriberCommandTimeout: undefined };
}

/**
 * ioredis's rejection of a command queued while disconnected (`maxRetriesPerRequest` 0): it says
 * "Reached the max retries per request limit", which is true but not the news.
 */
function isRetriesExhausted(error: unknown): boolean {
  return error instanceof Error && error.name === "MaxRetriesPerRequestError";
}

/** ioredis's rejection of a command that got no answer within its `commandTimeout`. */
function isCommandTimeout(error: unknown): boolean {
  return error instanceof Error && error.message === "Command timed out";
}
