/** Messages name the command that regenerates in this app, not a script it may not have. */
import { afterAll, describe, expect, it } from "vitest";
import { type TempProject, tempProject } from "../test-support/temp-project.ts";
import { regenerateCommand } from "./regenerate-command.ts";

const projects: TempProject[] = [];
afterAll(() => {
  for (const project of projects) project.remove();
});

function app(scripts: Record<string, string> | undefined): TempProject {
  const p = tempProject("");
  projects.push(p);
  p.write("package.json", JSON.stringify({ type: "module", ...(scripts ? { scripts } : {}) }));
  return p;
}

describe("regenerateCommand", () => {
  it("names the package script that runs satchel gen", () => {
    expect(regenerateCommand(app({ dev: "next dev", "db:gen": "satchel gen" }).schemaPath)).toBe(
      "npm run db:gen",
    );
    // A check or watch script does not regenerate; `gen` wins over other names.
    const both = app({
      "gen:check": "satchel gen --check",
      sessions: "satchel gen",
      gen: "satchel gen --out x.ts",
    });
    expect(regenerateCommand(both.schemaPath)).toBe("npm run gen");
    expect(regenerateCommand(app({ check: "satchel gen --check" }).schemaPath)).toBe("npx satchel gen");
  });

  it("falls back to npx satchel gen with the flags given, quoted for the shell", () => {
    const p = app(undefined);
    expect(regenerateCommand(p.schemaPath)).toBe("npx satchel gen");
    expect(
      regenerateCommand(p.schemaPath, ["--schema", "my app/sessions.schema.ts", "--out", "src/gen.ts"]),
    ).toBe("npx satchel gen --schema 'my app/sessions.schema.ts' --out src/gen.ts");
  });

  it("reads the nearest package.json: a nested package's own scripts, not its parent's", () => {
    const p = app({ gen: "satchel gen" });
    p.write("packages/web/package.json", JSON.stringify({ name: "web" }));
    expect(regenerateCommand(`${p.dir}/packages/web/sessions.schema.ts`)).toBe("npx satchel gen");
    expect(regenerateCommand(`${p.dir}/src/sessions.schema.ts`)).toBe("npm run gen");
  });
});
