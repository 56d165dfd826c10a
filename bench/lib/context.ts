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
}
