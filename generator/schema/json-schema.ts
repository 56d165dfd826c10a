/**
 * The JSON Schema of a session, as the snapshot stores it: zod 4's `z.toJSONSchema`, with types JSON
 * Schema cannot express (Date, Map, Set, BigInt) marked by `"x-satchel"` instead of silently left open,
 * so a change from `z.date()` to `z.string()` is still seen.
 */
import { z } from "zod";

/** A JSON Schema node (zod 4 writes draft 2020-12). */
export type JsonSchema = { [key: string]: unknown };

const MARKED = new Set([
  "date",
  "map",
  "set",
  "bigint",
  "symbol",
  "function",
  "promise",
  "custom",
  "undefined",
  "void",
]);

/**
 * `io: "output"` describes the data sessions hold (what old cookies contain); `io: "input"` describes
 * what the schema accepts on read (defaults make a field optional).
 */
export function toJsonSchema(schema: z.ZodType, io: "input" | "output"): JsonSchema {
  const result = z.toJSONSchema(schema, {
    io,
    unrepresentable: "any",
    override: (context) => {
      const type = (context.zodSchema as unknown as { _zod: { def: { type: string } } })._zod.def.type;
      if (MARKED.has(type)) context.jsonSchema["x-satchel"] = type;
    },
  }) as JsonSchema;
  delete result.$schema;
  return sortKeys(result) as JsonSchema;
}

/** Objects with sorted keys, so the snapshot's bytes don't depend on zod's key order. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== "object") return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort())
    sorted[key] = sortKeys((value as Record<string, unknown>)[key]);
  return sorted;
}
