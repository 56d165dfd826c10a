/**
 * `SESSION_STORE_URL` → a store. Drivers are imported dynamically, so an app on the file store never
 * loads ioredis, pg or memjs.
 *
 *   memory:                                   in-process Map (tests, one process)
 *   file:  file:.data/sessions  file:///abs   the embedded default
 *   redis://host:6379/0  rediss://…           Redis (TLS with rediss)
 *   redis-cluster://host:7000,host:7001       Redis Cluster seed nodes
 *   postgres://user@host:5432/db  postgresql://…
 *   memcached://host:11211[,host2:11211]
 *
 * satchel's own options ride in the query string and are removed before the URL reaches the driver:
 * `timeoutMs` (network stores), `prefix` (redis, memcached key prefix), `table` (postgres).
 */
import { isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { SatchelConfigError } from "../errors.ts";
import type { SessionStore } from "./types.ts";

/** The schemes `resolveStore` understands, as shown in errors. */
const SUPPORTED_STORE_URLS = [
  "memory:",
  "file:",
  "redis://",
  "rediss://",
  "redis-cluster://",
  "postgres://",
  "postgresql://",
  "memcached://",
] as const;

/** The URL without satchel's own query parameters, and those parameters. */
function splitOptions(url: string, ours: readonly string[]): { url: string; params: Map<string, string> } {
  const at = url.indexOf("?");
  if (at < 0) return { url, params: new Map() };
  const query = new URLSearchParams(url.slice(at + 1));
  const params = new Map<string, string>();
  for (const name of ours) {
    const value = query.get(name);
    if (value !== null) params.set(name, value);
    query.delete(name);
  }
  const rest = query.toString();
  return { url: url.slice(0, at) + (rest ? `?${rest}` : ""), params };
}

function timeoutFrom(params: Map<string, string>, scheme: string): { timeoutMs?: number } {
  const text = params.get("timeoutMs");
  if (text === undefined) return {};
  const timeoutMs = Number(text);
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new SatchelConfigError(
      `satchel: SESSION_STORE_URL (${scheme}) has timeoutMs=${text}; use a positive number of ms.`,
    );
  }
  return { timeoutMs };
}

/** `file:` → the default dir; `file:relative/dir`, `file:/abs/dir`, `file:///abs/dir`. */
function fileDir(url: string): string | undefined {
  const rest = url.slice("file:".length).split("?")[0] ?? "";
  if (rest === "") return undefined;
  if (rest.startsWith("//")) return fileURLToPath(url.split("?")[0] ?? url);
  const path = decodeURIComponent(rest);
  return isAbsolute(path) ? path : resolve(path);
}

/**
 * Build the store a URL names. Throws `SatchelConfigError` (listing the supported schemes) for an
 * unknown scheme. Network stores connect in the background; the first operation waits for it.
 */
export async function resolveStore(url: string): Promise<SessionStore> {
  const trimmed = url.trim();
  const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(trimmed)?.[0].toLowerCase() ?? "";
  switch (scheme) {
    case "memory:": {
      const { createMemoryStore } = await import("./memory.ts");
      return createMemoryStore();
    }
    case "file:": {
      const { createFileStore } = await import("./file.ts");
      const dir = fileDir(trimmed);
      return createFileStore(dir === undefined ? {} : { dir });
    }
    case "redis:":
    case "rediss:": {
      const { url: clean, params } = splitOptions(trimmed, ["timeoutMs", "prefix"]);
      const { createRedisStore } = await import("./redis.ts");
      const prefix = params.get("prefix");
      return createRedisStore({
        url: clean,
        ...timeoutFrom(params, scheme),
        ...(prefix === undefined ? {} : { prefix }),
      });
    }
    case "redis-cluster:": {
      const { url: clean, params } = splitOptions(trimmed, ["timeoutMs", "prefix"]);
      const nodes = clean
        .slice("redis-cluster://".length)
        .split(/[/?#]/)[0]
        ?.split(",")
        .filter((node) => node !== "");
      if (!nodes || nodes.length === 0) {
        throw new SatchelConfigError(
          "satchel: redis-cluster:// needs at least one host:port, e.g. redis-cluster://10.0.0.1:7000,10.0.0.2:7000.",
        );
      }
      const { createRedisStore } = await import("./redis.ts");
      const prefix = params.get("prefix");
      return createRedisStore({
        clusterNodes: nodes,
        ...timeoutFrom(params, scheme),
        ...(prefix === undefined ? {} : { prefix }),
      });
    }
    case "postgres:":
    case "postgresql:": {
      const { url: clean, params } = splitOptions(trimmed, ["timeoutMs", "table"]);
      const { createPostgresStore } = await import("./postgres.ts");
      const table = params.get("table");
      return createPostgresStore({
        url: clean,
        ...timeoutFrom(params, scheme),
        ...(table === undefined ? {} : { table }),
      });
    }
    case "memcached:": {
      const { url: clean, params } = splitOptions(trimmed, ["timeoutMs", "prefix"]);
      const { createMemcachedStore } = await import("./memcached.ts");
      const prefix = params.get("prefix");
      return createMemcachedStore({
        url: clean,
        ...timeoutFrom(params, scheme),
        ...(prefix === undefined ? {} : { prefix }),
      });
    }
    default:
      // Only the scheme is echoed: the rest of a store URL may hold a password.
      throw new SatchelConfigError(
        `satchel: SESSION_STORE_URL has ${scheme ? `an unsupported scheme "${scheme}"` : "no scheme"}; ` +
          `use one of ${SUPPORTED_STORE_URLS.join(", ")} (or pass a store object in code).`,
      );
  }
}
