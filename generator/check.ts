/**
 * `gen --check` and writing: compare what gen would write with the files on disk, and summarise the
 * difference so CI output says which file is stale and where.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { OutputFile } from "./gen.ts";

/** A file whose bytes on disk differ from what gen would write. */
export interface StaleFile {
  path: string;
  summary: string;
}

/** The first lines that differ, as `-`/`+` pairs, at most `limit` of them. */
export function diffSummary(before: string, after: string, limit = 6): string {
  const a = before.split("\n");
  const b = after.split("\n");
  const lines: string[] = [];
  let shown = 0;
  let differing = 0;
  for (let index = 0; index < Math.max(a.length, b.length); index++) {
    if (a[index] === b[index]) continue;
    differing++;
    if (shown >= limit) continue;
    shown++;
    lines.push(`  line ${index + 1}:`);
    if (a[index] !== undefined) lines.push(`    - ${a[index]}`);
    if (b[index] !== undefined) lines.push(`    + ${b[index]}`);
  }
  if (differing > shown) lines.push(`  ... and ${differing - shown} more differing lines`);
  return lines.join("\n");
}

/** Files whose content on disk is not what gen would write. */
export function findStale(files: OutputFile[]): StaleFile[] {
  const stale: StaleFile[] = [];
  for (const file of files) {
    const shown = path.relative(process.cwd(), file.path) || file.path;
    if (!existsSync(file.path)) {
      stale.push({ path: shown, summary: "  missing: run `npm run gen` and commit it" });
      continue;
    }
    const current = readFileSync(file.path, "utf8");
    if (current !== file.content) stale.push({ path: shown, summary: diffSummary(current, file.content) });
  }
  return stale;
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
