/**
 * Figure 9: memory stays flat under a long mixed load. The demo app (examples/next-app: `next build`,
 * then `next start` with the embedded file store in a fresh directory) runs with its old-generation
 * heap capped (`--max-old-space-size`, `--soak-heap-mb`, default 160) through batches of mixed
 * requests from returning and new visitors (bench/lib/soak-visitors.ts): page renders, a cookie
 * session route and a store session route. Each batch reports the server's resident memory (the
 * whole process tree, from /proc) and requests per second.
 *
 * Without a cap V8 grows its heap lazily and keeps it, so RSS says nothing about leaks; with a cap,
 * garbage is collected and a leak shows as RSS rising batch over batch, then as failed requests or
 * a crash once the heap is full. The rows compare the last batches with the first ones after the
 * warm-up batch, in the same run.
 */
import { type RunningApp, startApp } from "../../examples/next-app/tests/app-server.ts";
import type { BenchContext } from "../lib/context.ts";
import { treeCpuMs } from "../lib/cpu.ts";
import { processIn, treeRssBytes } from "../lib/process-tree.ts";
import type { RowInput } from "../lib/result.ts";
import { SoakVisitors, VISIT } from "../lib/soak-visitors.ts";
import { exact, linearFit, type Sample, summarize } from "../lib/stats.ts";

const VISITORS = 48;
const CONCURRENCY = 8;
/** New visitors per batch (they replace the oldest): sessions keep being created. */
const NEW_PER_BATCH = 6;
const MB = 1024 * 1024;

interface Batch {
  n: number;
  requests: number;
  /** Requests answered below 400 per second. */
  perSecond: number;
  rssMb: number | null;
  cpuPerRequestUs: number | null;
  failures: number;
  firstFailure?: string;
}

/** Batches compared: the first `k` after the warm-up batch, and the last `k`. */
function windows(batches: Batch[]): { early: Batch[]; late: Batch[] } {
  const measured = batches.slice(1);
  const k = Math.max(1, Math.floor(measured.length / 3));
  return { early: measured.slice(0, k), late: measured.slice(-k) };
}

const span = (list: Batch[]) =>
  list.length === 1 ? `batch ${list[0]?.n}` : `batches ${list[0]?.n}–${list.at(-1)?.n}`;

function sampleOf(list: Batch[], pick: (b: Batch) => number | null): Sample | null {
  const values = list.map(pick).filter((v): v is number => v !== null);
  return values.length === 0 ? null : summarize(values);
}

function describe(b: Batch): string {
  const rss = b.rssMb === null ? "gone" : `${b.rssMb.toFixed(0)} MB`;
  const cpu = b.cpuPerRequestUs === null ? "" : `, ${Math.round(b.cpuPerRequestUs)} µs CPU/req`;
  return `${b.n}: ${Math.round(b.perSecond)} req/s, ${rss}${cpu}${b.failures > 0 ? `, ${b.failures} failed` : ""}`;
}

/** The slope of RSS against requests served, per 10,000 requests, over `list`. */
function rssTrend(list: Batch[]): string {
  const points: [number, number][] = [];
  let served = 0;
  for (const b of list) {
    served += b.requests;
    if (b.rssMb !== null) points.push([served, b.rssMb]);
  }
  if (points.length < 2) return "? (too few batches)";
  const { slope } = linearFit(
    points.map(([x]) => x),
    points.map(([, y]) => y),
  );
  return `${slope >= 0 ? "+" : ""}${(slope * 10_000).toFixed(1)}`;
}

/** Runs the batches against a started app; stops early when the server is gone or time is up. */
async function runBatches(
  app: RunningApp,
  ctx: BenchContext,
): Promise<{ batches: Batch[]; stopped?: string }> {
  const { soak } = ctx;
  const pid = processIn(app.workDir);
  if (pid === null) throw new Error("bench: the demo app's server process was not found");
  const visitors = new SoakVisitors(app.url, { visitors: VISITORS, concurrency: CONCURRENCY });
  const deadline = performance.now() + soak.limitSeconds * 1000;
  const batches: Batch[] = [];
  try {
    for (let n = 1; n <= soak.batches; n++) {
      if (performance.now() >= deadline)
        return { batches, stopped: `the ${soak.limitSeconds} s limit passed` };
      if (n > 1) visitors.renew(NEW_PER_BATCH);
      const cpuBefore = treeCpuMs(pid);
      const result = await visitors.batch(soak.requests, deadline);
      const cpuAfter = treeCpuMs(pid);
      const rss = treeRssBytes(pid);
      const batch: Batch = {
        n,
        requests: result.requests,
        // Answered requests only: a dead server fails fast, and that is no throughput.
        perSecond: (result.requests - result.failures) / result.seconds,
        rssMb: rss === null ? null : rss / MB,
        cpuPerRequestUs:
          cpuBefore === null || cpuAfter === null ? null : ((cpuAfter - cpuBefore) * 1000) / result.requests,
        failures: result.failures,
        ...(result.firstFailure === undefined ? {} : { firstFailure: result.firstFailure }),
      };
      batches.push(batch);
      ctx.log(`  batch ${describe(batch)}`);
      if (rss === null) return { batches, stopped: "the server exited" };
    }
    return { batches };
  } finally {
    visitors.close();
  }
}

/** Figure 9: RSS and req/s of the capped demo app, batch by batch. */
export async function soakFigure(ctx: BenchContext): Promise<RowInput[]> {
  const { soak } = ctx;
  const cap = soak.heapMb > 0 ? `--max-old-space-size=${soak.heapMb}` : "no heap cap";
  ctx.log(`  building (if its sources changed) and starting examples/next-app, ${cap}`);
  const app = await startApp(
    soak.heapMb > 0 ? { serverNodeOptions: `--max-old-space-size=${soak.heapMb}` } : {},
  );
  let run: Awaited<ReturnType<typeof runBatches>>;
  try {
    run = await runBatches(app, ctx);
  } finally {
    await app.stop();
  }
  const { batches, stopped } = run;
  if (batches.length < 2)
    throw new Error(`bench: the soak ran ${batches.length} batch(es): ${stopped ?? ""}`);
  const { early, late } = windows(batches);
  const requests = batches.reduce((sum, b) => sum + b.requests, 0);
  const failures = batches.reduce((sum, b) => sum + b.failures, 0);
  const firstFailure = batches.find((b) => b.firstFailure !== undefined)?.firstFailure;
  const trend = `RSS trend (least squares, MB per 10,000 requests): ${rssTrend(batches.slice(1))} after the warm-up batch, ${rssTrend(batches.slice(Math.ceil(batches.length / 2)))} over the last half (a leak keeps climbing there; a heap settling in does not)`;
  const setup = `demo app under next start, ${cap}, file store; ${VISITORS} visitors (${NEW_PER_BATCH} new per batch) over ${CONCURRENCY} keep-alive connections on 127.0.0.1; each visit: ${VISIT.map((s) => s.kind).join(", ")}; ${batches.length} batches, ${requests.toLocaleString("en-US")} requests${stopped ? ` (stopped early: ${stopped})` : ""}; batch 1 is the warm-up`;
  const perBatch = `per batch (req/s, server RSS after the batch, server CPU per request): ${batches.map(describe).join("; ")}`;
  const earlyName = `${span(early)} (after warm-up)`;
  const lateName = span(late);
  const asPeer = (sample: Sample | null): Record<string, Sample> =>
    sample === null ? {} : { [earlyName]: sample };
  return [
    {
      id: "soak-rss",
      figure: 9,
      description: "Server memory under a long mixed load, last batches vs first (RSS)",
      unit: "MB",
      higherIsBetter: false,
      satchel: sampleOf(late, (b) => b.rssMb),
      peers: asPeer(sampleOf(early, (b) => b.rssMb)),
      reference: earlyName,
      target: `flat: ${lateName} ≤ 1.10× ${span(early)}`,
      checks: [{ kind: "ratio", against: earlyName, op: "<=", threshold: 1.1 }],
      notes: [setup, trend, perBatch],
    },
    {
      id: "soak-throughput",
      figure: 9,
      description: "Throughput under a long mixed load, last batches vs first",
      unit: "req/s",
      higherIsBetter: true,
      satchel: sampleOf(late, (b) => b.perSecond),
      peers: asPeer(sampleOf(early, (b) => b.perSecond)),
      reference: earlyName,
      target: `steady: ${lateName} ≥ 0.85× ${span(early)}`,
      checks: [{ kind: "ratio", against: earlyName, op: ">=", threshold: 0.85 }],
      notes: [
        `server CPU per request: ${lateName} ${Math.round(sampleOf(late, (b) => b.cpuPerRequestUs)?.median ?? 0)} µs, ${span(early)} ${Math.round(sampleOf(early, (b) => b.cpuPerRequestUs)?.median ?? 0)} µs (moves less with other load on the machine than req/s)`,
      ],
    },
    {
      id: "soak-failures",
      figure: 9,
      description: "Failed requests and crashes under a long mixed load",
      unit: "failed requests",
      higherIsBetter: false,
      satchel: exact(failures + (stopped === "the server exited" ? 1 : 0)),
      peers: {},
      reference: null,
      target: "0 failed, server alive",
      checks: [{ kind: "value", op: "==", threshold: 0 }],
      notes: [
        firstFailure ? `first failure: ${firstFailure}` : "every request answered below 400",
        ...(stopped ? [`stopped: ${stopped}`] : []),
      ],
    },
  ];
}
