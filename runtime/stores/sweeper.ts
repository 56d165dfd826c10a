/**
 * The expiry sweep's timer, for stores whose backend does not drop expired records by itself (file,
 * Postgres). Expired records are never returned anyway (every read checks the expiry); the sweep only
 * reclaims their space.
 */

export interface Sweeper {
  /** Start the interval, once; called by writes, so a store that is only read never starts a timer. */
  start(): void;
  stop(): void;
}

/** An unref'd interval running `sweep` every `intervalMs` (0 or less: never). */
export function createSweeper(intervalMs: number, sweep: () => Promise<unknown>): Sweeper {
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  return {
    start() {
      if (timer || stopped || intervalMs <= 0) return;
      timer = setInterval(() => {
        sweep().catch(() => {
          // A failed background sweep is retried on the next tick; expired records are filtered on read anyway.
        });
      }, intervalMs);
      timer.unref();
    },
    stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      timer = null;
    },
  };
}
