/**
 * Breaking-change detection: would data saved under the old schema (the snapshot's output JSON
 * Schema) still be accepted by the new schema (its input JSON Schema)? Conservative: when in doubt
 * about a constraint it reports a narrowing, and the user confirms with a migration or
 * `--accept-breaking`.
 */
import type { JsonSchema } from "../schema/json-schema.ts";

/** The kinds of change that break sessions saved before it. */
type BreakingKind =
  | "new-required"
  | "now-required"
  | "removed"
  | "renamed"
  | "narrowed"
  | "enum-member-removed";

/** One breaking change, located by field path. */
export interface BreakingChange {
  kind: BreakingKind;
  /** Field path, e.g. `items[].qty`; empty for the whole data. */
  field: string;
  /** What changed, e.g. `"fr" is no longer allowed`. */
  detail: string;
}

type Schema = JsonSchema | boolean;

function isObject(value: unknown): value is JsonSchema {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Keywords that document rather than constrain. */
const NOTES = new Set([
  "default",
  "description",
  "deprecated",
  "title",
  "examples",
  "$comment",
  "readOnly",
  "writeOnly",
]);

function constrains(schema: Schema): boolean {
  if (schema === true) return false;
  if (schema === false) return true;
  return Object.keys(schema).some((key) => !NOTES.has(key));
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function values(schema: JsonSchema): unknown[] | undefined {
  if ("const" in schema) return [schema.const];
  return Array.isArray(schema.enum) ? schema.enum : undefined;
}

function types(schema: JsonSchema): string[] | undefined {
  if (typeof schema.type === "string") return [schema.type];
  return Array.isArray(schema.type) ? (schema.type as string[]) : undefined;
}

function describe(schema: JsonSchema): string {
  const marked = schema["x-satchel"];
  if (typeof marked === "string") return marked === "date" ? "Date" : marked;
  const listed = values(schema);
  if (listed) return listed.map((v) => JSON.stringify(v)).join(" | ");
  return types(schema)?.join(" | ") ?? "a value";
}

/** Every change from `old` (output of the snapshot) to `next` (input of the edited schema) that breaks old data. */
export function findBreakingChanges(old: Schema, next: Schema): BreakingChange[] {
  const changes: BreakingChange[] = [];
  accepts(old, next, "", changes);
  // One entry per field and kind: `pattern` and `format` of an email are one narrowing, not two.
  const merged = new Map<string, BreakingChange>();
  for (const change of changes) {
    const key = `${change.field}\0${change.kind}`;
    const seen = merged.get(key);
    if (!seen) merged.set(key, { ...change });
    else if (!seen.detail.includes(change.detail)) seen.detail += `, ${change.detail}`;
  }
  return [...merged.values()];
}

function accepts(old: Schema, next: Schema, path: string, out: BreakingChange[]): void {
  if (next === true || !constrains(next) || old === false || sameJson(old, next)) return;
  if (old === true || next === false) {
    out.push({ kind: "narrowed", field: path, detail: "any value was allowed, now only some are" });
    return;
  }
  // Every kind of value the old schema allowed must still be allowed.
  const oldBranches = (old.anyOf ?? old.oneOf) as Schema[] | undefined;
  if (oldBranches) {
    for (const branch of oldBranches) accepts(branch, next, path, out);
    return;
  }
  const oldTypes = types(old);
  if (oldTypes && oldTypes.length > 1) {
    for (const type of oldTypes) accepts({ ...old, type }, next, path, out);
    return;
  }
  const nextBranches = (next.anyOf ?? next.oneOf) as Schema[] | undefined;
  if (nextBranches) {
    const attempts = nextBranches.map((branch) => {
      const found: BreakingChange[] = [];
      accepts(old, branch, path, found);
      return found;
    });
    const best = attempts.sort((a, b) => a.length - b.length)[0];
    if (best && best.length > 0) out.push(...best);
    return;
  }
  const nextTypes = types(next);
  if (nextTypes && nextTypes.length > 1) {
    const attempts = nextTypes.map((type) => {
      const found: BreakingChange[] = [];
      accepts(old, { ...next, type }, path, found);
      return found;
    });
    const best = attempts.sort((a, b) => a.length - b.length)[0];
    if (best && best.length > 0) out.push(...best);
    return;
  }
  compareSingle(old, next, path, out);
}

function compareSingle(old: JsonSchema, next: JsonSchema, path: string, out: BreakingChange[]): void {
  if (old["x-satchel"] !== next["x-satchel"]) {
    out.push({ kind: "narrowed", field: path, detail: `was ${describe(old)}, now ${describe(next)}` });
    return;
  }
  const oldType = types(old)?.[0];
  const nextType = types(next)?.[0];
  if (nextType !== undefined && oldType !== nextType && !(oldType === "integer" && nextType === "number")) {
    out.push({ kind: "narrowed", field: path, detail: `was ${describe(old)}, now ${describe(next)}` });
    return;
  }
  const oldValues = values(old);
  const nextValues = values(next);
  if (nextValues) {
    if (!oldValues) {
      out.push({
        kind: "narrowed",
        field: path,
        detail: `any ${oldType ?? "value"} was allowed, now only ${describe(next)}`,
      });
    } else {
      const missing = oldValues.filter((v) => !nextValues.some((n) => sameJson(n, v)));
      if (missing.length > 0) {
        out.push({
          kind: "enum-member-removed",
          field: path,
          detail: `${missing.map((v) => JSON.stringify(v)).join(", ")} ${missing.length === 1 ? "is" : "are"} no longer allowed`,
        });
      }
    }
    return;
  }
  compareBounds(old, next, path, out);
  if (oldType === "object" || nextType === "object") compareObjects(old, next, path, out);
  if (oldType === "array" || nextType === "array") compareArrays(old, next, path, out);
}

/** Limits that only may stay or get looser: `[keyword, direction]`, +1 = larger is tighter. */
const BOUNDS: [string, 1 | -1][] = [
  ["minimum", 1],
  ["exclusiveMinimum", 1],
  ["maximum", -1],
  ["exclusiveMaximum", -1],
  ["minLength", 1],
  ["maxLength", -1],
  ["minItems", 1],
  ["maxItems", -1],
  ["minProperties", 1],
  ["maxProperties", -1],
];

function compareBounds(old: JsonSchema, next: JsonSchema, path: string, out: BreakingChange[]): void {
  for (const [keyword, direction] of BOUNDS) {
    const after = next[keyword];
    if (typeof after !== "number") continue;
    const before = old[keyword];
    if (typeof before !== "number" || (after - before) * direction > 0) {
      out.push({
        kind: "narrowed",
        field: path,
        detail: `${keyword} ${typeof before === "number" ? before : "none"} → ${after}`,
      });
    }
  }
  for (const keyword of ["pattern", "format", "multipleOf"]) {
    if (next[keyword] !== undefined && !sameJson(next[keyword], old[keyword])) {
      out.push({
        kind: "narrowed",
        field: path,
        detail: `${keyword} ${JSON.stringify(old[keyword] ?? null)} → ${JSON.stringify(next[keyword])}`,
      });
    }
  }
}

function compareObjects(old: JsonSchema, next: JsonSchema, path: string, out: BreakingChange[]): void {
  const oldProps = (isObject(old.properties) ? old.properties : {}) as Record<string, Schema>;
  const nextProps = (isObject(next.properties) ? next.properties : {}) as Record<string, Schema>;
  const oldRequired = new Set((old.required as string[] | undefined) ?? []);
  const nextRequired = new Set((next.required as string[] | undefined) ?? []);
  const removed = Object.keys(oldProps).filter((key) => !(key in nextProps));
  const added = Object.keys(nextProps).filter((key) => !(key in oldProps));
  const renamedTo = new Map<string, string>();
  for (const key of removed) {
    // Same shape under a new name: most likely a rename; say so, it makes the fix obvious.
    const twin = added.find(
      (candidate) =>
        !renamedTo.has(candidate) && sameJson(stripNotes(oldProps[key]), stripNotes(nextProps[candidate])),
    );
    if (twin) renamedTo.set(twin, key);
  }
  for (const key of removed) {
    const twin = [...renamedTo].find(([, from]) => from === key)?.[0];
    if (twin) out.push({ kind: "renamed", field: join(path, key), detail: `renamed to "${twin}"` });
    else if (next.additionalProperties === false || !isObject(next.additionalProperties)) {
      out.push({ kind: "removed", field: join(path, key), detail: "removed" });
    }
  }
  for (const key of added) {
    if (nextRequired.has(key) && !renamedTo.has(key)) {
      out.push({
        kind: "new-required",
        field: join(path, key),
        detail: "new and required, without a default",
      });
    }
  }
  for (const [key, before] of Object.entries(oldProps)) {
    const after = nextProps[key];
    if (after === undefined) continue;
    if (!oldRequired.has(key) && nextRequired.has(key)) {
      out.push({
        kind: "now-required",
        field: join(path, key),
        detail: "was optional, now required without a default",
      });
    }
    accepts(before, after, join(path, key), out);
  }
  if (isObject(old.additionalProperties) || isObject(next.additionalProperties)) {
    accepts(
      (old.additionalProperties as Schema | undefined) ?? true,
      (next.additionalProperties as Schema | undefined) ?? true,
      join(path, "<value>"),
      out,
    );
  }
}

function compareArrays(old: JsonSchema, next: JsonSchema, path: string, out: BreakingChange[]): void {
  const oldPrefix = (old.prefixItems as Schema[] | undefined) ?? [];
  const nextPrefix = (next.prefixItems as Schema[] | undefined) ?? [];
  for (let index = 0; index < Math.max(oldPrefix.length, nextPrefix.length); index++) {
    accepts(
      oldPrefix[index] ?? (old.items as Schema | undefined) ?? true,
      nextPrefix[index] ?? (next.items as Schema | undefined) ?? true,
      `${path}[${index}]`,
      out,
    );
  }
  if (old.items !== undefined || next.items !== undefined) {
    accepts(
      (old.items as Schema | undefined) ?? true,
      (next.items as Schema | undefined) ?? true,
      `${path}[]`,
      out,
    );
  }
}

function stripNotes(schema: Schema | undefined): unknown {
  if (!isObject(schema)) return schema;
  return Object.fromEntries(Object.entries(schema).filter(([key]) => !NOTES.has(key)));
}
