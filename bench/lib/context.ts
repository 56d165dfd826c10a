/** What every figure gets from the harness. */
import type { RoundOptions } from "./stats.ts";

export interface BenchContext {
  /** `--quick`: smoke-run sizes; checks the harness, not the numbers. */
  quick: boolean;
  /** Warm-up, run length and repeats for in-process throughput loops. */
  rounds: RoundOptions;
  /** Scratch directory (gitignored), created fresh per run. */
  tmpDir: string;
  /** A unique prefix for Redis keys, Postgres tables and so on, so parallel runs never collide. */
  runId: string;
  /** Progress output (stderr), so stdout stays clean. */
  log(message: string): void;
  /** The soak figure's parameters (`--soak-heap-mb`, `--soak-batches`, `--soak-requests`). */
  soak: SoakParameters;
}

/** How long and under which heap cap the soak figure runs the demo app. */
export interface SoakParameters {
  /** The server's `--max-old-space-size` in MB; 0 runs it without a cap. */
  heapMb: number;
  /** Batches of requests, the first a warm-up. */
  batches: number;
  /** Requests per batch. */
  requests: number;
  /** The whole soak stops after this many seconds, whatever is left. */
  limitSeconds: number;
}
