/**
 * Figure 7: how the cost of a request grows with the session's size and with the number of sessions
 * a request touches. Per-request CPU (process CPU time per request, user + system) of satchel's
 * Fetch adapter and of a hand-rolled AES-GCM + JSON handler doing the same work
 * (bench/lib/growth-sessions.ts), each handler in a process of its own as a server would run it
 * (bench/lib/growth-process.ts), every point of a series measured in one interleaved run:
 *
 * - bytes: one cookie session of the sign-in session plus two OAuth tokens (bench/lib/payloads.ts
 *   `tokenSession`) at ~300 B, ~2 KB, ~3.5 KB and ~4.5 KB of JSON. satchel deflates from 2,643 bytes
 *   of text, so even pseudo-random tokens of 3.5 KB fit one cookie; 4.5 KB is where its cookie
 *   chunks (the hand-rolled token, base64url of the whole JSON, chunks from ~3 KB);
 * - sessions: 1, 3 and 6 cookie sessions of the ~300-byte session of figures 1–2 in one request.
 *
 * Each point is read + write (every session unsealed, a field changed, sealed and sent back) with
 * the read-only cost in the notes; the slope of each series (least squares, per round, so its
 * spread is the rounds') is its own row: what one more KB, or one more session, costs.
 */
import type { BenchContext } from "../lib/context.ts";
import { type GrowthProcess, startGrowthProcess } from "../lib/growth-process.ts";
import { jsonBytes, tokenSession } from "../lib/payloads.ts";
import type { RowInput } from "../lib/result.ts";
import { interleavedRounds, linearFit, type Sample, summarize } from "../lib/stats.ts";

const HAND = "hand-rolled GCM+JSON session (Fetch)";
const UNIT = "µs CPU/request";
type Mode = "read+write" | "read";
const MODES: Mode[] = ["read+write", "read"];

/** One point of a series: its label, its x (KB of JSON, or sessions) and what is served. */
interface Point {
  id: string;
  label: string;
  x: number;
  /** What is served, as bench/lib/growth-sessions.ts `growthCaseAt` reads it. */
  serves: string;
}

interface Series {
  id: "bytes" | "sessions";
  /** What x counts, for the slope's unit: `KB` or `session`. */
  per: string;
  points: Point[];
}

const BYTE_POINTS: [string, number][] = [
  ["300b", 300],
  ["2kb", 2048],
  ["3.5kb", 3584],
  ["4.5kb", 4608],
];

function bytesSeries(): Series {
  return {
    id: "bytes",
    per: "KB",
    points: BYTE_POINTS.map(([id, bytes]) => {
      const data = tokenSession(bytes);
      const size = jsonBytes(data);
      return {
        id,
        label: `${size.toLocaleString("en-US")}-byte session`,
        x: size / 1024,
        serves: String(bytes),
      };
    }),
  };
}

function sessionsSeries(): Series {
  return {
    id: "sessions",
    per: "session",
    points: [1, 3, 6].map((n) => ({
      id: String(n),
      label: `${n} ~300-byte session${n === 1 ? "" : "s"} in one request`,
      x: n,
      serves: `sessions=${n}`,
    })),
  };
}

const key = (impl: string, point: Point, mode: Mode) => `${impl} ${point.id} ${mode}`;

const cookieText = (c: { count: number; bytes: number }) =>
  `${c.bytes.toLocaleString("en-US")} chars in ${c.count} cookie${c.count === 1 ? "" : "s"}`;

const fixed = (n: number | undefined, digits = 1) => (n === undefined ? "?" : n.toFixed(digits));

/**
 * Measures one series: every point, both handlers, both modes, one interleaved run. Each handler
 * runs in a process of its own (bench/lib/growth-process.ts says why).
 */
async function measureSeries(
  series: Series,
  ctx: BenchContext,
): Promise<{ runs: Record<string, number[]>; cookies: Record<string, string> }> {
  const variants: Record<string, (ms: number) => Promise<number>> = {};
  const cookies: Record<string, string> = {};
  const processes: GrowthProcess[] = [];
  try {
    for (const point of series.points) {
      for (const impl of ["satchel", HAND] as const) {
        // Each handler reads back what it wrote before anything is timed (it throws if not).
        const handler = await startGrowthProcess(impl === HAND ? "hand" : "satchel", point.serves);
        processes.push(handler);
        cookies[`${impl} ${point.id}`] = cookieText(handler.cookies);
        for (const mode of MODES)
          variants[key(impl, point, mode)] = (ms) => handler.measure(mode === "read+write", ms);
      }
    }
    // CPU time moves less than wall time on a busy machine: shorter runs than figure 1's will do.
    const rounds = ctx.quick ? ctx.rounds : { ...ctx.rounds, runMs: 600 };
    ctx.log(`  ${series.id}: ${Object.keys(variants).length} variants, ${rounds.repeats} rounds`);
    return { runs: await interleavedRounds(variants, rounds), cookies };
  } finally {
    for (const handler of processes) handler.stop();
  }
}

/** The slope of each round (least squares over the series' points), summarized over the rounds. */
function slopes(series: Series, runs: Record<string, number[]>, impl: string, mode: Mode): Sample {
  const xs = series.points.map((p) => p.x);
  const rounds = runs[key(impl, series.points[0] as Point, mode)]?.length ?? 0;
  const perRound: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const ys = series.points.map((p) => runs[key(impl, p, mode)]?.[r] as number);
    perRound.push(linearFit(xs, ys).slope);
  }
  return summarize(perRound);
}

/**
 * How straight the series is: each segment's slope (µs per unit between neighbouring points) and
 * the largest gap between a point's median and the least-squares line, as a share of the point.
 */
function linearity(series: Series, medians: number[], per: string): string {
  const xs = series.points.map((p) => p.x);
  const segments = series.points.slice(1).map((p, i) => {
    const from = series.points[i] as Point;
    const slope = ((medians[i + 1] as number) - (medians[i] as number)) / (p.x - from.x);
    return `${from.id}→${p.id} ${fixed(slope)}`;
  });
  const fit = linearFit(xs, medians);
  const worst = Math.max(
    ...medians.map((y, i) => Math.abs(y - (fit.intercept + fit.slope * (xs[i] as number))) / y),
  );
  return `segments ${segments.join(", ")} µs/${per}; fixed part ${fixed(fit.intercept)} µs; largest gap to the line ${(worst * 100).toFixed(0)}% of its point`;
}

function seriesRows(series: Series, measured: Awaited<ReturnType<typeof measureSeries>>): RowInput[] {
  const { runs, cookies } = measured;
  const sample = (impl: string, point: Point, mode: Mode) => summarize(runs[key(impl, point, mode)] ?? []);
  const rows: RowInput[] = series.points.map((point) => {
    const read = { satchel: sample("satchel", point, "read"), [HAND]: sample(HAND, point, "read") };
    return {
      id: `growth-${series.id}-${point.id}`,
      figure: 7,
      description: `Cost per request, read + write, ${point.label}`,
      unit: UNIT,
      higherIsBetter: false,
      satchel: sample("satchel", point, "read+write"),
      peers: { [HAND]: sample(HAND, point, "read+write") },
      reference: HAND,
      target: "≤ 1.0× hand-rolled (issue 23's read + write floor)",
      checks: [{ kind: "ratio", against: HAND, op: "<=", threshold: 1 }],
      notes: [
        `read only (same run): satchel ${fixed(read.satchel.median)} µs, hand-rolled ${fixed(read[HAND].median)} µs, ${(read.satchel.median / read[HAND].median).toFixed(2)}× (issue 23's read floor: ≤ 1.11×, i.e. ≥ 0.90× the rate)`,
        `cookies: satchel ${cookies[`satchel ${point.id}`]}, hand-rolled ${cookies[`${HAND} ${point.id}`]}`,
      ],
    };
  });
  const medians = (impl: string, mode: Mode) => series.points.map((p) => sample(impl, p, mode).median);
  const readSlopes = {
    satchel: slopes(series, runs, "satchel", "read"),
    hand: slopes(series, runs, HAND, "read"),
  };
  rows.push({
    id: `growth-${series.id}-slope`,
    figure: 7,
    description: `Cost of one more ${series.per === "KB" ? "KB of session" : "session in the request"}, read + write (slope)`,
    unit: `µs CPU per ${series.per}`,
    higherIsBetter: false,
    satchel: slopes(series, runs, "satchel", "read+write"),
    peers: { [HAND]: slopes(series, runs, HAND, "read+write") },
    reference: HAND,
    target: "linear; ≤ 1.0× hand-rolled's slope",
    checks: [{ kind: "ratio", against: HAND, op: "<=", threshold: 1 }],
    notes: [
      `least-squares slope over ${series.points.map((p) => p.id).join(", ")}, taken per round (spread = the rounds'); x is ${series.per === "KB" ? "KB of session JSON" : "sessions touched"}`,
      `satchel: ${linearity(series, medians("satchel", "read+write"), series.per)}`,
      `hand-rolled: ${linearity(series, medians(HAND, "read+write"), series.per)}`,
      `read only: satchel ${fixed(readSlopes.satchel.median)} µs per ${series.per}, hand-rolled ${fixed(readSlopes.hand.median)} (${(readSlopes.satchel.median / readSlopes.hand.median).toFixed(2)}×)`,
    ],
  });
  return rows;
}

/** Figure 7: per-request CPU against session size and sessions per request, and the slopes. */
export async function growthFigure(ctx: BenchContext): Promise<RowInput[]> {
  const rows: RowInput[] = [];
  for (const series of [bytesSeries(), sessionsSeries()])
    rows.push(...seriesRows(series, await measureSeries(series, ctx)));
  return rows;
}
