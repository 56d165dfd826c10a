/**
 * `satchel init`'s edits to files the app already has: `.gitignore` keeps the file store's records
 * (`.data/`) out of git, and package.json gets a `gen` script. Both leave what is there alone and
 * say what they changed, so running init twice changes nothing the second time.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

/** The file store's default directory, relative to the app root. */
const DATA_DIR = ".data/";

/** Adds `.data/` to the app's `.gitignore` (creating it) unless an entry already covers it. */
export function ignoreDataDir(root: string): string | undefined {
  const file = path.join(root, ".gitignore");
  const text = existsSync(file) ? readFileSync(file, "utf8") : "";
  const covered = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .some((line) => [".data", ".data/", "/.data", "/.data/", ".data/*", "/.data/*"].includes(line));
  if (covered) return undefined;
  const separator = text === "" || text.endsWith("\n") ? "" : "\n";
  writeFileSync(file, `${text}${separator}\n# satchel: the file session store's records\n${DATA_DIR}\n`);
  return text === "" ? "created .gitignore with .data/" : "added .data/ to .gitignore";
}

/** Adds `"gen": "satchel gen"` to package.json scripts when there is no `gen` script. */
export function addGenScript(root: string): string | undefined {
  const file = path.join(root, "package.json");
  if (!existsSync(file)) return undefined;
  const text = readFileSync(file, "utf8");
  const pkg = JSON.parse(text) as { scripts?: Record<string, string> };
  if (pkg.scripts?.gen !== undefined) return undefined;
  pkg.scripts = { ...pkg.scripts, gen: "satchel gen" };
  const indent = /^[ \t]+/m.exec(text)?.[0] ?? "  ";
  writeFileSync(file, `${JSON.stringify(pkg, null, indent)}\n`);
  return 'added "gen": "satchel gen" to package.json scripts';
}
