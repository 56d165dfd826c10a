/**
 * `satchel init`'s edits to files the app already has: `.gitignore` keeps the file store's records
 * (`.data/`) out of git, and package.json gets `gen`, `predev` and `prebuild` scripts. Both keep what
 * is there and say what they changed, so running init twice changes nothing the second time.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { RUNS_GEN } from "./regenerate-command.ts";

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

/** What runs the generator, in every script init adds. */
const GEN = "satchel gen";

/**
 * Adds to package.json's scripts: `gen` (what the team runs after editing the schema), and `predev`
 * and `prebuild` running `satchel gen`, so `npm run dev` and `npm run build` never see a stale or
 * missing generated module (npm runs `pre<name>` before `<name>`, as Prisma users know from
 * `prisma generate`). An existing `predev`/`prebuild` of the app keeps running, after gen (`&&`);
 * one that already runs gen, and an existing `gen`, are left alone. Returns what it changed.
 */
export function addScripts(root: string): string[] {
  const file = path.join(root, "package.json");
  if (!existsSync(file)) return [];
  const text = readFileSync(file, "utf8");
  const pkg = JSON.parse(text) as { scripts?: Record<string, string> };
  const scripts = { ...pkg.scripts };
  const changes: string[] = [];
  if (scripts.gen === undefined) {
    scripts.gen = GEN;
    changes.push(`added "gen": "${GEN}" to package.json scripts`);
  }
  for (const hook of ["predev", "prebuild"]) {
    const existing = scripts[hook];
    if (existing === undefined) {
      scripts[hook] = GEN;
      changes.push(`added "${hook}": "${GEN}" to package.json scripts`);
    } else if (!RUNS_GEN.test(existing)) {
      scripts[hook] = `${GEN} && ${existing}`;
      changes.push(`${hook} now runs ${GEN} first: ${JSON.stringify(scripts[hook])}`);
    }
  }
  if (changes.length === 0) return [];
  pkg.scripts = scripts;
  const indent = /^[ \t]+/m.exec(text)?.[0] ?? "  ";
  writeFileSync(file, `${JSON.stringify(pkg, null, indent)}\n`);
  return changes;
}
