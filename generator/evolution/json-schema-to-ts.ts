/**
 * Prints a snapshot's JSON Schema as a TypeScript type, to type the argument of a migration with the
 * data of the previous version (that zod schema no longer exists in the source).
 */
import type { JsonSchema } from "../schema/json-schema.ts";
import { LINE_WIDTH, propertyKey } from "../schema/print-type.ts";

type Schema = JsonSchema | boolean;

const MARKED: Record<string, string> = {
  date: "Date",
  map: "Map<unknown, unknown>",
  set: "Set<unknown>",
  bigint: "bigint",
  undefined: "undefined",
  void: "undefined",
};

function isObject(value: unknown): value is JsonSchema {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The interface members (formatted lines) of an object schema, or undefined when it is not one. */
export function schemaMembers(schema: Schema, indent = "  "): string[] | undefined {
  if (!isObject(schema) || schema.type !== "object" || !isObject(schema.properties)) return undefined;
  const required = new Set((schema.required as string[] | undefined) ?? []);
  return Object.entries(schema.properties).map(([key, child]) => {
    const optional = !required.has(key);
    const head = `${indent}${propertyKey(key)}${optional ? "?" : ""}: `;
    const type = schemaType(child as Schema, head.length, indent);
    return `${head}${optional ? `${type} | undefined` : type};`;
  });
}

function wrap(type: string): string {
  return type.includes(" | ") && !type.startsWith("{") ? `(${type})` : type;
}

/** A type for `schema`, printed starting at `column` of a line indented by `indent`. */
export function schemaType(schema: Schema, column = 0, indent = ""): string {
  if (schema === true) return "unknown";
  if (schema === false) return "never";
  const marked = schema["x-satchel"];
  if (typeof marked === "string") return MARKED[marked] ?? "unknown";
  if ("const" in schema) return JSON.stringify(schema.const);
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => JSON.stringify(v)).join(" | ");
  const branches = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  if (branches) return [...new Set(branches.map((b) => schemaType(b, column, indent)))].join(" | ");
  const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string | undefined];
  return types.map((type) => single(schema, type, column, indent)).join(" | ");
}

function single(schema: JsonSchema, type: string | undefined, column: number, indent: string): string {
  switch (type) {
    case "string":
    case "boolean":
    case "null":
      return type;
    case "number":
    case "integer":
      return "number";
    case "array": {
      if (Array.isArray(schema.prefixItems)) {
        return `[${(schema.prefixItems as Schema[]).map((item) => schemaType(item, column, indent)).join(", ")}]`;
      }
      return `${wrap(schemaType((schema.items as Schema | undefined) ?? true, column, indent))}[]`;
    }
    case "object": {
      const members = schemaMembers(schema, `${indent}  `);
      const extra = isObject(schema.additionalProperties)
        ? schemaType(schema.additionalProperties, column, indent)
        : undefined;
      if (!members || members.length === 0)
        return extra ? `Record<string, ${extra}>` : "Record<string, unknown>";
      const flat = `{ ${members.map((m) => m.trim()).join(" ")} }`.replace(/; }$/, " }");
      return column + flat.length <= LINE_WIDTH ? flat : `{\n${members.join("\n")}\n${indent}}`;
    }
    default:
      return "unknown";
  }
}
