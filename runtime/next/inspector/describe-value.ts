/**
 * How the inspector shows a decoded value: a short, readable rendering, and the type name of a
 * stored value whose field the schema no longer declares (declared fields show the schema's type,
 * `describe-type.ts`).
 * @internal
 */

/** The type of a session value as a developer would write it: `string`, `Date`, `string[]`, `Map`… */
export function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) {
    const kinds = [...new Set(value.map(typeName))];
    if (kinds.length === 0) return "array (empty)";
    const inner = kinds.length === 1 ? (kinds[0] as string) : `(${kinds.join(" | ")})`;
    return `${inner}[]`;
  }
  if (value instanceof Date) return "Date";
  if (value instanceof Map) return "Map";
  if (value instanceof Set) return "Set";
  if (value instanceof RegExp) return "RegExp";
  return typeof value;
}

/** A JSON-like rendering that also shows Date, Map, Set, BigInt and undefined. */
export function showValue(value: unknown): string {
  if (value === undefined) return "undefined";
  return JSON.stringify(value, replacer, 2);
}

function replacer(_key: string, value: unknown): unknown {
  if (value === undefined) return "‹undefined›";
  if (typeof value === "bigint") return `${value}n`;
  if (value instanceof Map) return { "‹Map›": [...value.entries()] };
  if (value instanceof Set) return { "‹Set›": [...value.values()] };
  return value;
}
