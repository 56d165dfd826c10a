/**
 * A server the benchmark runs in its own process: started, waited for (`READY <port>` on stdout),
 * and stopped by its own pid — never by name.
 */
import { type ChildProcess, spawn } from "node:child_process";

export interface ChildServer {
  /** Port printed by the child. */
  readonly port: number;
  /** Process id of the child. */
  readonly pid: number;
  /** Everything the child wrote to stderr so far (for error messages). */
  stderr(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

/** Spawns `command args` and waits (at most `timeoutMs`) for a `READY <port>` line (or `readyPattern`). */
export function startChild(
  command: string,
  args: string[],
  options: {
    env?: Record<string, string | undefined>;
    cwd?: string;
    timeoutMs?: number;
    /** What the child prints when ready; its first group is the port unless `port` is given. */
    readyPattern?: RegExp;
    /** The port, when the command line chose it. */
    port?: number;
  } = {},
): Promise<ChildServer> {
  const child: ChildProcess = spawn(command, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let err = "";
  let out = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    err = (err + chunk.toString()).slice(-20_000);
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const pattern = options.readyPattern ?? /READY (\d+)/;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(
        new Error(
          `bench: ${args.join(" ")} did not start in ${options.timeoutMs ?? 30_000} ms:\n${err}${out}`,
        ),
      );
    }, options.timeoutMs ?? 30_000);
    const early = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`bench: ${args.join(" ")} exited with ${code} before it was ready:\n${err}${out}`));
    };
    child.once("exit", early);
    child.stdout?.on("data", (chunk: Buffer) => {
      out = (out + chunk.toString()).slice(-20_000);
      const match = pattern.exec(out);
      if (!match) return;
      clearTimeout(timer);
      child.off("exit", early);
      resolve({
        port: options.port ?? Number(match[1]),
        pid: child.pid ?? 0,
        stderr: () => err,
        async stop(graceMs = 5000) {
          if (child.exitCode !== null || child.signalCode !== null) return;
          child.kill("SIGTERM");
          const killer = setTimeout(() => child.kill("SIGKILL"), graceMs);
          await exited;
          clearTimeout(killer);
        },
      });
    });
  });
}
