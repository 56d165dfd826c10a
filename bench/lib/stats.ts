/**
 * Small statistics and timing loops for the benchmarks: every figure reports the median of
 * repeated, warmed-up samples together with the min and max, so the spread is visible.
 */

/** A repeated measurement: the median and its spread over `samples` runs. */
export interface Sample {
  /** Median of the runs. */
  median: number;
  /** Smallest run. */
  min: number;
  /** Largest run. */
  max: number;
  /** Number of runs. */
  samples: number;
}

/** Median, min and max of a non-empty list. */
export function summarize(values: readonly number[]): Sample {
  if (values.length === 0) throw new Error("bench: summarize() needs at least one value");
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median =
    sorted.length % 2 === 1
      ? (sorted[mid] as number)
      : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return {
    median,
    min: sorted[0] as number,
    max: sorted[sorted.length - 1] as number,
    samples: values.length,
  };
}

/** A sample of exactly one value (counts, byte sizes: no spread to speak of). */
export function exact(value: number): Sample {
  return { median: value, min: value, max: value, samples: 1 };
}

/**
 * Runs `op` back to back (each awaited, as a request would) for about `ms` milliseconds and
 * returns operations per second. The clock is read every `checkEvery` operations so reading it
 * does not dominate very fast operations.
 */
export async function opsPerSecond(op: () => Promise<unknown>, ms: number, checkEvery = 16): Promise<number> {
  const start = performance.now();
  const end = start + ms;
  let count = 0;
  let now = start;
  while (now < end) {
    for (let i = 0; i < checkEvery; i++) await op();
    count += checkEvery;
    now = performance.now();
  }
  return (count * 1000) / (now - start);
}

/** How long one repeat-and-warm-up cycle runs. */
export interface RoundOptions {
  /** Milliseconds of unrecorded warm-up per variant (JIT, key caches, connections). */
  warmupMs: number;
  /** Milliseconds per recorded run. */
  runMs: number;
  /** Recorded runs per variant. */
  repeats: number;
}

/**
 * Measures several variants round-robin: warm each up, then record `repeats` runs, visiting the
 * variants in turn each round, so slow drift on a shared machine hits every variant alike and
 * the ratios stay fair.
 */
export async function interleaved(
  variants: Record<string, () => Promise<unknown>>,
  options: RoundOptions,
): Promise<Record<string, Sample>> {
  const names = Object.keys(variants);
  for (const name of names) await opsPerSecond(variants[name] as () => Promise<unknown>, options.warmupMs);
  const runs: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
  for (let round = 0; round < options.repeats; round++) {
    // Rotate the starting variant each round so none always runs first (or last).
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + round) % names.length] as string;
      runs[name]?.push(await opsPerSecond(variants[name] as () => Promise<unknown>, options.runMs));
    }
  }
  return Object.fromEntries(names.map((name) => [name, summarize(runs[name] as number[])]));
}

/** Milliseconds taken by `fn`. */
export async function timeMs(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}
