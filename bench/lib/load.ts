/**
 * HTTP load with autocannon on loopback: requests per second of one route, each request carrying
 * one of a pool of session cookies in turn, so concurrent requests hit different sessions.
 */
import autocannon from "autocannon";
import { type Sample, summarize } from "./stats.ts";

export interface LoadTarget {
  /** Full URL, e.g. `http://127.0.0.1:3000/satchel/read`. */
  url: string;
  /** Cookie headers to rotate through; empty for no cookie. */
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
}

/** One autocannon run: 2xx responses per second. Fails on any error or non-2xx response. */
export async function loadOnce(target: LoadTarget, connections: number, seconds: number): Promise<number> {
  let next = 0;
  const result = await autocannon({
    url: target.url,
    connections,
    duration: seconds,
    requests: [
      {
        method: "GET",
        setupRequest: (request) => {
          if (target.cookies.length === 0) return request;
          const cookie = target.cookies[next++ % target.cookies.length] as string;
          return { ...request, headers: { ...request.headers, cookie } };
        },
      },
    ],
  });
  const failures = result.errors + result.timeouts + result.non2xx;
  if (failures > 0) {
    throw new Error(
      `bench: ${target.url} answered ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts under load`,
    );
  }
  return result["2xx"] / (result.duration || seconds);
}

/**
 * Warms every target, then records `repeats` runs of each, round-robin, so drift on a shared
 * machine hits all of them alike.
 */
export async function loadInterleaved(
  targets: Record<string, LoadTarget>,
  options: LoadOptions,
  log: (message: string) => void,
): Promise<Record<string, Sample>> {
  const names = Object.keys(targets);
  for (const name of names)
    await loadOnce(targets[name] as LoadTarget, options.connections, options.warmupSeconds);
  const runs: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
  for (let round = 0; round < options.repeats; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + round) % names.length] as string;
      const rps = await loadOnce(targets[name] as LoadTarget, options.connections, options.seconds);
      runs[name]?.push(rps);
    }
    log(
      `  round ${round + 1}/${options.repeats}: ${names.map((n) => `${n} ${Math.round(runs[n]?.at(-1) ?? 0)}`).join(", ")}`,
    );
  }
  return Object.fromEntries(names.map((name) => [name, summarize(runs[name] as number[])]));
}

/** `name=value` from the first Set-Cookie header of a response (what a browser would send back). */
export function cookieFrom(response: Response): string {
  const header = response.headers.getSetCookie()[0];
  if (header === undefined) throw new Error(`bench: ${response.url} set no cookie`);
  return header.split(";")[0] as string;
}
