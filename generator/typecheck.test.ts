/**
 * Every expected output compiles under the repo's strict settings, and the type-level tests in
 * `fixtures/typelevel/` hold: wrong code (`@ts-expect-error` lines) fails, correct code passes.
 * The generated modules (their codecs included) also compile under the tsconfig create-next-app
 * writes (target ES2017, strict).
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { expect, it } from "vitest";

const run = promisify(execFile);
const repo = fileURLToPath(new URL("../", import.meta.url));

async function tsc(...args: string[]): Promise<{ code: number; output: string }> {
  return run(process.execPath, ["node_modules/typescript/bin/tsc", ...args], { cwd: repo }).then(
    ({ stdout }) => ({ code: 0, output: stdout }),
    (error: { code: number; stdout: string }) => ({ code: error.code, output: error.stdout }),
  );
}

it("expected outputs and type-level tests pass tsc --strict --noEmit", { timeout: 120_000 }, async () => {
  const result = await tsc("-p", "generator/fixtures/tsconfig.json", "--strict", "--noEmit");
  expect(result.output).toBe("");
  expect(result.code).toBe(0);
});

it("generated modules compile under create-next-app's tsconfig", { timeout: 120_000 }, async () => {
  const result = await tsc("-p", "generator/fixtures/tsconfig.next-app.json", "--listFiles");
  const lines = result.output.split("\n");
  expect(lines).toContain(`${repo}generator/fixtures/shapes/expected/sessions.ts`);
  // Only the generated files are the generator's business: a fixture schema may use what ES2017 lacks
  // (the `shapes` fixture's `0n` default), as a user's own schema file would have to fix.
  const errors = lines.filter((line) => / error TS\d+/.test(line));
  expect(errors.filter((line) => !/^generator\/fixtures\/\w+\/sessions\.schema\.ts\(/.test(line))).toEqual(
    [],
  );
});
