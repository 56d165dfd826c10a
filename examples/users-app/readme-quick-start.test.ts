import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { inspectorBlocks, ironSessionBlocks, quickStartBlocks } from "./readme-quick-start.ts";

describe("quickStartBlocks", () => {
  it("takes the TypeScript blocks of the quick start section only, with the path of their first line", () => {
    const markdown = [
      "# x",
      "```ts",
      "// before.ts",
      "```",
      "## Quick start in your Next.js app",
      "```sh",
      "npx satchel init",
      "```",
      "```tsx",
      "// app/page.tsx",
      "export default function Page() { return null; }",
      "```",
      "```ts",
      "const untitled = 1;",
      "```",
      "### Cache Components",
      "```ts",
      "// proxy.ts",
      "export {};",
      "```",
      "## The schema file",
      "```ts",
      "// after.ts",
      "```",
    ].join("\n");
    expect(quickStartBlocks(markdown)).toEqual([
      { language: "tsx", path: "app/page.tsx", code: "export default function Page() { return null; }\n" },
      { language: "ts", path: null, code: "const untitled = 1;\n" },
      { language: "ts", path: "proxy.ts", code: "export {};\n" },
    ]);
  });

  it("finds the files a user pastes in the real README", () => {
    const paths = quickStartBlocks().flatMap((block) => (block.path === null ? [] : [block.path]));
    expect(new Set(paths)).toEqual(
      new Set([
        "sessions.schema.ts",
        "app/cart/route.ts",
        "app/actions.ts",
        "app/page.tsx",
        "app/login/page.tsx",
        "proxy.ts",
        "instrumentation.ts",
      ]),
    );
  });

  it("shows instrumentation.ts exactly as `satchel init` writes it at the app's root", () => {
    const template = readFileSync(
      new URL("../../templates/init/instrumentation.ts.tpl", import.meta.url),
      "utf8",
    );
    const block = quickStartBlocks().find((b) => b.path === "instrumentation.ts");
    expect(block?.code).toBe(template.replace("{{generatedImport}}", "./generated/sessions"));
  });

  it("finds the inspector's route file, importing the module `satchel gen` writes", () => {
    const [route, ...rest] = inspectorBlocks();
    expect(rest).toEqual([]);
    expect(route?.path).toBe("app/%5Fsatchel/route.ts");
    expect(route?.code).toContain('from "@/generated/sessions"');
  });

  it("finds the schema of Coming from iron-session: the quick start's sessions with importFrom", () => {
    const [schema, ...rest] = ironSessionBlocks();
    expect(rest).toEqual([]);
    expect(schema?.path).toBe("sessions.schema.ts");
    expect(schema?.code).toContain('import { ironSession } from "satchel/import";');
    expect(schema?.code).toContain("importFrom: ironSession({");
  });
});
