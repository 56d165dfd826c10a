/**
 * The parent's side of bench/lib/growth-child.ts: one figure-7 handler per process, measured on
 * request. Figure 7 once hosted all its handlers in the bench's own process; then each handler's
 * cost included the others' (shared code grown polymorphic, a heap holding every handler and what
 * earlier figures left), and the same code measured 42 µs per request alone and 80 µs after
 * figures 3 and 4. A server runs one handler, so each is measured in a process of its own.
 */
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { MeasureMessage } from "./growth-child.ts";

const CHILD = fileURLToPath(new URL("./growth-child.ts", import.meta.url));

/** A handler running in its own process. */
export interface GrowthProcess {
  /** The cookies its browser holds after the first write and read. */
  readonly cookies: { count: number; bytes: number };
  /** Process CPU µs per request over about `ms` of back-to-back requests (writes when `write`). */
  measure(write: boolean, ms: number): Promise<number>;
  stop(): void;
}

type Reply = { cookies: { count: number; bytes: number } } | { micros: number } | { error: string };

/** Starts `impl` (`satchel` or `hand`) serving growth-path's `point`; resolves once it is ready. */
export function startGrowthProcess(impl: "satchel" | "hand", point: string): Promise<GrowthProcess> {
  // The parent's flags carry tsx's loader (`npm run bench` runs under tsx).
  const child: ChildProcess = fork(CHILD, [impl, point], { execArgv: process.execArgv, stdio: "inherit" });
  let waiting: ((reply: Reply) => void) | undefined;
  // Set once the child is gone: a measurement asked for after that fails with it, rather than
  // sending over a closed channel.
  let exited: Reply | undefined;
  child.on("message", (reply: Reply) => waiting?.(reply));
  child.once("exit", (code) => {
    exited = { error: `bench: growth-child ${impl} ${point} exited with ${code}` };
    waiting?.(exited);
  });
  const next = () => new Promise<Reply>((resolve) => (waiting = resolve));
  const unwrap = (reply: Reply): Reply => {
    if ("error" in reply) throw new Error(reply.error);
    return reply;
  };
  return next().then((first) => {
    const ready = unwrap(first);
    if (!("cookies" in ready)) throw new Error("bench: growth-child answered before it was ready");
    return {
      cookies: ready.cookies,
      async measure(write, ms) {
        if (exited !== undefined) unwrap(exited);
        const reply = next();
        child.send({ write, ms } satisfies MeasureMessage);
        const answer = unwrap(await reply);
        if (!("micros" in answer)) throw new Error("bench: growth-child sent no measurement");
        return answer.micros;
      },
      stop: () => {
        child.kill("SIGTERM");
      },
    };
  });
}
