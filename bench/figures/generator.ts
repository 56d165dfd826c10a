/**
 * Figure 6: the generator. Cold `satchel gen` (a fresh process, as `npm run gen` runs it) on the
 * root schema and on a 50-session schema, and `gen --watch` regeneration latency: from the moment
 * an edited schema is saved to the moment the generator reports the new module written.
 * Everything is written under the run's scratch directory in bench/.tmp (gitignored).
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { copyFile, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { BenchContext } from "../lib/context.ts";
import { manySessionsSchema } from "../lib/fifty-schema.ts";
import { formatNumber } from "../lib/markdown.ts";
import type { RowInput } from "../lib/result.ts";
import { summarize } from "../lib/stats.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CLI = join(ROOT, "generator/cli.ts");
const TIME = "/usr/bin/time";
const MANY_SESSIONS = 50;

/** One cold `satchel gen`: wall milliseconds and (when /usr/bin/time exists) CPU milliseconds. */
async function coldGen(cwd: string): Promise<{ wallMs: number; cpuMs: number | null }> {
  const node = [
    process.execPath,
    "--import",
    "tsx",
    CLI,
    "gen",
    "--schema",
    "sessions.schema.ts",
    "--out",
    "gen/sessions.ts",
  ];
  const withTime = existsSync(TIME);
  const [command, ...args] = withTime ? [TIME, "-f", "BENCH_TIME %U %S", ...node] : node;
  const started = performance.now();
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
    (resolve) => {
      const child = spawn(command as string, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      let err = "";
      child.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString();
      });
      child.stderr.on("data", (chunk: Buffer) => {
        err += chunk.toString();
      });
      child.once("exit", (exitCode) => resolve({ code: exitCode, stdout: out, stderr: err }));
    },
  );
  const wallMs = performance.now() - started;
  if (code !== 0) throw new Error(`bench: satchel gen failed in ${cwd} (exit ${code}):\n${stderr}${stdout}`);
  const time = /BENCH_TIME ([\d.]+) ([\d.]+)/.exec(stderr);
  return { wallMs, cpuMs: time ? (Number(time[1]) + Number(time[2])) * 1000 : null };
}

/** Save → "wrote" latency of `gen --watch` over `edits` edits of the schema in `dir`. */
async function watchLatency(
  dir: string,
  sessions: number,
  edits: number,
): Promise<{ saveToWritten: number[]; generatorMs: number[] }> {
  const schema = join(dir, "sessions.schema.ts");
  await writeFile(schema, manySessionsSchema(sessions, 0));
  const child = spawn(
    process.execPath,
    ["--import", "tsx", CLI, "gen", "--watch", "--schema", "sessions.schema.ts", "--out", "gen/sessions.ts"],
    { cwd: dir, stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  let err = "";
  const waiters: { from: number; resolve(line: string): void }[] = [];
  const deliver = () => {
    for (const waiter of [...waiters]) {
      const line = out.slice(waiter.from).match(/satchel: (wrote|.* up to date).*\((\d+) ms\)\n/);
      if (line) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line[0]);
      }
    }
  };
  child.stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString();
    deliver();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    err += chunk.toString();
  });
  const nextRun = (timeoutMs: number): Promise<string> => {
    const from = out.length;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new Error(`bench: gen --watch did not report a run within ${timeoutMs} ms:\n${err}${out}`)),
        timeoutMs,
      );
      waiters.push({
        from,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
      });
      deliver();
    });
  };
  try {
    await nextRun(60_000); // the first, cold run
    const saveToWritten: number[] = [];
    const generatorMs: number[] = [];
    // Edit 0 warms the watcher up (its first regeneration runs code paths the cold run did not)
    // and is not recorded.
    for (let i = 0; i <= edits; i++) {
      // Let the file system settle so one edit is one event burst.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const waiting = nextRun(30_000);
      await writeFile(schema, manySessionsSchema(sessions, i + 1));
      const saved = performance.now();
      const line = await waiting;
      const elapsed = performance.now() - saved;
      if (!line.includes("wrote"))
        throw new Error(`bench: an edit did not change the generated module: ${line}`);
      if (i === 0) continue;
      saveToWritten.push(elapsed);
      generatorMs.push(Number(/\((\d+) ms\)/.exec(line)?.[1] ?? Number.NaN));
    }
    return { saveToWritten, generatorMs };
  } finally {
    child.kill("SIGTERM");
    await new Promise((resolve) => child.once("exit", resolve));
  }
}

export async function generatorFigure(ctx: BenchContext): Promise<RowInput[]> {
  const repeats = ctx.quick ? 1 : 3;
  // A quick run checks the harness: a smaller "many sessions" schema keeps it under two minutes.
  const SESSIONS = ctx.quick ? 10 : MANY_SESSIONS;
  const rootDir = join(ctx.tmpDir, "gen-root");
  const manyDir = join(ctx.tmpDir, `gen-${SESSIONS}`);
  await mkdir(rootDir, { recursive: true });
  await mkdir(manyDir, { recursive: true });
  await copyFile(join(ROOT, "sessions.schema.ts"), join(rootDir, "sessions.schema.ts"));
  await writeFile(join(manyDir, "sessions.schema.ts"), manySessionsSchema(SESSIONS));

  const rows: RowInput[] = [];
  for (const [id, dir, label] of [
    ["gen-cold-root", rootDir, "root schema (sessions.schema.ts)"],
    [`gen-cold-${SESSIONS}`, manyDir, `${SESSIONS}-session schema`],
  ] as const) {
    const wall: number[] = [];
    const cpu: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const run = await coldGen(dir);
      wall.push(run.wallMs);
      if (run.cpuMs !== null) cpu.push(run.cpuMs);
    }
    ctx.log(`  cold gen ${label}: ${wall.map((ms) => Math.round(ms)).join(", ")} ms wall`);
    const cpuNote =
      cpu.length > 0 ? `; CPU time (user+sys) median ${formatNumber(summarize(cpu).median)} ms` : "";
    rows.push({
      id,
      figure: 6,
      description: `Cold \`satchel gen\`, ${label}`,
      unit: "ms",
      higherIsBetter: false,
      satchel: summarize(wall),
      peers: {},
      reference: null,
      target: "< 3000 ms",
      checks: [{ kind: "value", op: "<", threshold: 3000 }],
      notes: [
        `fresh process each run (node --import tsx generator/cli.ts gen), wall clock from spawn to exit${cpuNote}`,
      ],
    });
  }

  const edits = ctx.quick ? 1 : 5;
  for (const sessions of ctx.quick ? [3] : [3, SESSIONS]) {
    const watchDir = join(ctx.tmpDir, `gen-watch-${sessions}`);
    await mkdir(watchDir, { recursive: true });
    const watched = await watchLatency(watchDir, sessions, edits);
    ctx.log(
      `  watch ${sessions}: ${watched.saveToWritten.map((ms) => Math.round(ms)).join(", ")} ms save → written`,
    );
    rows.push({
      id: `gen-watch-${sessions}`,
      figure: 6,
      description: `\`satchel gen --watch\` regeneration, ${sessions}-session schema`,
      unit: "ms",
      higherIsBetter: false,
      satchel: summarize(watched.saveToWritten),
      peers: {},
      reference: null,
      target: "< 300 ms",
      checks: [{ kind: "value", op: "<", threshold: 300 }],
      notes: [
        `${edits} recorded edits (one new field each) after the cold run and one warm-up edit; from the schema file saved to the generator reporting the module written, including its 50 ms debounce`,
        `generator's own run time per edit: ${watched.generatorMs.join(", ")} ms`,
      ],
    });
  }
  return rows;
}
