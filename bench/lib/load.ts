/**
 * HTTP load with autocannon on loopback: requests per second of one route. Each connection has
 * its own session cookie, like one browser sending one request after another, so two in-flight
 * requests never share a session (concurrency on one session is figure 5's subject, not this one's).
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { type Sample, summarize } from "./stats.ts";

const run = promisify(execFile);
const CHILD = fileURLToPath(new URL("./load-child.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export interface LoadTarget {
  /** Full URL, e.g. `http://127.0.0.1:3000/satchel/read`. */
  url: string;
  /** Cookie headers, one per connection per run (twice the connections keeps runs apart); empty for none. */
  cookies: readonly string[];
}

export interface LoadOptions {
  /** Concurrent connections. */
  connections: number;
  /** Seconds per recorded run. */
  seconds: number;
  /** Seconds of unrecorded warm-up per target. */
  warmupSeconds: number;
  /** Recorded runs per target. */
  repeats: number;
  /** CPU ms used so far by the server under test, to report CPU time per request. */
  serverCpuMs?: () => number | null;
}

/** Throughput of each target, and the server's CPU time per request when it could be read. */
export interface LoadResult {
  perSecond: Record<string, Sample>;
  /** Median over runs of server CPU microseconds per request, by target. */
  cpuPerRequestUs: Record<string, Sample>;
}

/**
 * One load run: `connections` autocannon clients of one connection each, started together, each
 * with its own cookie (from `offset` on in the pool). Returns 2xx responses per second in total,
 * and how many there were.
 * Fails on any error or non-2xx response.
 */
export async function loadOnce(
  target: LoadTarget,
  connections: number,
  seconds: number,
  offset = 0,
): Promise<{ perSecond: number; requests: number }> {
  if (target.cookies.length > 0 && target.cookies.length < connections) {
    throw new Error(
      `bench: ${target.url} needs at least ${connections} session cookies, got ${target.cookies.length}`,
    );
  }
  const cookies = Array.from({ length: connections }, (_, i) =>
    target.cookies.length > 0 ? (target.cookies[(offset + i) % target.cookies.length] as string) : null,
  );
  // autocannon runs in a process of its own: its CPU is not the harness's and its event loop is
  // shared with nothing else measured.
  const { stdout } = await run(
    process.execPath,
    ["--import", "tsx", CHILD, JSON.stringify({ url: target.url, cookies, seconds })],
    { cwd: ROOT, maxBuffer: 1024 * 1024 },
  );
  const result = JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as {
    ok?: number;
    duration?: number;
    failure?: string;
  };
  if (result.failure !== undefined) throw new Error(`bench: ${result.failure}`);
  const ok = result.ok ?? 0;
  const duration = result.duration ?? 0;
  return { perSecond: ok / (duration || seconds), requests: ok };
}

/**
 * Warms every target, then records `repeats` runs of each, round-robin, so drift on a shared
 * machine hits all of them alike.
 */
export async function loadInterleaved(
  targets: Record<string, LoadTarget>,
  options: LoadOptions,
  log: (message: string) => void,
): Promise<LoadResult> {
  const names = Object.keys(targets);
  // Each run of a target takes the next block of cookies, so requests a previous run left in
  // flight on the server never share a session with the new run's.
  const runsSoFar = new Map<string, number>();
  const once = (name: string, seconds: number) => {
    const n = runsSoFar.get(name) ?? 0;
    runsSoFar.set(name, n + 1);
    return loadOnce(targets[name] as LoadTarget, options.connections, seconds, n * options.connections);
  };
  for (const name of names) await once(name, options.warmupSeconds);
  const runs: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
  const cpu: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
  for (let round = 0; round < options.repeats; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + round) % names.length] as string;
      const cpuBefore = options.serverCpuMs?.() ?? null;
      const result = await once(name, options.seconds);
      const cpuAfter = options.serverCpuMs?.() ?? null;
      runs[name]?.push(result.perSecond);
      if (cpuBefore !== null && cpuAfter !== null && result.requests > 0) {
        cpu[name]?.push(((cpuAfter - cpuBefore) * 1000) / result.requests);
      }
    }
    log(
      `  round ${round + 1}/${options.repeats}: ${names.map((n) => `${n} ${Math.round(runs[n]?.at(-1) ?? 0)}`).join(", ")}`,
    );
  }
  const cpuPerRequestUs: Record<string, Sample> = {};
  for (const name of names)
    if ((cpu[name]?.length ?? 0) > 0) cpuPerRequestUs[name] = summarize(cpu[name] as number[]);
  return {
    perSecond: Object.fromEntries(names.map((name) => [name, summarize(runs[name] as number[])])),
    cpuPerRequestUs,
  };
}

/** `name=value` from the first Set-Cookie header of a response (what a browser would send back). */
export function cookieFrom(response: Response): string {
  const header = response.headers.getSetCookie()[0];
  if (header === undefined) throw new Error(`bench: ${response.url} set no cookie`);
  return header.split(";")[0] as string;
}
