/**
 * Every expected output compiles under the repo's strict settings, and the type-level tests in
 * `fixtures/typelevel/` hold: wrong code (`@ts-expect-error` lines) fails, correct code passes.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { expect, it } from "vitest";

const run = promisify(execFile);
const repo = fileURLToPath(new URL("../", import.meta.url));

it("expected outputs and type-level tests pass tsc --strict --noEmit", { timeout: 120_000 }, async () => {
  const result = await run(
    process.execPath,
    ["node_modules/typescript/bin/tsc", "-p", "generator/fixtures/tsconfig.json", "--strict", "--noEmit"],
    { cwd: repo },
  ).then(
    ({ stdout }) => ({ code: 0, output: stdout }),
    (error: { code: number; stdout: string }) => ({ code: error.code, output: error.stdout }),
  );
  expect(result.output).toBe("");
  expect(result.code).toBe(0);
});
