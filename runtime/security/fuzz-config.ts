/**
 * How many cases each property test runs: `SATCHEL_FUZZ_RUNS` (default 300, the CI budget).
 * `npm run test:fuzz` raises it so the whole security suite runs at least 100,000 cases.
 * `SATCHEL_FUZZ_SEED` replays a failing run (fast-check prints the seed on failure).
 */
import type { Parameters as FcParameters } from "fast-check";

const DEFAULT_RUNS = 300;

function readRuns(): number {
  const text = globalThis.process?.env?.SATCHEL_FUZZ_RUNS;
  if (text === undefined || text === "") return DEFAULT_RUNS;
  const runs = Number(text);
  if (!Number.isInteger(runs) || runs < 1) {
    throw new Error(`satchel: SATCHEL_FUZZ_RUNS must be a positive integer, got ${JSON.stringify(text)}.`);
  }
  return runs;
}

/** Cases per property in this run. */
export const FUZZ_RUNS = readRuns();

/**
 * fast-check parameters for one property: `weight` scales the run count for properties that are
 * much slower per case (a full request round trip), so the suite stays within its time budget.
 */
export function fuzzParameters<T>(weight = 1): FcParameters<T> {
  const numRuns = Math.max(1, Math.round(FUZZ_RUNS * weight));
  const seedText = globalThis.process?.env?.SATCHEL_FUZZ_SEED;
  const params: FcParameters<T> = { numRuns };
  if (seedText !== undefined && seedText !== "") params.seed = Number(seedText);
  return params;
}

/**
 * Vitest timeout for a property: `perCaseMs` per case plus a fixed margin. Bounded by the case
 * count, so a stuck case still fails instead of hanging the run.
 */
export function fuzzTimeout(perCaseMs: number, weight = 1): number {
  return 30_000 + Math.ceil(FUZZ_RUNS * weight * perCaseMs);
}

let casesInThisFile = 0;

/** Logs how many cases a property ran and how long it took, and adds them to the file's total. */
export function reportFuzz(label: string, runs: number, startedAt: number): void {
  const ms = performance.now() - startedAt;
  casesInThisFile += runs;
  console.info(`[fuzz] ${label}: ${runs} cases in ${ms.toFixed(0)} ms`);
}

/** Cases run so far by the properties of this test file (each file runs in its own worker). */
export function fuzzCasesSoFar(): number {
  return casesInThisFile;
}
