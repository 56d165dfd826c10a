/**
 * Short hashes that ride in every token: the schema fingerprint (types, checks, defaults, refinement
 * sources) that decides whether a token's data may skip zod, and the hash function the plan's layout
 * hash uses too.
 */

type ZodNode = { _zod: { def: Record<string, unknown> } };

/** FNV-1a 32-bit of a text, as an unsigned integer. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** FNV-1a 32-bit of a text, base 36: short enough to ride in every token. */
export function shortHash(text: string): string {
  return fnv1a(text).toString(36);
}

/** Digits of `compactHash`: URL-safe base 64, none of which JSON escapes. */
const DIGITS_64 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_";

/**
 * The same 32-bit hash as `shortHash` in base 64 digits: at most 6 characters, where base 36 needs 7
 * for half of all values. For a hash every cookie carries (format 4's key), that byte is worth it.
 */
export function compactHash(text: string): string {
  let value = fnv1a(text);
  let out = "";
  do {
    out = DIGITS_64[value & 63] + out;
    value >>>= 6;
  } while (value !== 0);
  return out;
}

/**
 * A stable description of a schema: its defs, with child schemas described in place, functions
 * (refinements, default factories, transforms) by their source (or, `sources` false, a bare marker)
 * and regexes by their text.
 */
export function describeSchema(schema: unknown, sources = true): string {
  const seen = new Set<unknown>();
  const describe = (node: unknown): unknown => {
    if (typeof node === "function") return sources ? `fn:${String(node)}` : "fn";
    if (node instanceof RegExp) return `re:${String(node)}`;
    if (typeof node === "bigint") return `bigint:${node}`;
    if (typeof node !== "object" || node === null) return node;
    if (seen.has(node)) return "[cycle]";
    seen.add(node);
    let out: unknown;
    if ("_zod" in node) out = describe((node as ZodNode)._zod.def);
    else if (Array.isArray(node)) out = node.map(describe);
    else if (node instanceof Date) out = `date:${node.getTime()}`;
    else {
      const record: Record<string, unknown> = {};
      for (const key of Object.keys(node).sort())
        record[key] = describe((node as Record<string, unknown>)[key]);
      out = record;
    }
    seen.delete(node);
    return out;
  };
  return JSON.stringify(describe(schema));
}

/** A short hash of the schema's description: short enough to ride in every token. */
export function schemaFingerprint(schema: unknown): string {
  return shortHash(describeSchema(schema));
}

/**
 * The checks hash (see checks.ts): the description with functions as bare markers, so minifying
 * cannot change it. `npm run gen` writes it into each generated codec, the runtime recomputes it
 * from the live schema and compares, and format-3 tokens carry it (format 4 inside its key).
 */
export function checksHash(schema: unknown): string {
  return shortHash(describeSchema(schema, false));
}
