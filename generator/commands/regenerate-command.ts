/**
 * The command a message tells users to run to regenerate: the app's own package script when one runs
 * `satchel gen` (what the team already types), else `npx satchel gen`, which works in any app that
 * has satchel-kit installed. Never `npm run gen` in an app that has no such script.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { findUp } from "../schema/find-up.ts";

/** A script that runs the generator: `satchel gen ...`, or the CLI by path as this repository does. */
export const RUNS_GEN = /\bsatchel(?:\.js)?\s+gen\b|\bcli\.[cm]?[jt]s\s+gen\b/;
/** Scripts that only check or watch do not regenerate once and exit. */
const NOT_A_REGENERATION = /\s--(?:check|watch)\b/;

/** The name of the nearest package.json's script that regenerates, if any. */
function regenerateScript(schemaPath: string): string | undefined {
  const manifest = findUp(path.dirname(path.resolve(schemaPath)), "package.json");
  return manifest ? scriptIn(manifest) : undefined;
}

function scriptIn(manifest: string): string | undefined {
  let scripts: unknown;
  try {
    scripts = (JSON.parse(readFileSync(manifest, "utf8")) as { scripts?: unknown }).scripts;
  } catch {
    return undefined; // A broken package.json is reported by npm, not here.
  }
  if (typeof scripts !== "object" || scripts === null) return undefined;
  const candidates = Object.entries(scripts)
    .filter(([, command]) => typeof command === "string" && RUNS_GEN.test(command))
    .filter(([, command]) => !NOT_A_REGENERATION.test(command as string))
    .map(([name]) => name);
  return candidates.includes("gen") ? "gen" : candidates[0];
}

/**
 * `npm run <script>`, else `npx satchel gen` followed by `flags` (the `--schema`/`--out` the user
 * gave, so the suggestion regenerates the same files from the same directory).
 */
export function regenerateCommand(schemaPath: string, flags: string[] = []): string {
  const script = regenerateScript(schemaPath);
  if (script) return `npm run ${/^[\w:.-]+$/.test(script) ? script : JSON.stringify(script)}`;
  return ["npx satchel gen", ...flags.map(quote)].join(" ");
}

/** A shell word: as is when it is plain, single-quoted otherwise. */
function quote(word: string): string {
  return /^[\w./:=@-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
