/**
 * CPU time used by a process and its descendants, from /proc (Linux). On a shared machine the
 * server's CPU time per request moves far less with other people's load than requests per second
 * do, so the HTTP figures report it next to their throughput.
 */
import { processTree } from "./process-tree.ts";

/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s on every mainstream kernel. */
const TICKS_PER_SECOND = 100;

/** CPU milliseconds used so far by `pid` and every live descendant, or `null` without /proc. */
export function treeCpuMs(pid: number): number | null {
  const tree = processTree(pid);
  if (tree === null) return null;
  let ticks = 0;
  for (const stat of tree.values()) ticks += stat.ticks;
  return (ticks * 1000) / TICKS_PER_SECOND;
}
