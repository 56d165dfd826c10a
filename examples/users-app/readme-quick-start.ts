/**
 * README sections as files: every TypeScript code block of a section, with the path its first line
 * names (`// app/page.tsx`). The user's-app test pastes the quick start, the inspector's route and the
 * schema of "Coming from iron-session" into a fresh create-next-app app, type-checks and runs them, so
 * the README cannot drift from what works.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const README = fileURLToPath(new URL("../../README.md", import.meta.url));

/** One fenced ```ts / ```tsx block. */
export interface QuickStartBlock {
  /** The path named by the block's first line (`// app/page.tsx` → `app/page.tsx`), if any. */
  path: string | null;
  /** `ts` or `tsx`. */
  language: "ts" | "tsx";
  /** The block's code without its path line. */
  code: string;
}

const QUICK_START = "## Quick start in your Next.js app";
const INSPECTOR = "## The demo and the session inspector";
const FROM_IRON_SESSION = "## Coming from iron-session";
// `%` for route folders such as `app/%5Fsatchel` (an encoded `_`, which Next would make private).
const PATH_LINE = /^\/\/ ([\w@./%-]+\.tsx?)$/;
const FENCE = /^```(ts|tsx)\n([\s\S]*?)^```$/gm;

/** The TypeScript blocks of the README's quick start section, in order. */
export function quickStartBlocks(markdown = readFileSync(README, "utf8")): QuickStartBlock[] {
  return sectionBlocks(markdown, QUICK_START);
}

/** The TypeScript blocks of the README's inspector section (the route file that mounts it). */
export function inspectorBlocks(markdown = readFileSync(README, "utf8")): QuickStartBlock[] {
  return sectionBlocks(markdown, INSPECTOR);
}

/** The TypeScript blocks of the README's "Coming from iron-session" section (the schema with `importFrom`). */
export function ironSessionBlocks(markdown = readFileSync(README, "utf8")): QuickStartBlock[] {
  return sectionBlocks(markdown, FROM_IRON_SESSION);
}

function sectionBlocks(markdown: string, heading: string): QuickStartBlock[] {
  const start = markdown.indexOf(heading);
  if (start < 0) throw new Error(`README has no "${heading}" section`);
  const next = markdown.indexOf("\n## ", start + heading.length);
  const section = markdown.slice(start, next < 0 ? undefined : next);
  return [...section.matchAll(FENCE)].map((match) => {
    const language = match[1] as "ts" | "tsx";
    const body = match[2] ?? "";
    const firstNewline = body.indexOf("\n");
    const path = PATH_LINE.exec(body.slice(0, firstNewline))?.[1] ?? null;
    return { language, path, code: path === null ? body : body.slice(firstNewline + 1) };
  });
}
