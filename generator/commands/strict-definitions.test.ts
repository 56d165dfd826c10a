/**
 * `satchel gen` refuses a misspelled key in a session definition with file:line:session and the
 * likely intended key: the schema file is run to load it, so `defineSessions()`'s own check applies.
 * The line is the key's own when the definition is written inline, else the session's.
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
    [
      `expiry: {\n      idle: "2h",\n      absolut: "7d",\n    },`,
      11,
      /unknown key "expiry\.absolut" \(did you mean "absolute"\?\)/,
    ],
    [`cookie: { name: "c",\n      samesite: "lax" },`, 10, /unknown key "cookie\.samesite"/],
    [
      `expiry: { idle: "2h",\n      touchAfter: "3h" },`,
      10,
      /key "expiry\.touchAfter": is 10800s but idle is 7200s/,
    ],
  ])("points at the line of the key, not of the session: %s", async (extra, line, message) => {
    const errors = await errorsOf(
      `  a: { storage: "cookie", schema: z.object({}) },\n  cart: {\n    storage: "store",\n    schema: z.object({}),\n    ${extra}\n  },`,
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(new RegExp(`sessions\\.schema\\.ts:${line}: session "cart"`));
    expect(errors[0]).toMatch(message);
  });

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
