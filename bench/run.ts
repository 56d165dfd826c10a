/**
 * `npm run bench` — measures satchel against its peers on this machine and writes
 * bench/results.json, bench/results.md and bench/results.svg.
 *
 *   npm run bench                 full run (bounded: about 30 minutes on 2 cores)
 *   npm run bench -- --quick      smoke run, a few minutes: checks the harness, not the numbers
 *   npm run bench -- --only 1,2   only some figures (1 … 9)
 *   npm run bench -- --out DIR    write the three files to DIR instead of bench/
 *   npm run bench -- --only 9 --soak-heap-mb 160 --soak-batches 10 --soak-requests 600
 *                                 the soak figure's heap cap (0: none), batches and requests per batch
 */
import { mkdir, rm, writeFile } from "node:fs/promises";
import { loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { generatorFigure } from "./figures/generator.ts";
import { growthFigure } from "./figures/growth.ts";
import { instructionsFigure } from "./figures/instructions.ts";
import { lostUpdatesFigure } from "./figures/lost-updates.ts";
import { nextRoutesFigure } from "./figures/next-routes.ts";
import { sealFigures } from "./figures/seal.ts";
import { soakFigure } from "./figures/soak.ts";
import { storePathFigure } from "./figures/store-path.ts";
import type { BenchContext, SoakParameters } from "./lib/context.ts";
import { describeMachine } from "./lib/machine.ts";
import { renderMarkdown } from "./lib/markdown.ts";
import { evaluate, type Results, type RowInput } from "./lib/result.ts";
import { renderSvg } from "./lib/svg.ts";

const benchDir = fileURLToPath(new URL(".", import.meta.url));

interface Figure {
  /** Figure numbers the module produces rows for. */
  numbers: number[];
  title: string;
  run(ctx: BenchContext): Promise<RowInput[]>;
}

const FIGURES: Figure[] = [
  {
    numbers: [1, 2],
    title: "seal + unseal throughput, cookie bytes",
    run: (ctx) => sealFigures(ctx.rounds),
  },
  { numbers: [3], title: "Next.js route handlers under load", run: nextRoutesFigure },
  { numbers: [4], title: "Redis store path per request", run: storePathFigure },
  { numbers: [5], title: "lost updates under 100 concurrent appends", run: lostUpdatesFigure },
  { numbers: [6], title: "generator: cold gen and watch regeneration", run: generatorFigure },
  { numbers: [7], title: "how cost grows with session size and sessions per request", run: growthFigure },
  {
    numbers: [8],
    title: "instructions per request (callgrind, main thread, steady state)",
    run: instructionsFigure,
  },
  { numbers: [9], title: "soak: the demo app's memory and throughput under a heap cap", run: soakFigure },
];

/** A whole number ≥ `min` from the command line, or `fallback` when the option is absent. */
function count(value: string | undefined, name: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new Error(`bench: --${name} takes a whole number ≥ ${min}, got ${value}`);
  return n;
}

function parse(): { quick: boolean; only: Set<number> | null; out: string; soak: SoakParameters } {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      only: { type: "string" },
      out: { type: "string" },
      "soak-heap-mb": { type: "string" },
      "soak-batches": { type: "string" },
      "soak-requests": { type: "string" },
    },
  });
  const quick = values.quick ?? false;
  const soak: SoakParameters = {
    heapMb: count(values["soak-heap-mb"], "soak-heap-mb", 160, 0),
    batches: count(values["soak-batches"], "soak-batches", quick ? 3 : 10, 2),
    requests: count(values["soak-requests"], "soak-requests", quick ? 80 : 600, 1),
    limitSeconds: quick ? 120 : 900,
  };
  const only = values.only
    ? new Set(
        values.only
          .split(",")
          .map((n) => Number(n.trim()))
          .filter((n) => Number.isInteger(n)),
      )
    : null;
  return { quick, only, out: values.out ?? benchDir, soak };
}

async function main(): Promise<void> {
  const args = parse();
  const started = performance.now();
  const loadAtStart = loadavg()[0] as number;
  const runId = `satchel-bench-${process.pid}-${Date.now().toString(36)}`;
  const tmpDir = join(benchDir, ".tmp", runId);
  await mkdir(tmpDir, { recursive: true });
  const ctx: BenchContext = {
    quick: args.quick,
    rounds: args.quick ? { warmupMs: 50, runMs: 80, repeats: 2 } : { warmupMs: 700, runMs: 1200, repeats: 7 },
    tmpDir,
    runId,
    log: (message) =>
      process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(0)}s] ${message}\n`),
    soak: args.soak,
  };
  const rows: RowInput[] = [];
  try {
    for (const figure of FIGURES) {
      if (args.only && !figure.numbers.some((n) => args.only?.has(n))) continue;
      ctx.log(`figure ${figure.numbers.join("+")}: ${figure.title}`);
      try {
        const produced = await figure.run(ctx);
        rows.push(...produced.filter((row) => !args.only || args.only.has(row.figure)));
      } catch (error) {
        // One broken figure must not lose the others: it becomes a row that says so.
        const message = error instanceof Error ? error.message : String(error);
        ctx.log(`figure ${figure.numbers.join("+")} failed: ${message}`);
        for (const n of figure.numbers) {
          rows.push({
            id: `figure-${n}-failed`,
            figure: n,
            description: figure.title,
            unit: "",
            higherIsBetter: true,
            satchel: null,
            peers: {},
            reference: null,
            target: "",
            checks: [],
            skipped: `the harness failed: ${message.split("\n")[0]}`,
          });
        }
      }
    }
  } finally {
    await rm(tmpDir, { recursive: true, force: true });
  }
  const results: Results = {
    machine: describeMachine(),
    node: process.versions.node,
    date: new Date().toISOString(),
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`,
    quick: args.quick,
    loadAverage: { start: Number(loadAtStart.toFixed(2)), end: Number((loadavg()[0] as number).toFixed(2)) },
    durationSeconds: Math.round((performance.now() - started) / 1000),
    figures: rows.sort((a, b) => a.figure - b.figure).map(evaluate),
  };
  await mkdir(args.out, { recursive: true });
  await writeFile(join(args.out, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(join(args.out, "results.md"), renderMarkdown(results));
  await writeFile(join(args.out, "results.svg"), renderSvg(results));
  ctx.log(`wrote results.json, results.md, results.svg to ${args.out} in ${results.durationSeconds}s`);
  process.stdout.write(renderMarkdown(results));
}

await main();
