/**
 * The README's quick start as files: every TypeScript code block of the "Quick start" section, with
 * the path its first line names (`// app/page.tsx`). The user's-app test pastes them into a fresh
 * create-next-app app and type-checks them, so the README cannot drift from what works.
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

const SECTION_START = "## Quick start in your Next.js app";
const PATH_LINE = /^\/\/ ([\w@./-]+\.tsx?)$/;
const FENCE = /^```(ts|tsx)\n([\s\S]*?)^```$/gm;

/** The TypeScript blocks of the README's quick start section, in order. */
export function quickStartBlocks(markdown = readFileSync(README, "utf8")): QuickStartBlock[] {
  const start = markdown.indexOf(SECTION_START);
  if (start < 0) throw new Error(`README has no "${SECTION_START}" section`);
  const next = markdown.indexOf("\n## ", start + SECTION_START.length);
  const section = markdown.slice(start, next < 0 ? undefined : next);
  return [...section.matchAll(FENCE)].map((match) => {
    const language = match[1] as "ts" | "tsx";
    const body = match[2] ?? "";
    const firstNewline = body.indexOf("\n");
    const path = PATH_LINE.exec(body.slice(0, firstNewline))?.[1] ?? null;
    return { language, path, code: path === null ? body : body.slice(firstNewline + 1) };
  });
}
