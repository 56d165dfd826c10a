/**
 * What figure 7's handlers (bench/lib/growth-sessions.ts) allocate per request, and the garbage
 * collections that costs: by instructions satchel's cookie path is cheaper than the hand-rolled
 * handler, so a gap in µs CPU between them is likely memory, which callgrind's 1,000-op windows hide
 * (bench/README.md, "Garbage collection in a count").
 *
 *   npx tsx bench/micro/alloc-path.ts satchel sessions=3          # bytes and GCs per request
 *   npx tsx bench/micro/alloc-path.ts hand 300 --runs 5
 *   npx tsx bench/micro/alloc-path.ts satchel 300 --profile       # where the bytes are allocated
 *
 * Variants and the second argument as in growth-path.ts (`satchel`, `hand`, `-read`; a token session
 * of N bytes or `sessions=N`). Each run is two fresh processes after `WARMUP` requests:
 *
 * - bytes: node with a young generation large enough that `BYTES_OPS` requests cause no collection
 *   (checked: a run with one is refused), after a scavenge; the growth of the heap's used bytes and of
 *   the memory held by ArrayBuffers (node's Buffers, typed arrays) over those requests, per request;
 * - gc: node's default heap; the collections of `GC_OPS` requests by kind, per 10,000 requests, with
 *   the time they took and the process CPU time per request.
 *
 * `--profile` runs V8's sampling heap profiler (counting objects the young and old collections freed)
 * over `BYTES_OPS` requests and prints the functions that allocated most, per request, with their
 * callers (`--top N` lines of each, default 30).
 */
import { spawnSync } from "node:child_process";
import { Session } from "node:inspector/promises";
import { PerformanceObserver, performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { getHeapStatistics } from "node:v8";
import { type GrowthHandler, growthCaseAt, handRolledGrowth, satchelGrowth } from "../lib/growth-sessions.ts";
import { summarize } from "../lib/stats.ts";

const WARMUP = 5000;
const BYTES_OPS = 1000;
const GC_OPS = 10_000;
/** Young generation of the bytes run: semi-spaces of this many MB hold 1,000 requests of ~60 KB. */
const SEMI_SPACE_MB = 128;
const MODE_ENV = "BENCH_ALLOC_MODE";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    runs: { type: "string", default: "3" },
    profile: { type: "boolean", default: false },
    top: { type: "string", default: "30" },
  },
});
const [variant = "satchel", point = "300"] = positionals;

async function handler(): Promise<GrowthHandler> {
  const c = growthCaseAt(point);
  if (variant.startsWith("satchel")) return satchelGrowth(c);
  if (variant.startsWith("hand")) return handRolledGrowth(c);
  throw new Error(`bench: unknown variant ${variant}`);
}

/** A warmed-up handler's request, read + write unless the variant ends in `-read`. */
async function warmRequest(): Promise<() => Promise<void>> {
  const h = await handler();
  const write = !variant.endsWith("-read");
  const request = () => h.request(write);
  for (let i = 0; i < WARMUP; i++) await request();
  return request;
}

/** Collections seen while `ops` requests run: kind (V8's GC type bits, by name) → count and ms. */
async function collectionsDuring(
  ops: number,
  request: () => Promise<void>,
  atEnd: () => void = () => {},
): Promise<Record<string, { count: number; ms: number }>> {
  const seen: { kind: number; start: number; ms: number }[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries())
      seen.push({
        kind: (entry as unknown as { detail: { kind: number } }).detail.kind,
        start: entry.startTime,
        ms: entry.duration,
      });
  });
  observer.observe({ entryTypes: ["gc"] });
  const from = performance.now();
  for (let i = 0; i < ops; i++) await request();
  const to = performance.now();
  atEnd();
  // Entries are delivered after the fact: let the observer's queue drain before reading it.
  await new Promise((done) => setTimeout(done, 50));
  observer.disconnect();
  const kinds: Record<string, { count: number; ms: number }> = {};
  for (const { kind, start, ms } of seen) {
    if (start < from || start > to) continue;
    const name = KIND_NAMES[kind] ?? `kind ${kind}`;
    const k = kinds[name] ?? { count: 0, ms: 0 };
    k.count++;
    k.ms += ms;
    kinds[name] = k;
  }
  return kinds;
}

/** node's `perf_hooks` GC kinds (NODE_PERFORMANCE_GC_*). */
const KIND_NAMES: Record<number, string> = {
  1: "scavenge",
  2: "minor-mc",
  4: "mark-compact",
  8: "incremental",
  16: "weak",
};

/** Heap bytes and ArrayBuffer bytes allocated per request, with no collection in between. */
async function bytesRun(): Promise<Record<string, number>> {
  const request = await warmRequest();
  (globalThis as { gc?: (o: { type: string }) => void }).gc?.({ type: "minor" });
  // The ArrayBuffers that scavenge found dead are freed by a sweeper after it: let it finish, or
  // their bytes leave the count during the window (it came out negative).
  await new Promise((done) => setTimeout(done, 200));
  const before = getHeapStatistics();
  const buffersBefore = process.memoryUsage().arrayBuffers;
  let heapGrowth = 0;
  let buffers = 0;
  const kinds = await collectionsDuring(BYTES_OPS, request, () => {
    heapGrowth = getHeapStatistics().used_heap_size - before.used_heap_size;
    buffers = process.memoryUsage().arrayBuffers - buffersBefore;
  });
  const collections = Object.values(kinds).reduce((n, k) => n + k.count, 0);
  if (collections > 0)
    throw new Error(`bench: collections in the bytes run: ${JSON.stringify(kinds)}; raise SEMI_SPACE_MB`);
  return { heapBytesPerRequest: heapGrowth / BYTES_OPS, bufferBytesPerRequest: buffers / BYTES_OPS };
}

/** Collections per 10,000 requests on node's default heap, and CPU µs per request. */
async function gcRun(): Promise<Record<string, number>> {
  const request = await warmRequest();
  const cpu = process.cpuUsage();
  const kinds = await collectionsDuring(GC_OPS, request);
  const used = process.cpuUsage(cpu);
  const per10k = 10_000 / GC_OPS;
  const out: Record<string, number> = { cpuMicrosPerRequest: (used.user + used.system) / GC_OPS };
  for (const [name, k] of Object.entries(kinds)) {
    out[`${name}Per10k`] = k.count * per10k;
    out[`${name}MsPer10k`] = k.ms * per10k;
  }
  return out;
}

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: ProfileNode[];
}

/** The top allocating functions (self bytes per request) with their three nearest callers. */
async function profileRun(): Promise<void> {
  const request = await warmRequest();
  const session = new Session();
  session.connect();
  await session.post("HeapProfiler.startSampling", {
    samplingInterval: 64,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  for (let i = 0; i < BYTES_OPS; i++) await request();
  const { profile } = (await session.post("HeapProfiler.stopSampling")) as { profile: { head: ProfileNode } };
  session.disconnect();
  const sites = new Map<string, number>();
  const functions = new Map<string, number>();
  let total = 0;
  const frame = (n: ProfileNode) =>
    `${n.callFrame.functionName || "(anonymous)"} ${n.callFrame.url.replace(/^.*\/(?=[^/]+\/[^/]+$)/, "")}`;
  const add = (map: Map<string, number>, key: string, bytes: number) =>
    map.set(key, (map.get(key) ?? 0) + bytes);
  const walk = (node: ProfileNode, stack: string[]) => {
    const here = [frame(node), ...stack].slice(0, 4);
    if (node.selfSize > 0) {
      add(sites, here.join(" < "), node.selfSize);
      add(functions, here[0] as string, node.selfSize);
      total += node.selfSize;
    }
    for (const child of node.children) walk(child, here);
  };
  walk(profile.head, []);
  const print = (title: string, map: Map<string, number>) => {
    process.stdout.write(`${title}\n`);
    for (const [key, bytes] of [...map].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top)))
      process.stdout.write(
        `${Math.round(bytes / BYTES_OPS)
          .toString()
          .padStart(6)}  ${key}\n`,
      );
  };
  process.stdout.write(`${variant} ${point}: ~${Math.round(total / BYTES_OPS)} B sampled per request\n`);
  print("by function (self bytes per request):", functions);
  print("by call site (function < three callers):", sites);
}

/** Runs this script in a fresh node with `nodeArgs` in `mode`; its JSON result. */
function child(mode: string, nodeArgs: string[]): Record<string, number> {
  const result = spawnSync(
    process.execPath,
    [...process.execArgv, ...nodeArgs, process.argv[1] as string, variant, point],
    { env: { ...process.env, [MODE_ENV]: mode }, encoding: "utf8" },
  );
  if (result.status !== 0) throw new Error(`bench: the ${mode} run failed:\n${result.stderr}`);
  return JSON.parse(result.stdout) as Record<string, number>;
}

const mode = process.env[MODE_ENV];
if (mode === "bytes") process.stdout.write(JSON.stringify(await bytesRun()));
else if (mode === "gc") process.stdout.write(JSON.stringify(await gcRun()));
else if (values.profile) await profileRun();
else {
  const runs: Record<string, number[]> = {};
  for (let r = 0; r < Number(values.runs); r++) {
    const young = [
      `--min-semi-space-size=${SEMI_SPACE_MB}`,
      `--max-semi-space-size=${SEMI_SPACE_MB}`,
      "--initial-old-space-size=512",
    ];
    const one = { ...child("bytes", ["--expose-gc", ...young]), ...child("gc", []) };
    for (const [name, value] of Object.entries(one)) runs[name] = [...(runs[name] ?? []), value];
  }
  const rows = Object.entries(runs).map(([name, list]) => {
    const s = summarize(list);
    return `  ${name}: ${s.median.toFixed(1)} (${s.min.toFixed(1)}–${s.max.toFixed(1)})`;
  });
  process.stdout.write(`${variant} ${point}, median of ${values.runs} runs (min–max):\n${rows.join("\n")}\n`);
}
