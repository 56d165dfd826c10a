/**
 * Keeps the delete watches a store started, so its `close()` can stop them (a LISTEN connection
 * or a subscriber left open would keep the process alive and the pool from ending).
 */
import type { DeleteListener, DeleteWatch } from "./types.ts";

export interface DeleteWatches {
  /** Starts a watch with `start` and tracks it until it is stopped. */
  watch(
    start: (listener: DeleteListener) => Promise<DeleteWatch>,
    listener: DeleteListener,
  ): Promise<DeleteWatch>;
  /** Stops every watch still running. */
  stopAll(): Promise<void>;
}

export function createDeleteWatches(): DeleteWatches {
  const running = new Set<DeleteWatch>();
  return {
    async watch(start, listener) {
      const started = await start(listener);
      running.add(started);
      return {
        async stop() {
          running.delete(started);
          await started.stop();
        },
      };
    },
    async stopAll() {
      const all = [...running];
      running.clear();
      await Promise.all(all.map((watch) => watch.stop()));
    },
  };
}
