/** `gen --check` output: a real unified diff per stale file, then the command that regenerates. */
import { describe, expect, it } from "vitest";
import { staleReport, unifiedDiff } from "./check.ts";

const lines = Array.from({ length: 60 }, (_, i) => `export const line${i} = ${i};`);
const module = `${lines.join("\n")}\n`;

describe("unifiedDiff", () => {
  it("shows one inserted line as one + line with context, not every line after it", () => {
    const after = module.replace(
      "export const line10 = 10;\n",
      "export const line10 = 10;\nexport const inserted = true;\n",
    );
    expect(unifiedDiff("generated/sessions.ts", module, after)).toBe(
      [
        "--- a/generated/sessions.ts",
        "+++ b/generated/sessions.ts",
        "@@ -9,6 +9,7 @@",
        " export const line8 = 8;",
        " export const line9 = 9;",
        " export const line10 = 10;",
        "+export const inserted = true;",
        " export const line11 = 11;",
        " export const line12 = 12;",
        " export const line13 = 13;",
      ].join("\n"),
    );
  });

  it("counts what it leaves out of a very long diff", () => {
    const rewritten = module.repeat(10).replaceAll("export", "export declare");
    const diff = unifiedDiff("generated/sessions.ts", module.repeat(10), rewritten).split("\n");
    expect(diff).toHaveLength(401);
    expect(diff.at(-1)).toMatch(/^\.\.\. \d+ more lines of diff not shown$/);
  });
});

describe("staleReport", () => {
  it("gives each file's diff, then one command, with the right plural", () => {
    const one = staleReport([{ path: "generated/sessions.ts", diff: "--- a\n+++ b" }], "npx satchel gen");
    expect(one).toBe(
      "satchel: generated/sessions.ts is stale; what gen would write differs:\n--- a\n+++ b\n" +
        "satchel: 1 generated file out of date; run `npx satchel gen` and commit it.",
    );
    const two = staleReport(
      [
        { path: "generated/sessions.ts", diff: "--- a\n+++ b" },
        { path: "generated/sessions.snapshot.json", diff: "" },
      ],
      "npm run gen",
    );
    expect(two).toContain("satchel: generated/sessions.snapshot.json is stale: it does not exist.");
    expect(two).toMatch(/2 generated files out of date; run `npm run gen` and commit them\.$/);
  });
});
