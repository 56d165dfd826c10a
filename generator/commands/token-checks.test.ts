/**
 * The `tokens` option through a whole run: the types each way of writing it gives, and the
 * build-time errors, each naming the file, line and token.
 */
import { afterAll, describe, expect, it } from "vitest";
import { type TempProject, tempProject } from "../test-support/temp-project.ts";
import { generate } from "./gen.ts";

const projects: TempProject[] = [];
afterAll(() => {
  for (const project of projects) project.remove();
});

const HEAD = `import { defineSessions } from "satchel";\nimport { z } from "zod";\n`;
const AUTH = `{ auth: { storage: "cookie", schema: z.object({ userId: z.string().nullable().default(null) }) } }`;

async function run(source: string): Promise<{ errors: string[]; module: string }> {
  const project = tempProject(source);
  projects.push(project);
  const result = await generate({ schemaPath: project.schemaPath, outPath: project.outPath });
  const module = result.files.find((file) => file.path === project.outPath)?.content ?? "";
  return { errors: result.errors, module };
}

describe("the tokens option, however it is written", () => {
  const reset = "export interface ResetTokenData {\n  userId: string;\n}";
  const map = "export type TokenTypes = {\n  reset: { input: ResetTokenInput; data: ResetTokenData };\n};";

  it("inline in the call", async () => {
    const { errors, module } = await run(
      `${HEAD}export default defineSessions(${AUTH}, {\n  tokens: { reset: { schema: z.object({ userId: z.string() }), ttl: "1h" } },\n});\n`,
    );
    expect(errors).toEqual([]);
    expect(module).toContain(reset);
    expect(module).toContain(map);
    expect(module).toContain("createSatchel<SessionTypes, TokenTypes>(config, {");
  });

  it("in variables: the options, or each kind", async () => {
    const { errors, module } = await run(
      `${HEAD}const reset = { schema: z.object({ userId: z.string() }), ttl: "1h" as const };\n` +
        `const options = { tokens: { reset } };\n` +
        `export default defineSessions(${AUTH}, options);\n`,
    );
    expect(errors).toEqual([]);
    expect(module).toContain(reset);
    expect(module).toContain(map);
  });

  it("built with a spread", async () => {
    const { errors, module } = await run(
      `${HEAD}const shared = { reset: { schema: z.object({ userId: z.string() }), ttl: 60 } };\n` +
        `export default defineSessions(${AUTH}, { tokens: { ...shared } });\n`,
    );
    expect(errors).toEqual([]);
    expect(module).toContain(reset);
  });

  it("absent: the module has no token part at all", async () => {
    const { errors, module } = await run(`${HEAD}export default defineSessions(${AUTH}, {});\n`);
    expect(errors).toEqual([]);
    expect(module).not.toMatch(/TokenTypes|sealToken|openToken/);
    expect(module).toContain("createSatchel<SessionTypes>(config, {");
  });
});

describe("build-time errors of the tokens option", () => {
  it("a field that cannot be sealed", async () => {
    const { errors } = await run(
      `${HEAD}export default defineSessions(${AUTH}, {\n  tokens: {\n    reset: { schema: z.object({ done: z.function() }), ttl: "1h" },\n  },\n});\n`,
    );
    expect(errors).toEqual([
      expect.stringMatching(
        /sessions\.schema\.ts:5: token "reset" field "done" is a function: .*Seal plain data/,
      ),
    ]);
  });

  it("a kind whose types a session would generate too", async () => {
    const { errors } = await run(
      `${HEAD}export default defineSessions(\n  { resetToken: { storage: "cookie", schema: z.object({}) } },\n` +
        `  { tokens: { reset: { schema: z.object({ userId: z.string() }), ttl: "1h" } } },\n);\n`,
    );
    expect(errors).toEqual([
      expect.stringMatching(
        /sessions\.schema\.ts:5: session "resetToken" and token "reset" would both generate ResetTokenData; rename one of them\./,
      ),
    ]);
  });

  it("two kinds with one type name", async () => {
    const { errors } = await run(
      `${HEAD}const schema = z.object({ userId: z.string() });\n` +
        `export default defineSessions(${AUTH}, {\n  tokens: {\n    password_reset: { schema, ttl: "1h" },\n    passwordReset: { schema, ttl: "1h" },\n  },\n});\n`,
    );
    expect(errors).toEqual([
      expect.stringMatching(
        /sessions\.schema\.ts:7: token "password_reset" and token "passwordReset" would both generate PasswordResetTokenData/,
      ),
    ]);
  });

  it("a token option defineSessions() refuses, at its line", async () => {
    const { errors } = await run(
      `${HEAD}export default defineSessions(${AUTH}, {\n  tokens: { reset: { schema: z.object({ userId: z.string() }) } },\n});\n`,
    );
    expect(errors).toEqual([
      expect.stringMatching(
        /sessions\.schema\.ts:4: defineSessions\(\) option "tokens\.reset\.ttl" is required: how long a token stays valid/,
      ),
    ]);
  });
});
