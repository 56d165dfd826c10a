/**
 * Field docs: zod descriptions and deprecations reach the generated module's JSDoc (the golden fixture
 * `fixtures/docs` holds the whole module), and an editor's hover over app code shows them.
 */
import { fileURLToPath } from "node:url";
import { Project, ts } from "ts-morph";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { docOf, jsDoc } from "./docs.ts";

describe("docOf", () => {
  it.each([
    ["describe() inside optional()", z.string().describe("d").optional(), { description: "d" }],
    ["describe() outside optional()", z.string().optional().describe("d"), { description: "d" }],
    [
      "meta() under nullable().default()",
      z.number().meta({ description: "d" }).nullable().default(null),
      {
        description: "d",
      },
    ],
    [
      "a transform's input",
      z
        .string()
        .describe("d")
        .transform((s) => s.length),
      { description: "d" },
    ],
    ["deprecated only", z.boolean().meta({ deprecated: true }).default(false), { deprecated: true }],
    [
      "outermost description wins",
      z.string().describe("inner").optional().describe("outer"),
      {
        description: "outer",
      },
    ],
  ])("%s", (_, schema, doc) => {
    expect(docOf(schema)).toEqual(doc);
  });

  it("is undefined without description or deprecation", () => {
    expect(docOf(z.string().meta({ title: "t" }).optional())).toBeUndefined();
    expect(docOf(z.string().describe("   "))).toBeUndefined();
  });
});

describe("jsDoc", () => {
  it("writes one line when it can, a block otherwise, and cannot be closed early", () => {
    expect(jsDoc(["Where receipts go."], false, "  ")).toBe("  /** Where receipts go. */");
    expect(jsDoc([], true, "")).toBe("/** @deprecated */");
    expect(jsDoc(["a */ b\nsecond", "", "third"], true, "  ")).toBe(
      "  /**\n   * a *\\/ b\n   * second\n   *\n   * third\n   * @deprecated\n   */",
    );
    expect(jsDoc([], false, "")).toBe("");
  });
});

describe("an editor's hover over app code using the generated module", () => {
  it("shows field, flash channel and session docs, and marks deprecated fields", { timeout: 120_000 }, () => {
    const project = new Project({
      tsConfigFilePath: fileURLToPath(new URL("../fixtures/tsconfig.json", import.meta.url)),
      skipAddingFilesFromTsConfig: true,
    });
    const source = [
      `import { getSession, type AccountSession } from "./expected/sessions.ts";`,
      `export async function page(): Promise<void> {`,
      `  const account: AccountSession = await getSession("account");`,
      `  account.email;`,
      `  account.flash.welcome;`,
      `  account.legacyId;`,
      `}`,
    ].join("\n");
    const file = project.createSourceFile(
      fileURLToPath(new URL("../fixtures/docs/hover-probe.ts", import.meta.url)),
      source,
      { overwrite: true },
    );
    project.resolveSourceFileDependencies();
    const service = project.getLanguageService().compilerObject;
    const hover = (text: string) => {
      const info = service.getQuickInfoAtPosition(file.getFilePath(), source.indexOf(text) + text.length - 1);
      return {
        documentation: ts.displayPartsToString(info?.documentation),
        tags: (info?.tags ?? []).map((tag) => tag.name),
      };
    };
    expect(hover("account.email")).toEqual({
      documentation: "Where receipts go; verified at sign-up.",
      tags: [],
    });
    expect(hover("flash.welcome")).toEqual({ documentation: "Shown once after sign-up.", tags: [] });
    expect(hover("account.legacyId").documentation).toContain("Id from the old system.");
    expect(hover("account.legacyId").tags).toEqual(["deprecated"]);
    expect(hover(": AccountSession").documentation).toContain("The signed-in account, sealed in the cookie.");
    // Editors strike deprecated members through from this suggestion diagnostic.
    const deprecated = service
      .getSuggestionDiagnostics(file.getFilePath())
      .filter((diagnostic) => diagnostic.reportsDeprecated)
      .map((diagnostic) =>
        source.slice(diagnostic.start, (diagnostic.start ?? 0) + (diagnostic.length ?? 0)),
      );
    expect(deprecated).toEqual(["legacyId"]);
  });
});
