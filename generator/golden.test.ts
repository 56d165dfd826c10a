/**
 * Golden files: every `fixtures/<case>/sessions.schema.ts` must generate exactly
 * `fixtures/<case>/expected/*`. After an intended change: `UPDATE_GOLDEN=1 npx vitest run generator/golden.test.ts`.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { writeChanged } from "./commands/check.ts";
import { generate } from "./commands/gen.ts";

const fixtures = fileURLToPath(new URL("./fixtures/", import.meta.url));
const cases = readdirSync(fixtures).filter((name) =>
  existsSync(path.join(fixtures, name, "sessions.schema.ts")),
);
const update = process.env.UPDATE_GOLDEN === "1";

describe("golden files", () => {
  it("covers the shapes the issue lists", () => {
    expect(cases).toEqual(expect.arrayContaining(["shapes", "several", "long", "migrated"]));
  });

  it.each(cases)("%s", async (name) => {
    const schemaPath = path.join(fixtures, name, "sessions.schema.ts");
    const outPath = path.join(fixtures, name, "expected", "sessions.ts");
    const result = await generate({ schemaPath, outPath });
    expect(result.errors).toEqual([]);
    if (update) writeChanged(result.files);
    for (const file of result.files) {
      expect(file.content, `${path.relative(fixtures, file.path)} differs; UPDATE_GOLDEN=1 to accept`).toBe(
        readFileSync(file.path, "utf8"),
      );
    }
  });
});
