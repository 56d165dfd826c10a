/**
 * When the tiered store may trust its cache, given that other processes delete sessions too. With a
 * durable store that announces deletes (`watchDeletes`: Redis pub/sub, Postgres LISTEN/NOTIFY), every
 * delete heard is tombstoned in this cache; while that channel is down the cache is bypassed, and
 * entries filled before it came back are not trusted (deletes may have been missed meanwhile).
 */
import type { DeleteWatch, SessionStore } from "../types.ts";

export interface DeleteTrust {
  /**
   * Since when (wall-clock ms) deletes are heard: cache entries filled before it are not trusted;
   * `null` while the delete channel is down (the cache is bypassed). 0: no channel (single process).
   */
  since(): number | null;
  /** Starts hearing deletes on first use (so creating the store opens nothing); resolves once listening. */
  start(): Promise<void>;
  /** A `start()` has resolved and no `stop()` came since: another `start()` would change nothing. */
  started(): boolean;
  /** Stops hearing deletes; a later `start()` listens again. */
  stop(): Promise<void>;
}

export function createDeleteTrust(
  durable: SessionStore,
  enabled: boolean,
  /** A delete heard from any instance. */
  deleted: (key: string) => void,
  report: (error: unknown, operation: string) => void,
): DeleteTrust {
  let trustedSince: number | null = 0;
  let watching: Promise<DeleteWatch | null> | null = null;
  /** The `watching` that a `start()` has seen resolve. */
  let resolved: Promise<DeleteWatch | null> | null = null;

  function watch(): Promise<DeleteWatch | null> {
    const durableWatch = durable.watchDeletes?.bind(durable);
    if (!enabled || durableWatch === undefined) return Promise.resolve(null);
    trustedSince = null;
    return durableWatch({
      deleted,
      up: () => {
        trustedSince = Date.now();
      },
      down: () => {
        trustedSince = null;
      },
    }).catch((error: unknown) => {
      report(error, "watchDeletes");
      return null; // stays bypassed: trustedSince is null
    });
  }

  return {
    since: () => trustedSince,
    async start() {
      watching ??= watch();
      const current = watching;
      await current;
      resolved = current;
    },
    started: () => watching !== null && resolved === watching,
    async stop() {
      const running = await watching;
      watching = null;
      resolved = null;
      await running?.stop();
    },
  };
}
