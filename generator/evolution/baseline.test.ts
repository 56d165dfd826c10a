/**
 * Breaking changes are judged against what was shipped (the snapshot committed at HEAD), not against
 * the last save. Each test works in a throwaway git repository.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { findStale, writeChanged } from "../commands/check.ts";
import { generate } from "../commands/gen.ts";
import { watchSchema } from "../commands/watch.ts";
import { SchemaAnalyser } from "../schema/analyse.ts";
import { schemaSource, type TempProject, tempProject } from "../test-support/temp-project.ts";
import { type BaselineCache, readBaselines } from "./baseline.ts";

const projects: TempProject[] = [];
afterAll(() => {
  for (const project of projects) project.remove();
});

const cart = (fields: string, extra = "") =>
  schemaSource(
    `  cart: {\n    storage: "store",\n    schema: z.object({\n      items: z.array(z.string()).default([]),\n${fields}    }),\n${extra}  },`,
  );
const NOTE = `      note: z.string().optional(),\n`;

function git(project: TempProject, ...args: string[]): string {
  return execFileSync(
    "git",
    [
      "-c",
      "user.name=satchel",
      "-c",
      "user.email=satchel@example.com",
      "-c",
      "commit.gpgsign=false",
      ...args,
    ],
    { cwd: project.dir, encoding: "utf8", env: { ...process.env, GIT_CONFIG_GLOBAL: "/dev/null" } },
  );
}

/** A git repository whose first commit holds the schema and its generated files. */
async function committedProject(schema: string) {
  const p = tempProject(schema);
  projects.push(p);
  p.write(".gitignore", "node_modules\n");
  const analyser = new SchemaAnalyser(p.schemaPath);
  const regenerate = async (edited?: string, acceptBreaking = false) => {
    if (edited !== undefined) p.write("sessions.schema.ts", edited);
    const result = await generate({ schemaPath: p.schemaPath, outPath: p.outPath, analyser, acceptBreaking });
    writeChanged(result.files);
    return result;
  };
  expect((await regenerate()).errors).toEqual([]);
  git(p, "init", "-q", ".");
  git(p, "add", ".");
  git(p, "commit", "-q", "-m", "ship the cart");
  return { project: p, regenerate };
}

describe("breaking changes are judged against the committed snapshot", () => {
  it("a typo fixed, a field added and removed again: no --accept-breaking needed", async () => {
    const { project, regenerate } = await committedProject(cart(NOTE));

    const typo = await regenerate(cart(`${NOTE}      emial: z.string().optional(),\n`));
    expect(typo.errors).toEqual([]);
    expect(project.read("generated/sessions.snapshot.json")).toContain('"emial"');

    // Against the last save this is a rename of "emial"; nothing ever shipped "emial".
    const fixed = await regenerate(cart(`${NOTE}      email: z.string().optional(),\n`));
    expect(fixed.errors).toEqual([]);

    const added = await regenerate(
      cart(`${NOTE}      email: z.string().optional(),\n      nickname: z.string().optional(),\n`),
    );
    expect(added.errors).toEqual([]);
    expect(project.read("generated/sessions.snapshot.json")).toContain('"nickname"');

    const removed = await regenerate(cart(`${NOTE}      email: z.string().optional(),\n`));
    expect(removed.errors).toEqual([]);
    expect(removed.notes).toEqual([]);

    const module = project.read("generated/sessions.ts");
    expect(module).toContain("  email?: string | undefined;");
    expect(module).not.toMatch(/emial|nickname/);
    const snapshot = project.read("generated/sessions.snapshot.json");
    expect(snapshot).toContain('"email"');
    expect(snapshot).not.toMatch(/emial|nickname/);
    expect(findStale(removed.files)).toEqual([]);

    // Committed, the new shape is what ships: removing "email" now is refused.
    git(project, "commit", "-q", "-am", "add email");
    const refused = await regenerate(cart(NOTE));
    expect(refused.errors.join("\n")).toMatch(/session "cart" field "email" removed/);
  });

  it("removing a committed field is still refused, however many saves ago it was committed", async () => {
    const { project, regenerate } = await committedProject(cart(NOTE));
    expect((await regenerate(cart(`${NOTE}      extra: z.boolean().default(false),\n`))).errors).toEqual([]);
    const snapshotBefore = project.read("generated/sessions.snapshot.json");

    const refused = await regenerate(cart(`      extra: z.boolean().default(false),\n`));
    expect(refused.errors).toHaveLength(1);
    expect(refused.errors[0]).toMatch(
      /sessions\.schema\.ts:\d+: session "cart" field "note" removed: .*bump version to 2 and add migrations/,
    );
    expect(refused.files).toEqual([]);
    expect(project.read("generated/sessions.snapshot.json")).toBe(snapshotBefore);
    // The module that follows the schema is there for watch mode; its data type has no "note" (the
    // codec's history still names it: tokens of the committed layout stay readable).
    expect(refused.module?.content).toContain("extra: boolean;");
    expect(refused.module?.content).not.toMatch(/^ {2}note\??:/m);

    const migrated = await regenerate(
      cart(
        `      extra: z.boolean().default(false),\n`,
        "    version: 2,\n    migrations: { 2: (old: unknown) => old },\n",
      ),
    );
    expect(migrated.errors).toEqual([]);
    expect(project.read("generated/sessions.ts")).toContain("export interface CartDataV1 {");
  });

  it("a breaking change accepted with --accept-breaking stays accepted until committed", async () => {
    const { project, regenerate } = await committedProject(cart(NOTE));
    const withoutNote = cart("");
    expect((await regenerate(withoutNote)).errors.join("\n")).toMatch(/"note" removed/);
    const accepted = await regenerate(withoutNote, true);
    expect(accepted.errors).toEqual([]);
    expect(accepted.notes.join("\n")).toMatch(/breaking change accepted .*"note" removed/);

    const again = await regenerate(cart(`      coupon: z.string().optional(),\n`));
    expect(again.errors).toEqual([]);
    expect(again.notes.join("\n")).toMatch(
      /session "cart": breaks the committed snapshot \("note"\), as accepted earlier with --accept-breaking/,
    );
    git(project, "commit", "-q", "-am", "drop note");
    const committed = await regenerate(cart(`      coupon: z.string().optional(),\n`));
    expect(committed.notes).toEqual([]);
  });

  it("an uncommitted version keeps its data type while the next one is written", async () => {
    const { project, regenerate } = await committedProject(cart(NOTE));
    const v2 = cart(
      `      memo: z.string().optional(),\n`,
      "    version: 2,\n    migrations: { 2: (old: unknown) => old },\n",
    );
    expect((await regenerate(v2)).errors).toEqual([]);
    const v3 = cart(
      `      memo: z.number().optional(),\n`,
      "    version: 3,\n    migrations: { 2: (old: unknown) => old, 3: (old: unknown) => old },\n",
    );
    expect((await regenerate(v3)).errors).toEqual([]);
    const module = project.read("generated/sessions.ts");
    expect(module).toContain("export interface CartDataV1 {");
    expect(module).toMatch(/export interface CartDataV2 \{[^}]*memo\?: string \| undefined;/);
  });

  it("a snapshot that is not committed yet is the baseline, as outside git", async () => {
    const p = tempProject(cart(`      emial: z.string().optional(),\n`));
    projects.push(p);
    p.write(".gitignore", "node_modules\ngenerated\n");
    git(p, "init", "-q", ".");
    git(p, "add", ".");
    git(p, "commit", "-q", "-m", "schema only");
    const first = await generate({ schemaPath: p.schemaPath, outPath: p.outPath });
    writeChanged(first.files);
    p.write("sessions.schema.ts", cart(`      email: z.string().optional(),\n`));
    const renamed = await generate({ schemaPath: p.schemaPath, outPath: p.outPath });
    expect(renamed.errors.join("\n")).toMatch(/field "emial" renamed to "email"/);
  });
});

describe("readBaselines with the watch-mode cache", () => {
  it("asks git again only after HEAD moved", async () => {
    const p = tempProject();
    projects.push(p);
    const snapshot = (version: number) => JSON.stringify({ sessions: { cart: { version, schema: {} } } });
    p.write("generated/sessions.snapshot.json", snapshot(1));
    git(p, "init", "-q", ".");
    git(p, "add", "generated");
    git(p, "commit", "-q", "-m", "v1");
    const cache: BaselineCache = {};
    expect((await readBaselines(p.snapshotPath, cache)).shipped?.sessions.cart?.version).toBe(1);
    const asked = cache.committed;

    p.write("generated/sessions.snapshot.json", snapshot(2));
    const saved = await readBaselines(p.snapshotPath, cache);
    expect(saved.shipped?.sessions.cart?.version).toBe(1);
    expect(saved.working?.sessions.cart?.version).toBe(2);
    expect(cache.committed).toBe(asked);

    git(p, "commit", "-q", "-am", "v2");
    expect((await readBaselines(p.snapshotPath, cache)).shipped?.sessions.cart?.version).toBe(2);
  });
});

describe("gen --watch and a refused change", () => {
  it("writes the module that follows the schema, not the snapshot, and prints the refusal", async () => {
    const { project } = await committedProject(cart(NOTE));
    const snapshot = project.read("generated/sessions.snapshot.json");
    const lines: string[] = [];
    const runs: { ok: boolean; written: string[] }[] = [];
    let ran: (() => void) | undefined;
    const nextRun = () => new Promise<void>((resolve) => (ran = resolve));
    const first = nextRun();
    const watcher = watchSchema({
      schemaPath: project.schemaPath,
      outPath: project.outPath,
      debounceMs: 20,
      log: (line) => lines.push(line),
      onRun: (outcome) => {
        runs.push(outcome);
        ran?.();
      },
    });
    try {
      await first;
      const refused = nextRun();
      project.write("sessions.schema.ts", cart(`      memo: z.string().optional(),\n`));
      await refused;
      expect(runs.at(-1)).toMatchObject({ ok: false });
      expect(lines.join("\n")).toMatch(/field "note" renamed to "memo"/);
      expect(lines.join("\n")).toMatch(/the snapshot keeps the shipped shape .*satchel gen --check` fails/);
      expect(readFileSync(project.outPath, "utf8")).toContain("memo?: string | undefined;");
      expect(project.read("generated/sessions.snapshot.json")).toBe(snapshot);

      const fixed = nextRun();
      project.write("sessions.schema.ts", cart(`${NOTE}      memo: z.string().optional(),\n`));
      await fixed;
      expect(runs.at(-1)).toMatchObject({ ok: true });
      expect(project.read("generated/sessions.snapshot.json")).toContain('"memo"');

      // Committed while watching: "memo" has shipped, so removing it is refused now.
      git(project, "commit", "-q", "-am", "add memo");
      const removed = nextRun();
      project.write("sessions.schema.ts", cart(NOTE));
      await removed;
      expect(runs.at(-1)).toMatchObject({ ok: false });
      expect(lines.join("\n")).toMatch(/field "memo" removed/);
    } finally {
      await watcher.close();
    }
  });
});
