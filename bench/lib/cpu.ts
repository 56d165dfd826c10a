/**
 * CPU time used by a process and its descendants, from /proc (Linux). On a shared machine the
 * server's CPU time per request moves far less with other people's load than requests per second
 * do, so the HTTP figures report it next to their throughput.
 */
import { readdirSync, readFileSync } from "node:fs";

/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s on every mainstream kernel. */
const TICKS_PER_SECOND = 100;

interface Stat {
  ppid: number;
  ticks: number;
}

function readStat(pid: number): Stat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may contain spaces; every field after it follows the last ")".
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    // After the name: state(0) ppid(1) … utime(11) stime(12)
    return { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return null;
  }
}

/** CPU milliseconds used so far by `pid` and every live descendant, or `null` without /proc. */
export function treeCpuMs(pid: number): number | null {
  const root = readStat(pid);
  if (root === null) return null;
  const stats = new Map<number, Stat>();
  for (const entry of readdirSync("/proc")) {
    const n = Number(entry);
    if (!Number.isInteger(n)) continue;
    const stat = readStat(n);
    if (stat) stats.set(n, stat);
  }
  const inTree = (candidate: number): boolean => {
    let current: number | undefined = candidate;
    for (let depth = 0; current !== undefined && current > 1 && depth < 32; depth++) {
      if (current === pid) return true;
      current = stats.get(current)?.ppid;
    }
    return false;
  };
  let ticks = 0;
  for (const [n, stat] of stats) if (inTree(n)) ticks += stat.ticks;
  return (ticks * 1000) / TICKS_PER_SECOND;
}
