/**
 * Instructions per op with `valgrind --tool=callgrind`: repeatable on a shared machine where time is
 * not. The script under test is bundled once with esbuild (so no TypeScript transpiling is counted)
 * and run once under callgrind; it warms up uninstrumented (`--instr-atstart=no`; the harness switches
 * instrumentation on with `callgrind_control` when the script says it is warm), then marks its
 * measured ops (bench/lib/steady-section.ts). Only the main thread's instructions between the marks
 * are counted (`--separate-threads=yes`, then the main thread's file of the dump the end mark
 * triggers): start-up, warm-up and exit are left out.
 *
 * Node runs with `--single-threaded --predictable-gc-schedule`: no background compiler or GC threads
 * (every GC step a request causes runs, and is counted, on the main thread, instead of being split at
 * random with helper threads; in steady state nothing is compiled any more) and the heap grows on a
 * fixed schedule instead of one driven by timers. With default flags and a short warm-up the same
 * count moved by 6–7% between runs; now by under 0.5% (bench/README.md).
 *
 *   npx tsx bench/lib/callgrind.ts [--warmup N] [--runs R] [--keep DIR] <script.ts> <ops> <variant> [args…]
 *
 * prints instructions per op of each run and their spread. The warm-up defaults to `DEFAULT_WARMUP`
 * ops; `--keep` leaves callgrind's files in DIR for `callgrind_annotate`.
 */
import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, promisify } from "node:util";
import { type Sample, summarize } from "./stats.ts";
import { DUMP_MARK, GO_FILE, SIGNAL_ENV, WARM_FILE, WARMUP_ENV, ZERO_MARK } from "./steady-section.ts";

const run = promisify(execFile);
const tmpDir = fileURLToPath(new URL("../.tmp/", import.meta.url));

/** Flags node runs with under callgrind (see the header). */
export const NODE_ARGS: readonly string[] = ["--single-threaded", "--predictable-gc-schedule"];

/**
 * Warm-up ops before counting. V8 optimizes a request's functions over the first thousands of
 * requests: the Fetch adapter's read + write counted 483k instructions after 600 warm-up ops, 360k
 * after 2,000, 327k after 3,000 and 320k after 8,000.
 */
export const DEFAULT_WARMUP = 5000;

/** How one count is taken. */
export interface CountOptions {
  /** Arguments after `<variant> <ops>`, e.g. the payload size. */
  rest?: readonly string[];
  /** Unmeasured ops first. Default: `DEFAULT_WARMUP`. */
  warmup?: number;
  /** Keep callgrind's files in this directory instead of a temporary one. */
  keep?: string;
}

/** Whether valgrind is installed here. */
export async function hasValgrind(): Promise<boolean> {
  try {
    await run("valgrind", ["--version"]);
    return true;
  } catch {
    return false;
  }
}

/** Bundles `script` (a .ts path) to one ESM file with packages left external; returns its path. */
export async function bundle(script: string): Promise<string> {
  await mkdir(tmpDir, { recursive: true });
  const out = join(tmpDir, `${basename(script, ".ts")}.mjs`);
  await run("npx", [
    "esbuild",
    script,
    "--bundle",
    "--platform=node",
    "--format=esm",
    "--packages=external",
    "--log-level=warning",
    `--outfile=${out}`,
  ]);
  return out;
}

/** The `summary:` count of the main thread's file written by the end mark's dump, or null. */
async function mainThreadSection(dir: string, pid: string): Promise<number | null> {
  for (const name of await readdir(dir)) {
    if (!name.startsWith(`callgrind.out.${pid}.`)) continue;
    const text = await readFile(join(dir, name), "utf8");
    const head = text.slice(0, 4000);
    if (!/^thread: 1$/m.test(head) || !head.includes(`--dump-before=${DUMP_MARK}`)) continue;
    const summary = /^summary: (\d+)$/m.exec(text);
    if (summary) return Number(summary[1]);
  }
  return null;
}

/** Resolves once `path` exists; rejects when `exited` settles first. */
async function appears(path: string, exited: Promise<unknown>): Promise<void> {
  let done = false;
  const gone = exited.then(() => {
    done = true;
  });
  while (!existsSync(path)) {
    if (done) throw new Error("the script exited before its warm-up ended");
    await Promise.race([gone, new Promise((r) => setTimeout(r, 100))]);
  }
}

/**
 * Main-thread instructions per op of `node bundled <variant> <ops> …rest`, counted over `ops` ops
 * after the warm-up, which runs uninstrumented. One valgrind at a time from here (two cores, shared).
 */
export async function instructionsPerOp(
  bundled: string,
  variant: string,
  ops: number,
  options: CountOptions = {},
): Promise<number> {
  await mkdir(tmpDir, { recursive: true });
  const dir = options.keep ?? (await mkdtemp(join(tmpDir, "callgrind-")));
  await mkdir(dir, { recursive: true });
  try {
    const child = spawn(
      "valgrind",
      [
        "--tool=callgrind",
        "--instr-atstart=no",
        "--separate-threads=yes",
        `--zero-before=${ZERO_MARK}`,
        `--dump-before=${DUMP_MARK}`,
        `--callgrind-out-file=${join(dir, "callgrind.out.%p")}`,
        "node",
        ...NODE_ARGS,
        bundled,
        variant,
        String(ops),
        ...(options.rest ?? []),
      ],
      {
        env: { ...process.env, [WARMUP_ENV]: String(options.warmup ?? DEFAULT_WARMUP), [SIGNAL_ENV]: dir },
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-20_000);
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    try {
      await appears(join(dir, WARM_FILE), exited);
      await run("callgrind_control", ["--instr=on", String(child.pid)]);
      await writeFile(join(dir, GO_FILE), "");
    } catch (error) {
      child.kill("SIGKILL");
      throw new Error(
        `bench: counting ${basename(bundled)} ${variant} failed: ${String(error)}\n${stderr.slice(-2000)}`,
      );
    }
    const code = await exited;
    const counted = await mainThreadSection(dir, String(child.pid));
    if (code !== 0 || counted === null)
      throw new Error(
        `bench: callgrind wrote no count for the measured section of ${basename(bundled)} ${variant} (exit ${code}); does it run its ops through steadySection()?\n${stderr.slice(-2000)}`,
      );
    return Math.round(counted / ops);
  } finally {
    if (options.keep === undefined) await rm(dir, { recursive: true, force: true });
  }
}

/** `runs` counts of the same variant, one after another: the spread says how repeatable they are. */
export async function repeatedInstructionsPerOp(
  bundled: string,
  variant: string,
  ops: number,
  runs: number,
  options: CountOptions = {},
): Promise<Sample> {
  const counts: number[] = [];
  for (let i = 0; i < runs; i++) counts.push(await instructionsPerOp(bundled, variant, ops, options));
  return summarize(counts);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      warmup: { type: "string" },
      runs: { type: "string", default: "1" },
      keep: { type: "string" },
    },
  });
  const [script, opsText, variant, ...rest] = positionals;
  if (!script || !opsText || !variant)
    throw new Error(
      "usage: callgrind.ts [--warmup N] [--runs R] [--keep DIR] <script.ts> <ops> <variant> [args…]",
    );
  const ops = Number(opsText);
  const warmup = values.warmup === undefined ? DEFAULT_WARMUP : Number(values.warmup);
  const bundled = await bundle(script);
  const counts: number[] = [];
  for (let i = 0; i < Number(values.runs); i++) {
    const keep = values.keep === undefined ? {} : { keep: resolve(values.keep, `run-${i + 1}`) };
    counts.push(await instructionsPerOp(bundled, variant, ops, { rest, warmup, ...keep }));
    process.stdout.write(`${variant} ${rest.join(" ")} run ${i + 1}: ${counts.at(-1)} instructions per op\n`);
  }
  const s = summarize(counts);
  const spread = ((s.max - s.min) / s.median) * 100;
  process.stdout.write(
    `${variant} ${rest.join(" ")}: median ${s.median}, min ${s.min}, max ${s.max} (spread ${spread.toFixed(1)}% of the median; ${ops} ops after ${warmup} warm-up, main thread)\n`,
  );
}
