/**
 * Instructions per op with `valgrind --tool=callgrind`: repeatable on a shared machine where time is
 * not. The script under test is bundled once with esbuild (so no TypeScript transpiling is counted),
 * run at 0 ops and at N ops, and the difference divided by N: start-up and the first request cancel.
 *
 *   npx tsx bench/lib/callgrind.ts <script.ts> <ops> <variant> [args…]   # prints instructions per op
 */
import { execFile } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const tmpDir = fileURLToPath(new URL("../.tmp/", import.meta.url));

/** Whether valgrind is installed here. */
export async function hasValgrind(): Promise<boolean> {
  try {
    await run("valgrind", ["--version"]);
    return true;
  } catch {
    return false;
  }
}

/** Bundles `script` (a .ts path) to one ESM file with packages left external; returns its path. */
export async function bundle(script: string): Promise<string> {
  await mkdir(tmpDir, { recursive: true });
  const out = join(tmpDir, `${basename(script, ".ts")}.mjs`);
  await run("npx", [
    "esbuild",
    script,
    "--bundle",
    "--platform=node",
    "--format=esm",
    "--packages=external",
    "--log-level=warning",
    `--outfile=${out}`,
  ]);
  return out;
}

async function collected(bundled: string, args: string[]): Promise<number> {
  const { stderr } = await run(
    "valgrind",
    ["--tool=callgrind", "--callgrind-out-file=/dev/null", "node", bundled, ...args],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  const match = /Collected : (\d+)/.exec(stderr);
  if (!match) throw new Error(`bench: callgrind printed no count:\n${stderr.slice(-2000)}`);
  return Number(match[1]);
}

/**
 * Instructions per op of `node bundled <variant> <ops> …rest`, minus the same at 0 ops. The two
 * runs go one after the other (two cores, shared: never more than one valgrind at a time from here).
 */
export async function instructionsPerOp(
  bundled: string,
  variant: string,
  ops: number,
  rest: string[] = [],
): Promise<number> {
  const zero = await collected(bundled, [variant, "0", ...rest]);
  const many = await collected(bundled, [variant, String(ops), ...rest]);
  return Math.round((many - zero) / ops);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [script, opsText, variant, ...rest] = process.argv.slice(2);
  if (!script || !opsText || !variant)
    throw new Error("usage: callgrind.ts <script.ts> <ops> <variant> [args…]");
  const perOp = await instructionsPerOp(await bundle(script), variant, Number(opsText), rest);
  process.stdout.write(`${variant} ${rest.join(" ")}: ${perOp} instructions per op\n`);
}
