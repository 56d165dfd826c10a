import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { addScripts, ignoreDataDir } from "./app-files.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function app(files: Record<string, string> = {}): { dir: string; read(name: string): string } {
  const dir = mkdtempSync(path.join(tmpdir(), "satchel-app-files-"));
  dirs.push(dir);
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(dir, name), content);
  return { dir, read: (name) => readFileSync(path.join(dir, name), "utf8") };
}

describe("ignoreDataDir", () => {
  it("creates .gitignore with .data/ when the app has none", () => {
    const a = app();
    expect(ignoreDataDir(a.dir)).toBe("created .gitignore with .data/");
    expect(a.read(".gitignore").split("\n")).toContain(".data/");
  });

  it("appends to an existing .gitignore, also one without a final newline, and only once", () => {
    const a = app({ ".gitignore": "node_modules\n.next" });
    expect(ignoreDataDir(a.dir)).toBe("added .data/ to .gitignore");
    expect(ignoreDataDir(a.dir)).toBeUndefined();
    const lines = a.read(".gitignore").split("\n");
    expect(lines.slice(0, 2)).toEqual(["node_modules", ".next"]);
    expect(lines.filter((line) => line === ".data/")).toHaveLength(1);
  });

  it("leaves a .gitignore alone that already ignores the data directory", () => {
    const a = app({ ".gitignore": "/.data\n" });
    expect(ignoreDataDir(a.dir)).toBeUndefined();
    expect(a.read(".gitignore")).toBe("/.data\n");
  });
});

describe("addScripts", () => {
  it("adds gen, predev and prebuild next to the others, keeping the file's indentation", () => {
    const a = app({ "package.json": '{\n    "name": "shop",\n    "scripts": { "dev": "next dev" }\n}\n' });
    expect(addScripts(a.dir)).toEqual([
      'added "gen": "satchel gen" to package.json scripts',
      'added "predev": "satchel gen" to package.json scripts',
      'added "prebuild": "satchel gen" to package.json scripts',
    ]);
    const pkg = JSON.parse(a.read("package.json")) as { name: string; scripts: Record<string, string> };
    expect(pkg).toEqual({
      name: "shop",
      scripts: { dev: "next dev", gen: "satchel gen", predev: "satchel gen", prebuild: "satchel gen" },
    });
    expect(a.read("package.json")).toContain('\n    "name": "shop"');
    expect(addScripts(a.dir)).toEqual([]);
  });

  it("keeps an existing gen script, chains an app's own predev/prebuild after gen, once", () => {
    const scripts = { gen: "prisma generate", predev: "prisma generate", prebuild: "npm run gen --check" };
    const a = app({ "package.json": JSON.stringify({ scripts }) });
    expect(addScripts(a.dir)).toEqual([
      'predev now runs satchel gen first: "satchel gen && prisma generate"',
      'prebuild now runs satchel gen first: "satchel gen && npm run gen --check"',
    ]);
    expect(JSON.parse(a.read("package.json")).scripts).toEqual({
      gen: "prisma generate",
      predev: "satchel gen && prisma generate",
      prebuild: "satchel gen && npm run gen --check",
    });
    expect(addScripts(a.dir)).toEqual([]);
    expect(addScripts(app().dir)).toEqual([]);
  });

  it("creates the scripts block when package.json has none", () => {
    const a = app({ "package.json": '{ "type": "module" }\n' });
    addScripts(a.dir);
    expect(JSON.parse(a.read("package.json"))).toEqual({
      type: "module",
      scripts: { gen: "satchel gen", predev: "satchel gen", prebuild: "satchel gen" },
    });
  });
});
