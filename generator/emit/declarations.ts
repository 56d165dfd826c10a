/**
 * How the generated module names and writes its declarations: type and constant names from
 * session and token names, and a type's block with the schema's docs above its members.
 */
import { type Doc, jsDoc, memberDoc } from "../schema/docs.ts";

/** `user-prefs` → `UserPrefs`. */
export function pascalName(name: string): string {
  const words = name.split(/[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])/).filter(Boolean);
  const joined = words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join("");
  return /^[0-9]/.test(joined) ? `S${joined}` : joined;
}

/** `userPrefs` → `USER_PREFS`. */
export function constantName(name: string): string {
  const words = name.split(/[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])/).filter(Boolean);
  const joined = words.map((w) => w.toUpperCase()).join("_");
  return /^[0-9]/.test(joined) ? `S_${joined}` : joined;
}

/**
 * A type declaration: an interface or a type literal of `members` (one formatted line each), or an
 * alias when `members` is a whole type.
 */
export function block(keyword: "interface" | "type", name: string, members: string[] | string): string {
  if (typeof members === "string") return `export type ${name} = ${members};\n`;
  if (keyword === "interface") {
    return members.length === 0
      ? `export interface ${name} {}\n`
      : `export interface ${name} {\n${members.join("\n")}\n}\n`;
  }
  return members.length === 0
    ? `export type ${name} = Record<never, never>;\n`
    : `export type ${name} = {\n${members.join("\n")}\n};\n`;
}

/** The key of a printed member line (`  name?: type;` or `  "odd-name": type;`), if it is one. */
function memberKey(line: string): string | undefined {
  const key = /^ {2}("(?:[^"\\]|\\.)*"|[A-Za-z_$][\w$]*)\??:/.exec(line)?.[1];
  return key?.startsWith('"') ? (JSON.parse(key) as string) : key;
}

/** A member line with its JSDoc above it, when the schema documents it. */
export function documented(line: string, docs: Record<string, Doc>): string {
  const key = memberKey(line);
  const doc = key === undefined ? "" : memberDoc(Object.hasOwn(docs, key) ? docs[key] : undefined, "  ");
  return doc ? `${doc}\n${line}` : line;
}

/** A session's or token's comment: the schema's description first, then what the declaration is. */
export function declarationDoc(about: Doc | undefined, what: string): string {
  return jsDoc(about?.description ? [about.description, "", what] : [what], about?.deprecated === true, "");
}
