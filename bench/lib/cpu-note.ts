/** The note the HTTP figures add: server CPU time per request, and the ratio it implies for `subject`. */
import type { LoadResult } from "./load.ts";

/**
 * e.g. `server CPU per request (median): satchel 410 µs, no session 380 µs, …; by CPU time satchel
 * is 0.93× no session` — the same comparison with other people's load on the machine taken out.
 */
export function cpuNote(result: LoadResult, reference: string, subject = "satchel"): string | null {
  const cpu = result.cpuPerRequestUs;
  const names = Object.keys(cpu);
  if (names.length === 0) return null;
  const list = names.map((name) => `${name} ${Math.round(cpu[name]?.median ?? 0)} µs`).join(", ");
  const mine = cpu[subject]?.median;
  const theirs = cpu[reference]?.median;
  const ratio =
    mine !== undefined && theirs !== undefined && mine > 0
      ? `; by server CPU time per request ${subject} runs at ${(theirs / mine).toFixed(2)}× ${reference}'s rate`
      : "";
  return `server CPU per request (median): ${list}${ratio}`;
}
