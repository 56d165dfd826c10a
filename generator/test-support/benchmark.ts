/**
 * Generator timings (a benchmark, not a test): cold CLI runs on the root schema and on a generated
 * 50-session schema, and watch-mode regeneration latency (save → files written).
 * Run: `npx tsx generator/test-support/benchmark.ts`
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { watchSchema } from "../commands/watch.ts";
import { REPO, schemaSource, tempProject } from "./temp-project.ts";

const cli = fileURLToPath(new URL("../cli.ts", import.meta.url));
const tsx = pathToFileURL(`${REPO}node_modules/tsx/dist/loader.mjs`).href;

function sessions(count: number): string {
  const shapes = [
    `z.object({ userId: z.string().nullable().default(null), roles: z.array(z.enum(["admin", "member"])).default([]) })`,
    `z.object({ items: z.array(z.object({ sku: z.string(), qty: z.number().int().min(1) })).default([]), coupon: z.string().optional() })`,
    `z.object({ step: z.enum(["a", "b", "c"]).default("a"), answers: z.record(z.string(), z.string()).default({}), startedAt: z.date().optional() })`,
    `z.object({ point: z.tuple([z.number(), z.number()]).optional(), payment: z.discriminatedUnion("kind", [z.object({ kind: z.literal("card"), last4: z.string() }), z.object({ kind: z.literal("invoice") })]).optional() })`,
  ];
  return Array.from(
    { length: count },
    (_, i) =>
      `  s${i}: {\n    storage: "${i % 2 ? "store" : "cookie"}",\n    schema: ${shapes[i % shapes.length]},\n    flash: { notice: z.string(), error: z.object({ message: z.string() }) },\n  },`,
  ).join("\n");
}

/** Fields n0..nI, each with a default: every save adds one, a compatible change. */
function fields(i: number): string {
  return Array.from({ length: i + 1 }, (_, k) => `n${k}: z.number().default(${k})`).join(", ");
}

/** Fresh processes per cold figure; the median is the middle one. */
const COLD_RUNS = 3;

function cold(label: string, args: string[], cwd: string): void {
  const times: number[] = [];
  for (let i = 0; i < COLD_RUNS; i++) {
    const started = performance.now();
    execFileSync(process.execPath, ["--import", tsx, cli, ...args], { cwd, stdio: "pipe" });
    times.push(performance.now() - started);
  }
  console.log(
    `${label}: ${times.map((t) => `${Math.round(t)} ms`).join(", ")} (median ${Math.round(times.sort((a, b) => a - b)[Math.floor(COLD_RUNS / 2)] ?? 0)} ms)`,
  );
}

cold("cold gen, root schema (3 sessions)", ["gen"], REPO);
const big = tempProject(schemaSource(sessions(50)));
try {
  cold("cold gen, 50 sessions", ["gen"], big.dir);
  for (const [label, project] of [
    ["3 sessions", tempProject(schemaSource(sessions(3)))] as const,
    ["50 sessions", big] as const,
  ]) {
    const latencies: number[] = [];
    let savedAt = 0;
    let resolveRun: (() => void) | undefined;
    const watcher = watchSchema({
      schemaPath: project.schemaPath,
      outPath: project.outPath,
      log: () => {},
      onRun: ({ ok }) => {
        if (savedAt > 0 && ok) latencies.push(performance.now() - savedAt);
        resolveRun?.();
      },
    });
    const nextRun = () => new Promise<void>((resolve) => (resolveRun = resolve));
    await nextRun();
    for (let i = 0; i < 5; i++) {
      const wait = nextRun();
      savedAt = performance.now();
      project.write(
        "sessions.schema.ts",
        schemaSource(
          `${sessions(label === "3 sessions" ? 3 : 50)}\n  extra: { storage: "store", schema: z.object({ ${fields(i)} }) },`,
        ),
      );
      await wait;
    }
    await watcher.close();
    if (project !== big) project.remove();
    console.log(
      `watch regeneration, ${label} (save → written, incl. 50 ms debounce): ${latencies.map((t) => `${Math.round(t)} ms`).join(", ")}`,
    );
  }
} finally {
  big.remove();
}
