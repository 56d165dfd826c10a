import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { SchemaAnalyser } from "../schema/analyse.ts";
import { schemaSource, type TempProject, tempProject } from "../test-support/temp-project.ts";
import { writeChanged } from "./check.ts";
import { generate } from "./gen.ts";

const projects: TempProject[] = [];
afterAll(() => {
  for (const project of projects) project.remove();
});

function project(body: string, prelude = ""): TempProject {
  const created = tempProject(schemaSource(body, prelude));
  projects.push(created);
  return created;
}

async function errorsOf(body: string, prelude = ""): Promise<string[]> {
  const p = project(body, prelude);
  const result = await generate({ schemaPath: p.schemaPath, outPath: p.outPath });
  return result.errors;
}

describe("a schema file with runtime options", () => {
  it("generates without calling the store factory or onInvalid (no connection at build time)", async () => {
    const p = tempProject(
      `import { appendFileSync } from "node:fs";\n` +
        `import { defineSessions } from "satchel";\n` +
        `import { z } from "zod";\n` +
        `const mark = (what: string) => appendFileSync(new URL("./called.txt", import.meta.url), what);\n` +
        `export default defineSessions(\n` +
        `  { cart: { storage: "store", schema: z.object({ items: z.array(z.string()).default([]) }) } },\n` +
        `  {\n` +
        `    store: () => { mark("store"); throw new Error("the generator opened the store"); },\n` +
        `    onInvalid: () => mark("onInvalid"),\n` +
        `  },\n` +
        `);\n`,
    );
    projects.push(p);
    const result = await generate({ schemaPath: p.schemaPath, outPath: p.outPath });
    expect(result.errors).toEqual([]);
    writeChanged(result.files);
    expect(p.read("generated/sessions.ts")).toContain("export interface CartData {");
    expect(p.read("generated/sessions.ts")).toContain(
      "createSatchel<SessionTypes>(config, {\n  codecs: {\n    cart: CART_CODEC,\n  },\n});",
    );
    expect(() => p.read("called.txt")).toThrow(/ENOENT/);
  });
});

describe("build-time errors name file, line and session", () => {
  it("a session without schema", async () => {
    const errors = await errorsOf(
      `  a: { storage: "cookie", schema: z.object({}) },\n  broken: { storage: "cookie" },`,
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /sessions\.schema\.ts:6: session "broken" has no schema; add schema: z\.object/,
    );
  });

  it("duplicate cookie names", async () => {
    const errors = await errorsOf(
      `  a: { storage: "cookie", schema: z.object({}), cookie: { name: "sid" } },\n  b: { storage: "store", schema: z.object({}), cookie: { name: "sid" } },`,
    );
    expect(errors.join("\n")).toMatch(
      /sessions\.schema\.ts:6: sessions "a" and "b" both use the cookie name "sid"/,
    );
  });

  it("two sessions whose generated type names clash", async () => {
    const errors = await errorsOf(
      `  user_prefs: { storage: "cookie", schema: z.object({}) },\n  userPrefs: { storage: "cookie", schema: z.object({}) },`,
    );
    expect(errors).toEqual([
      expect.stringMatching(
        /sessions\.schema\.ts:6: sessions "user_prefs" and "userPrefs" would both generate UserPrefsData; rename one of them\.$/,
      ),
    ]);
  });

  it("a flash channel that can't be serialized", async () => {
    const errors = await errorsOf(
      `  a: { storage: "cookie", schema: z.object({}), flash: { notice: z.string(), later: z.promise(z.string()) } },`,
    );
    expect(errors).toEqual([
      expect.stringMatching(
        /sessions\.schema\.ts:5: session "a" flash channel "later" is a promise: .*\. Flash plain data instead\.$/,
      ),
    ]);
  });

  it.each([
    ["z.function()", "function"],
    ["z.symbol()", "symbol"],
    ["z.promise(z.string())", "promise"],
    ["z.instanceof(URL)", "custom"],
  ])("a field that can't be serialized: %s", async (zod, kind) => {
    const errors = await errorsOf(
      `  prefs: {\n    storage: "store",\n    schema: z.object({\n      ok: z.string(),\n      nested: z.object({ bad: ${zod} }).optional(),\n    }),\n  },`,
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`sessions.schema.ts:9: session "prefs" field "nested.bad" is a ${kind}`);
    expect(errors[0]).toContain("Store plain data");
  });

  it("a cookie session whose smallest data can never fit", async () => {
    // Format 3 writes no key names, and deflate shrinks repeated values: random literals stay big.
    const prelude =
      "let seed = 1;\n" +
      "const noise = () => ((seed = Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x297a2d39) >>> 0).toString(36);\n" +
      "const many = Object.fromEntries(Array.from({ length: 1500 }, (_, i) => ['field' + i, z.literal(noise() + noise())]));";
    const errors = await errorsOf(
      `  huge: { storage: "cookie", schema: z.object(many), cookie: { maxChunks: 1 } },\n  fine: { storage: "store", schema: z.object(many), cookie: { maxChunks: 1 } },`,
      prelude,
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /sessions\.schema\.ts:7: session "huge" can never fit in its cookie: .* over the 4096-byte cap \(1 × 4096\)/,
    );
    expect(errors[0]).toContain('storage: "store"');
  });

  it("a schema that throws while loading points at its line", async () => {
    const errors = await errorsOf(
      `  a: { storage: "cookie", schema: z.object({ n: z.number() }) },`,
      `throw new Error("boom");`,
    );
    expect(errors.join("\n")).toMatch(/sessions\.schema\.ts:\d+: boom/); // the exact line is asserted in cli.test.ts: vitest rewrites stacks
  });
});

describe("schema evolution against the snapshot", () => {
  const base = `    schema: z.object({
      items: z.array(z.object({ sku: z.string(), qty: z.number().int().min(1) })).default([]),
      language: z.enum(["en", "de", "fr"]).default("en"),
      note: z.string().optional(),
    }),`;

  /** Generates the baseline, then returns a function that regenerates after replacing the schema. */
  async function evolving() {
    const p = project(`  cart: {\n    storage: "store",\n${base}\n  },`);
    const analyser = new SchemaAnalyser(p.schemaPath);
    const first = await generate({ schemaPath: p.schemaPath, outPath: p.outPath, analyser });
    expect(first.errors).toEqual([]);
    writeChanged(first.files);
    return async (schema: string, extra = "", acceptBreaking = false) => {
      p.write(
        "sessions.schema.ts",
        schemaSource(`  cart: {\n    storage: "store",\n${schema}\n${extra}  },`),
      );
      const result = await generate({
        schemaPath: p.schemaPath,
        outPath: p.outPath,
        analyser,
        acceptBreaking,
      });
      return { result, project: p, write: () => writeChanged(result.files) };
    };
  }

  const cases: [string, string, RegExp, string][] = [
    [
      "a new required field without default",
      base.replace("note:", "currency: z.string(),\n      note:"),
      /field "currency" new and required, without a default: sessions saved before this change have no value for it.*Fix: add \.default\(\.\.\.\) .* or bump version to 2 and add migrations/,
      base.replace("note:", 'currency: z.string().default("EUR"),\n      note:'),
    ],
    [
      "a removed field",
      base.replace(/\s+note: z\.string\(\)\.optional\(\),/, ""),
      /field "note" removed: the value old sessions hold there is dropped.*bump version to 2 and add migrations: \{ 2:/,
      "",
    ],
    [
      "a renamed field",
      base.replace("note:", "comment:"),
      /field "note" renamed to "comment": old sessions keep the value under the old name/,
      "",
    ],
    [
      "a narrowed type",
      base.replace("min(1)", "min(2)"),
      /field "items\[\]\.qty" minimum 1 → 2: values old sessions hold may no longer pass validation/,
      base.replace("min(1)", "min(0)"),
    ],
    [
      "a changed type",
      base.replace("note: z.string()", "note: z.number()"),
      /field "note" was string, now number/,
      base.replace("note: z.string()", "note: z.union([z.string(), z.number()])"),
    ],
    [
      "a removed enum member",
      base.replace(`"en", "de", "fr"`, `"en", "de"`),
      /field "language" "fr" is no longer allowed: old sessions holding that value fail validation.*maps the removed value/,
      base.replace(`"en", "de", "fr"`, `"en", "de", "fr", "it"`),
    ],
  ];

  it.each(cases)(
    "refuses %s, names session and field, and accepts the compatible variant",
    async (_, breaking, message, compatible) => {
      const regenerate = await evolving();
      const refused = await regenerate(breaking);
      expect(refused.result.errors.length).toBeGreaterThan(0);
      expect(refused.result.errors.join("\n")).toMatch(/sessions\.schema\.ts:\d+: session "cart" /);
      expect(refused.result.errors.join("\n")).toMatch(message);
      expect(refused.result.files).toEqual([]);

      const migrated = await regenerate(
        breaking,
        "    version: 2,\n    migrations: { 2: (old: unknown) => old },\n",
      );
      expect(migrated.result.errors).toEqual([]);
      expect(migrated.result.notes.join("\n")).toContain("version 1 → 2; old sessions are migrated on read");
      const snapshot = JSON.parse(migrated.result.files[1]!.content);
      expect(snapshot.sessions.cart.version).toBe(2);
      expect(snapshot.sessions.cart.previous["1"]).toBeDefined();
      // The previous version's data type is emitted to type the migration's argument.
      expect(migrated.result.files[0]!.content).toMatch(
        /export interface CartDataV1 \{\n {2}items: \{ qty: number; sku: string \}\[\];/,
      );

      if (compatible) {
        const accepted = await regenerate(compatible);
        expect(accepted.result.errors).toEqual([]);
      }
    },
  );

  it("keeps every shipped wire layout in the snapshot, by layout hash and key; the codec carries the earlier ones as history", async () => {
    const regenerate = await evolving();
    const layoutsOf = (content: string) => Object.keys(JSON.parse(content).sessions.cart.layouts);
    const widened = await regenerate(base.replace("note:", "gift: z.boolean().optional(),\n      note:"));
    expect(widened.result.errors).toEqual([]);
    const [module, snapshot] = widened.result.files.map((file) => file.content) as [string, string];
    const [shipped, shippedKey, current, currentKey] = layoutsOf(snapshot);
    expect(currentKey).toBeDefined();
    expect(module).toContain(`layout: "${current}",`);
    // Format-4 tokens of today's build carry the key; a later build finds the plan under it.
    expect(module).toContain(`key: "${currentKey}",`);
    expect(module).toMatch(
      new RegExp(
        `history: \\{\\n {4}"${shipped}": \\["object",.*\\n {4}"${shippedKey}": \\["object",.*\\n {2}\\}`,
      ),
    );
    widened.write();
    // Once written, the same schema regenerates the same files (the layouts do not pile up).
    const again = await regenerate(base.replace("note:", "gift: z.boolean().optional(),\n      note:"));
    expect(again.result.files.map((file) => file.content)).toEqual([module, snapshot]);
    // A snapshot from before format 3 (no layouts) is read as no history.
    const old = JSON.parse(snapshot);
    delete old.sessions.cart.layouts;
    widened.project.write("generated/sessions.snapshot.json", JSON.stringify(old));
    const fresh = await regenerate(base.replace("note:", "gift: z.boolean().optional(),\n      note:"));
    expect(fresh.result.errors).toEqual([]);
    expect(layoutsOf(fresh.result.files[1]!.content)).toEqual([current, currentKey]);
    expect(fresh.result.files[0]!.content).toContain("history: {},");
  });

  it("--accept-breaking accepts and says old sessions will be reset; the snapshot moves on", async () => {
    const regenerate = await evolving();
    const accepted = await regenerate(base.replace(/\s+note: z\.string\(\)\.optional\(\),/, ""), "", true);
    expect(accepted.result.errors).toEqual([]);
    expect(accepted.result.notes.join("\n")).toMatch(
      /breaking change accepted .*"note" removed.*old sessions of "cart" will be reset/,
    );
    accepted.write();
    const again = await regenerate(base.replace(/\s+note: z\.string\(\)\.optional\(\),/, ""));
    expect(again.result.errors).toEqual([]);
  });

  it("a version bump without the migration a breaking change needs is refused", async () => {
    const regenerate = await evolving();
    const refused = await regenerate(
      base.replace("note:", "currency: z.string(),\n      note:"),
      "    version: 2,\n",
    );
    // satchel's defineSessions refuses it already; gen reports it at the session's line.
    expect(refused.result.errors.join("\n")).toMatch(
      /sessions\.schema\.ts:5: session "cart" key "migrations\.2".*migration from version 1 to 2 is needed/,
    );
  });

  it("refuses a cookie rename or a storage change (every user would lose the session) unless accepted", async () => {
    const regenerate = await evolving();
    const renamed = await regenerate(base, '    cookie: { name: "basket" },\n');
    expect(renamed.result.errors.join("\n")).toMatch(
      /sessions\.schema\.ts:5: session "cart" cookie name changed from "cart" to "basket": .*users are logged out.*Fix: keep the previous cookie\.name \("cart"\), or run gen --accept-breaking/,
    );
    const back = await regenerate(base);
    expect(back.result.errors).toEqual([]);
    const accepted = await regenerate(base, '    cookie: { name: "basket" },\n', true);
    expect(accepted.result.errors).toEqual([]);
    expect(accepted.result.notes.join("\n")).toMatch(/accepted, old sessions of "cart" will be reset/);
  });

  it("a session removed from the schema leaves the snapshot with a note", async () => {
    const p = project(
      `  cart: { storage: "store", schema: z.object({}) },\n  prefs: { storage: "cookie", schema: z.object({}) },`,
    );
    writeChanged((await generate({ schemaPath: p.schemaPath, outPath: p.outPath })).files);
    p.write("sessions.schema.ts", schemaSource(`  cart: { storage: "store", schema: z.object({}) },`));
    const result = await generate({ schemaPath: p.schemaPath, outPath: p.outPath });
    expect(result.errors).toEqual([]);
    expect(result.notes).toEqual([
      'session "prefs" was removed; its cookies and records are ignored from now on.',
    ]);
    expect(Object.keys(JSON.parse(result.files[1]!.content).sessions)).toEqual(["cart"]);
  });

  it("non-breaking changes pass and update the snapshot", async () => {
    const regenerate = await evolving();
    const result = await regenerate(base.replace("note:", "extra: z.boolean().optional(),\n      note:"));
    expect(result.result.errors).toEqual([]);
    result.write();
    expect(readFileSync(result.project.snapshotPath, "utf8")).toContain('"extra"');
  });
});

describe("loading", () => {
  it("sees edits to the schema and to files it imports on every run (no stale module cache)", async () => {
    const p = project(
      `  cart: { storage: "store", schema: z.object({ items: z.array(item).default([]) }) },`,
      `import { item } from "./item.ts";`,
    );
    p.write("item.ts", `import { z } from "zod";\nexport const item = z.object({ sku: z.string() });\n`);
    const analyser = new SchemaAnalyser(p.schemaPath);
    const first = await generate({ schemaPath: p.schemaPath, outPath: p.outPath, analyser });
    expect(first.errors).toEqual([]);
    expect(first.files[0]!.content).toContain("items: { sku: string }[];");
    writeChanged(first.files);
    p.write(
      "item.ts",
      `import { z } from "zod";\nexport const item = z.object({ sku: z.string(), qty: z.number().default(1) });\n`,
    );
    const second = await generate({ schemaPath: p.schemaPath, outPath: p.outPath, analyser });
    expect(second.errors).toEqual([]);
    expect(second.files[0]!.content).toContain("items: { sku: string; qty: number }[];");
    expect(second.files[1]!.content).toContain('"qty"');
    expect(second.watched).toContain(`${p.dir}/item.ts`);
  });
});
