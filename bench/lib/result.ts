/**
 * The shape of `bench/results.json` and the one place where ratios and `met` are computed from
 * measurements. Figures hand over raw samples and a target; nothing here is written by hand.
 */
import type { Sample } from "./stats.ts";

/** How a target compares: satchel against a peer (`ratio`) or satchel's own value (`value`). */
export interface TargetCheck {
  /** `ratio`: satchel ÷ the named peer; `value`: satchel's value itself (e.g. ms, items lost). */
  kind: "ratio" | "value";
  /** Peer name for `ratio` checks. */
  against?: string;
  op: ">=" | "<=" | "<" | "==";
  /** The number the ratio or value is compared with. */
  threshold: number;
}

/** A check after the run: the number it looked at and whether it held. */
export interface CheckResult extends TargetCheck {
  /** The ratio or value that was compared; `null` when a side is missing. */
  actual: number | null;
  met: boolean | null;
}

/** What a figure module returns for one row of the table, before ratios are computed. */
export interface RowInput {
  /** Stable id, e.g. `seal-300b`. */
  id: string;
  /** Figure number of issue 7 (1 … 6). */
  figure: number;
  description: string;
  /** Unit of every value of the row, e.g. `ops/s`, `bytes`, `req/s`, `items lost`, `ms`. */
  unit: string;
  /** Whether a larger number is better (throughput) or worse (bytes, ms, lost items). */
  higherIsBetter: boolean;
  /** satchel's measurement; `null` when it could not be taken (see `skipped`). */
  satchel: Sample | null;
  /** Peers measured in the same run, by display name. */
  peers: Record<string, Sample>;
  /** Peer that `ratio` is taken against; `null` when the row has no peer reference. */
  reference: string | null;
  /** The target as a person reads it, e.g. `≥ 15× iron-session`. */
  target: string;
  /** The checks the target means; all must hold for `met`. */
  checks: TargetCheck[];
  /** Extra facts that explain the row (payload sizes, round trips per request, what was skipped). */
  notes?: string[];
  /** Why the row was not measured, when it was not. */
  skipped?: string;
}

/** One row of `results.json`. */
export interface FigureResult {
  id: string;
  figure: number;
  description: string;
  unit: string;
  higherIsBetter: boolean;
  /** Median of satchel's runs. */
  satchel: number | null;
  /** Median of each peer's runs. */
  peers: Record<string, number>;
  /** Min, max and number of runs of satchel and of each peer. */
  spread: Record<string, { min: number; max: number; samples: number }>;
  reference: string | null;
  /** satchel ÷ `reference` (medians), or `null` without a reference. */
  ratio: number | null;
  target: string;
  /** Computed from `checks`: true when every check holds, `null` when not measured. */
  met: boolean | null;
  checks: CheckResult[];
  notes: string[];
  skipped?: string;
}

/** The whole file. */
export interface Results {
  machine: string;
  node: string;
  date: string;
  /** The command that produced the file. */
  command: string;
  /** `true` for a `--quick` smoke run: numbers are not meaningful. */
  quick: boolean;
  /** 1-minute load average at the start and the end of the run: how busy the shared machine was. */
  loadAverage: { start: number; end: number };
  /** Wall-clock seconds the run took. */
  durationSeconds: number;
  figures: FigureResult[];
}

function compare(actual: number, op: TargetCheck["op"], threshold: number): boolean {
  switch (op) {
    case ">=":
      return actual >= threshold;
    case "<=":
      return actual <= threshold;
    case "<":
      return actual < threshold;
    case "==":
      return actual === threshold;
  }
}

/** satchel ÷ peer, or `null` when either is missing or the peer is zero. */
export function ratioOf(satchel: number | null, peer: number | undefined): number | null {
  if (satchel === null || peer === undefined || peer === 0) return null;
  return satchel / peer;
}

/** Turns a row of samples into a result row: medians, spread, ratio and `met`. */
export function evaluate(row: RowInput): FigureResult {
  const satchel = row.satchel?.median ?? null;
  const peers = Object.fromEntries(Object.entries(row.peers).map(([name, s]) => [name, s.median]));
  const spread: FigureResult["spread"] = {};
  if (row.satchel)
    spread.satchel = { min: row.satchel.min, max: row.satchel.max, samples: row.satchel.samples };
  for (const [name, s] of Object.entries(row.peers)) {
    spread[name] = { min: s.min, max: s.max, samples: s.samples };
  }
  const checks: CheckResult[] = row.checks.map((check) => {
    const actual =
      check.kind === "ratio"
        ? ratioOf(satchel, check.against === undefined ? undefined : peers[check.against])
        : satchel;
    return { ...check, actual, met: actual === null ? null : compare(actual, check.op, check.threshold) };
  });
  const met =
    row.skipped !== undefined || checks.length === 0 || checks.some((c) => c.met === null)
      ? null
      : checks.every((c) => c.met === true);
  const result: FigureResult = {
    id: row.id,
    figure: row.figure,
    description: row.description,
    unit: row.unit,
    higherIsBetter: row.higherIsBetter,
    satchel,
    peers,
    spread,
    reference: row.reference,
    ratio: row.reference === null ? null : ratioOf(satchel, peers[row.reference]),
    target: row.target,
    met,
    checks,
    notes: row.notes ?? [],
  };
  if (row.skipped !== undefined) result.skipped = row.skipped;
  return result;
}
