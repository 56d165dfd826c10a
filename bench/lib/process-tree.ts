/**
 * A process and its descendants, from /proc (Linux): what the HTTP figures read a server's CPU time
 * and memory from, since a server may run its work in child processes.
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/** What /proc/<pid>/stat says about one process. */
export interface ProcessStat {
  ppid: number;
  /** User + system CPU time so far, in clock ticks (USER_HZ). */
  ticks: number;
}

function readStat(pid: number): ProcessStat | null {
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

function allPids(): number[] {
  return readdirSync("/proc")
    .map(Number)
    .filter((n) => Number.isInteger(n));
}

/** `pid` and every live descendant with its stat, or `null` when `pid` is gone (or no /proc). */
export function processTree(pid: number): Map<number, ProcessStat> | null {
  if (readStat(pid) === null) return null;
  const stats = new Map<number, ProcessStat>();
  for (const n of allPids()) {
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
  return new Map([...stats].filter(([n]) => inTree(n)));
}

/** The oldest process whose working directory is `dir` (a server started there), or `null`. */
export function processIn(dir: string): number | null {
  const found: number[] = [];
  for (const n of allPids()) {
    try {
      if (readlinkSync(`/proc/${n}/cwd`) === dir) found.push(n);
    } catch {}
  }
  // Children inherit the directory: the root is the one whose parent is not in the list.
  const parents = new Map(found.map((n) => [n, readStat(n)?.ppid]));
  return found.find((n) => !found.includes(parents.get(n) ?? -1)) ?? null;
}

/** Resident memory of `pid` and its descendants in bytes (VmRSS), or `null` when it is gone. */
export function treeRssBytes(pid: number): number | null {
  const tree = processTree(pid);
  if (tree === null) return null;
  let bytes = 0;
  for (const n of tree.keys()) {
    try {
      const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${n}/status`, "utf8"));
      if (match) bytes += Number(match[1]) * 1024;
    } catch {}
  }
  return bytes;
}
