/**
 * `gen --check` and writing: compare what gen would write with the files on disk and show the
 * difference as a unified diff (jsdiff), so CI output reads like `git diff` and says how to fix it.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type * as Jsdiff from "diff";
import type { OutputFile } from "./gen.ts";
import { plural } from "./plural.ts";

/** A file whose bytes on disk differ from what gen would write. */
interface StaleFile {
  /** Relative to the working directory. */
  path: string;
  /** The unified diff from the file on disk to what gen would write; empty when the file is missing. */
  diff: string;
}

/** More than this many diff lines is a regeneration, not a drift to read: the rest is counted. */
const MAX_DIFF_LINES = 400;

// jsdiff is loaded on the first diff: only `gen --check` with stale files needs it, and loading it
// (a module graph through the loader thread) cost a plain `gen` a few hundred ms of its exit.
let jsdiff: typeof Jsdiff | undefined;

/** A unified diff (`--- a/<file>`, `+++ b/<file>`, three lines of context) from `before` to `after`. */
export function unifiedDiff(file: string, before: string, after: string): string {
  jsdiff ??= createRequire(import.meta.url)("diff") as typeof Jsdiff;
  const { createTwoFilesPatch, FILE_HEADERS_ONLY } = jsdiff;
  const patch = createTwoFilesPatch(`a/${file}`, `b/${file}`, before, after, undefined, undefined, {
    context: 3,
    headerOptions: FILE_HEADERS_ONLY,
  });
  const lines = patch.trimEnd().split("\n");
  if (lines.length <= MAX_DIFF_LINES) return lines.join("\n");
  const hidden = lines.length - MAX_DIFF_LINES;
  return [...lines.slice(0, MAX_DIFF_LINES), `... ${plural(hidden, "more line")} of diff not shown`].join(
    "\n",
  );
}

/** Files whose content on disk is not what gen would write. */
export function findStale(files: OutputFile[]): StaleFile[] {
  const stale: StaleFile[] = [];
  for (const file of files) {
    const shown = (path.relative(process.cwd(), file.path) || file.path).split(path.sep).join("/");
    if (!existsSync(file.path)) {
      stale.push({ path: shown, diff: "" });
      continue;
    }
    const current = readFileSync(file.path, "utf8");
    if (current !== file.content)
      stale.push({ path: shown, diff: unifiedDiff(shown, current, file.content) });
  }
  return stale;
}

/** What `gen --check` prints for stale files: each file's diff, then the command that fixes them. */
export function staleReport(stale: StaleFile[], regenerate: string): string {
  const parts = stale.map((file) =>
    file.diff
      ? `satchel: ${file.path} is stale; what gen would write differs:\n${file.diff}`
      : `satchel: ${file.path} is stale: it does not exist.`,
  );
  const them = stale.length === 1 ? "it" : "them";
  parts.push(
    `satchel: ${plural(stale.length, "generated file")} out of date; run \`${regenerate}\` and commit ${them}.`,
  );
  return parts.join("\n");
}

/** Writes the files that changed; returns the paths written (relative to cwd). */
export function writeChanged(files: OutputFile[]): string[] {
  const written: string[] = [];
  for (const file of files) {
    if (existsSync(file.path) && readFileSync(file.path, "utf8") === file.content) continue;
    mkdirSync(path.dirname(file.path), { recursive: true });
    writeFileSync(file.path, file.content);
    written.push(path.relative(process.cwd(), file.path) || file.path);
  }
  return written;
}
