/**
 * Running Node tools from the repository root (the generator, `next build`) and finding a free
 * loopback port for a server the bench starts.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export { freePort } from "../../examples/next-app/tests/app-server.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/**
 * Runs `node …args` from the repository root with `env` added to this process's; resolves with its
 * exit code and the last 20,000 characters it printed. Killed after `timeoutMs`.
 */
export function runNode(
  args: string[],
  env: Record<string, string | undefined>,
  timeoutMs: number,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let text = "";
    const keep = (chunk: Buffer) => {
      text = (text + chunk.toString()).slice(-20_000);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("exit", (exitCode) => {
      clearTimeout(timer);
      resolve({ code: exitCode, output: text });
    });
  });
}
