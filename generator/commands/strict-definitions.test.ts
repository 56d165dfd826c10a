/**
 * `satchel gen` refuses a misspelled key in a session definition with file:line:session and the
 * likely intended key: the schema file is run to load it, so `defineSessions()`'s own check applies.
 */
import { afterAll, describe, expect, it } from "vitest";
import { schemaSource, type TempProject, tempProject } from "../test-support/temp-project.ts";
import { generate } from "./gen.ts";

const projects: TempProject[] = [];
afterAll(() => {
  for (const project of projects) project.remove();
});

async function errorsOf(body: string): Promise<string[]> {
  const project = tempProject(schemaSource(body));
  projects.push(project);
  return (await generate({ schemaPath: project.schemaPath, outPath: project.outPath })).errors;
}

describe("satchel gen refuses unknown definition keys", () => {
  it.each([
    [`expiry: { absolut: "7d" }`, /unknown key "expiry\.absolut" \(did you mean "absolute"\?\)/],
    [`mesages: true`, /unknown key "mesages" \(did you mean "messages"\?\)/],
    [`cookie: { samesite: "lax" }`, /unknown key "cookie\.samesite" \(did you mean "sameSite"\?\)/],
  ])("%s", async (extra, message) => {
    const errors = await errorsOf(
      `  a: { storage: "cookie", schema: z.object({}) },\n  cart: { storage: "store", schema: z.object({}), ${extra} },`,
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/sessions\.schema\.ts:6: session "cart": unknown key/);
    expect(errors[0]).toMatch(message);
  });
});
