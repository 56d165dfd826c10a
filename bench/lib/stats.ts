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

/** One recorded run of a variant: runs `op` for about `ms` milliseconds and returns a number. */
export type Measure = (op: () => Promise<unknown>, ms: number) => Promise<number>;

/**
 * Process CPU microseconds (user + system, every thread: GC and JIT work the op causes count) per
 * `op`, run back to back for about `ms` milliseconds. On a shared machine CPU time moves far less
 * with other people's load than wall-clock throughput does.
 */
export async function cpuMicrosPerOp(
  op: () => Promise<unknown>,
  ms: number,
  checkEvery = 16,
): Promise<number> {
  const cpuStart = process.cpuUsage();
  const end = performance.now() + ms;
  let count = 0;
  do {
    for (let i = 0; i < checkEvery; i++) await op();
    count += checkEvery;
  } while (performance.now() < end);
  const used = process.cpuUsage(cpuStart);
  return (used.user + used.system) / count;
}

/**
 * Measures several variants round-robin: warm each up, then record `repeats` runs, visiting the
 * variants in turn each round, so slow drift on a shared machine hits every variant alike and
 * the ratios stay fair. Returns each variant's runs in round order (run `i` of every variant was
 * taken in the same round).
 */
export function interleavedRuns(
  variants: Record<string, () => Promise<unknown>>,
  options: RoundOptions,
  measure: Measure = opsPerSecond,
): Promise<Record<string, number[]>> {
  const runs = Object.fromEntries(
    Object.entries(variants).map(([name, op]) => [name, (ms: number) => measure(op, ms)]),
  );
  return interleavedRounds(runs, options);
}

/**
 * `interleavedRuns` over variants that measure themselves: each takes the milliseconds of one run
 * and returns its number (one measured elsewhere, e.g. in a process of its own).
 */
export async function interleavedRounds(
  variants: Record<string, (ms: number) => Promise<number>>,
  options: RoundOptions,
): Promise<Record<string, number[]>> {
  const names = Object.keys(variants);
  const run = (name: string, ms: number) => (variants[name] as (ms: number) => Promise<number>)(ms);
  for (const name of names) await run(name, options.warmupMs);
  const runs: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
  for (let round = 0; round < options.repeats; round++) {
    // Rotate the starting variant each round so none always runs first (or last).
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + round) % names.length] as string;
      runs[name]?.push(await run(name, options.runMs));
    }
  }
  return runs;
}

/** `interleavedRuns`, summarized: the median of each variant with its spread. */
export async function interleaved(
  variants: Record<string, () => Promise<unknown>>,
  options: RoundOptions,
  measure: Measure = opsPerSecond,
): Promise<Record<string, Sample>> {
  const runs = await interleavedRuns(variants, options, measure);
  return Object.fromEntries(Object.entries(runs).map(([name, values]) => [name, summarize(values)]));
}

/** Milliseconds taken by `fn`. */
export async function timeMs(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/** Least-squares line through the points: `y ≈ intercept + slope × x`. */
export function linearFit(
  xs: readonly number[],
  ys: readonly number[],
): { slope: number; intercept: number } {
  if (xs.length !== ys.length || xs.length < 2)
    throw new Error("bench: linearFit() needs two or more points");
  const n = xs.length;
  const meanX = xs.reduce((a, b) => a + b, 0) / n;
  const meanY = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    const dx = (xs[i] as number) - meanX;
    sxy += dx * ((ys[i] as number) - meanY);
    sxx += dx * dx;
  }
  const slope = sxy / sxx;
  return { slope, intercept: meanY - slope * meanX };
}
