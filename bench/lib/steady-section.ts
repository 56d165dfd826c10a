/**
 * The measured section of a micro-benchmark, marked so callgrind counts only it (bench/lib/callgrind.ts).
 *
 * V8 compiles hot code on background threads and start-up runs millions of instructions that no
 * request pays for; counting the whole process made one variant swing 2–3× between runs. So a micro
 * runs its op `BENCH_WARMUP_OPS` times first (unmeasured), then calls two native functions nothing
 * else in these scripts calls: `os.getPriority()` (libuv's `uv_os_getpriority`, callgrind's
 * `--zero-before`: counting restarts from zero) and, after the measured ops, `os.hostname()`
 * (`uv_os_gethostname`, `--dump-before`: the counts are written out). callgrind.ts keeps the main
 * thread's file of that dump.
 *
 * Under callgrind the warm-up runs uninstrumented (three times faster): when `BENCH_CALLGRIND_SIGNAL`
 * names a directory, the script writes `warm` there after the warm-up and spins until the harness,
 * having switched instrumentation on (`callgrind_control -i on`), writes `go`.
 *
 * A count holds the garbage collections its ops cause, and which ones fall in the window depends on
 * the heap at the zero mark; the spin allocates (`existsSync`) for as long as the harness takes. A
 * spin that does not allocate, or settling the heap before the mark (a full collection + re-warm +
 * a scavenge), did not make counts more repeatable without biasing them, and full collections (one
 * per ~8,000–12,000 ops) fall outside a 1,000-op window: bench/README.md, "Garbage collection in a
 * count".
 */
import { existsSync, writeFileSync } from "node:fs";
import { getPriority, hostname } from "node:os";
import { join } from "node:path";

/** What the callgrind harness sets: unmeasured ops before the measured section. */
export const WARMUP_ENV = "BENCH_WARMUP_OPS";
/** What the callgrind harness sets: the directory of the `warm` / `go` handshake. */
export const SIGNAL_ENV = "BENCH_CALLGRIND_SIGNAL";
export const WARM_FILE = "warm";
export const GO_FILE = "go";

/** The libuv functions the markers enter, as callgrind's options name them. */
export const ZERO_MARK = "uv_os_getpriority";
export const DUMP_MARK = "uv_os_gethostname";

/** How long the script waits for `go` before it gives up. */
const HANDSHAKE_MS = 300_000;

/** Warm-up ops from the environment (0 for a plain run). */
export function warmupOps(): number {
  const value = Number(process.env[WARMUP_ENV] ?? 0);
  return Number.isInteger(value) && value >= 0 ? value : 0;
}

/**
 * Tells the harness the warm-up is over and waits for it to switch instrumentation on. The wait
 * spins rather than sleeps: callgrind takes commands only while the program runs instructions.
 */
function handshake(dir: string): void {
  writeFileSync(join(dir, WARM_FILE), "");
  const go = join(dir, GO_FILE);
  const deadline = Date.now() + HANDSHAKE_MS;
  while (!existsSync(go)) {
    if (Date.now() > deadline) throw new Error(`bench: no ${go} within ${HANDSHAKE_MS} ms`);
  }
}

/**
 * Runs `op` `warmup` times, then `ops` times between the two markers. Returns the process CPU
 * microseconds (user + system) of the measured ops, for runs outside valgrind.
 */
export async function steadySection(
  ops: number,
  op: () => unknown,
  warmup: number = warmupOps(),
): Promise<number> {
  for (let i = 0; i < warmup; i++) await op();
  const signal = process.env[SIGNAL_ENV];
  if (signal) handshake(signal);
  const start = process.cpuUsage();
  getPriority();
  for (let i = 0; i < ops; i++) await op();
  hostname();
  const used = process.cpuUsage(start);
  return used.user + used.system;
}
