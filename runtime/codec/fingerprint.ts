/**
 * Short hashes that ride in every token: the schema fingerprint (types, checks, defaults, refinement
 * sources) that decides whether a token's data may skip zod, and the hash function the plan's layout
 * hash uses too.
 */

type ZodNode = { _zod: { def: Record<string, unknown> } };

/** FNV-1a 32-bit of a text, base 36: short enough to ride in every token. */
export function shortHash(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(36);
}

/**
 * A stable description of a schema: its defs, with child schemas described in place, functions
 * (refinements, default factories, transforms) by their source and regexes by their text.
 */
export function describeSchema(schema: unknown): string {
  const seen = new Set<unknown>();
  const describe = (node: unknown): unknown => {
    if (typeof node === "function") return `fn:${String(node)}`;
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
