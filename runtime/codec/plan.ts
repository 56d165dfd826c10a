/**
 * A session's data layout ("plan"), derived from its zod 4 schema: what the generator emits a codec
 * for (formats 3 and 4, positional: no key names on the wire) and what the runtime keeps, as plain JSON, to
 * read tokens an earlier layout of the same session wrote. The walk here is the only one over the
 * schema's structure: format 2 (keyed-format.ts) is the same walk with every object keyed.
 *
 * A plan describes only the wire shape: types, object keys in schema order, which keys may be absent.
 * Checks, defaults and refinements are not part of it, so two schemas with the same layout share a
 * plan and a layout hash, and minifying a refinement's source cannot change it.
 *
 * Wire forms, by node:
 * - `"string" | "number" | "boolean" | "null"`, `["enum", values]`, `["union", options]`: the value.
 * - `"date"` → epoch ms; `"bigint"` → decimal string; `"superjson"` → `[json]` or `[json, meta]`
 *   (parts the schema cannot type: any, unknown, transforms, lazy, custom, loose objects, …).
 * - `["nullable", inner]` → `null` or the inner wire; `["array", item]` / `["set", item]` → array;
 *   `["tuple", items]` → array of that length; `["record", key, value]` → object;
 *   `["map", key, value]` → array of `[key, value]` pairs.
 * - `["object", fields]` → an array of the field values in schema order. When some fields may be
 *   absent, the array starts with a bit mask of the optional fields present (bit j = the j-th optional
 *   field) and holds only present values.
 * - `["keyed", fields]` → an object with the same keys: union options (told apart by their wire
 *   value), objects with more optional fields than a mask holds, and every object of the keyed
 *   layout (`keyedPlanOf`, format 2).
 */
import type { z } from "zod";
import { compactHash, shortHash } from "./fingerprint.ts";

/** One field of an object plan: key, plan, whether it may be absent. */
export type PlanField = readonly [key: string, plan: Plan, optional: boolean];

/** A JSON value an enum or literal allows. */
export type PlanLiteral = string | number | boolean | null;

/** The wire layout of one schema node (see the module comment). */
export type Plan =
  | "string"
  | "number"
  | "boolean"
  | "null"
  | "date"
  | "bigint"
  | "superjson"
  | readonly ["enum", readonly PlanLiteral[]]
  | readonly ["nullable", Plan]
  | readonly ["array", Plan]
  | readonly ["set", Plan]
  | readonly ["tuple", readonly Plan[]]
  | readonly ["record", Plan, Plan]
  | readonly ["map", Plan, Plan]
  | readonly ["union", readonly Plan[]]
  | readonly ["object", readonly PlanField[]]
  | readonly ["keyed", readonly PlanField[]];

/** Optional fields one positional object can flag in its mask (bit operations stay in int32). */
export const MAX_MASKED_FIELDS = 30;

type ZodNode = { _zod: { def: Record<string, unknown> & { type: string } } };
const defOf = (schema: unknown) => (schema as ZodNode)._zod.def;

/** True when the schema's output may be `undefined` (so an object key may be absent). */
export function acceptsUndefined(schema: unknown): boolean {
  const result = (schema as z.ZodType).safeParse(undefined);
  return result.success && result.data === undefined;
}

/** True when the plan's wire form is the value itself (encoding needs no walk). */
export function isPlainPlan(plan: Plan): boolean {
  if (typeof plan === "string") return plan !== "date" && plan !== "bigint" && plan !== "superjson";
  switch (plan[0]) {
    case "enum":
    case "union":
      return true;
    case "nullable":
    case "array":
      return isPlainPlan(plan[1]);
    case "tuple":
      return plan[1].every(isPlainPlan);
    case "record":
      return isPlainPlan(plan[2]);
    case "keyed":
      return plan[1].every(([, field]) => isPlainPlan(field));
    default:
      // Sets and maps become arrays; positional objects become arrays.
      return false;
  }
}

/** The plan of a session schema: its positional layout (formats 3 and 4). */
export function planOf(schema: unknown): Plan {
  return plan(schema, false);
}

/**
 * The keyed layout of a session schema (format 2): the same walk with every object keyed, so an
 * object is written with its key names and a field added later is simply absent. Unions decide
 * whether they are plain on these keyed options, as format 2 always has.
 */
export function keyedPlanOf(schema: unknown): Plan {
  return plan(schema, true);
}

/** True when the plan writes a superjson part somewhere (decoded data may then not re-encode to the same text). */
export function hasSuperjsonPart(plan: Plan): boolean {
  if (typeof plan === "string") return plan === "superjson";
  switch (plan[0]) {
    case "enum":
      return false;
    case "nullable":
    case "array":
    case "set":
      return hasSuperjsonPart(plan[1]);
    case "record":
    case "map":
      return hasSuperjsonPart(plan[1]) || hasSuperjsonPart(plan[2]);
    case "tuple":
    case "union":
      return plan[1].some(hasSuperjsonPart);
    default:
      return plan[1].some(([, field]) => hasSuperjsonPart(field));
  }
}

/** A node that must never be `undefined` (array items, map entries, union options). */
function planValue(schema: unknown, keyed: boolean): Plan {
  return acceptsUndefined(schema) ? "superjson" : plan(schema, keyed);
}

/** One schema node's plan; `keyed`: every object keeps its keys (format 2). */
function plan(schema: unknown, keyed: boolean): Plan {
  const def = defOf(schema);
  switch (def.type) {
    case "string":
    case "number":
    case "boolean":
    case "null":
    case "date":
    case "bigint":
      return def.type;
    case "enum":
      return ["enum", Object.values(def.entries as Record<string, PlanLiteral>)];
    case "literal": {
      const values = def.values as unknown[];
      const json = values.every(
        (v) => typeof v === "string" || typeof v === "number" || typeof v === "boolean" || v === null,
      );
      return json ? ["enum", values as PlanLiteral[]] : "superjson";
    }
    case "nullable":
      return ["nullable", plan(def.innerType, keyed)];
    case "optional":
    case "default":
    case "prefault":
    case "nonoptional":
    case "readonly":
    case "catch":
      // Same output type as the inner schema; whether a key may be absent is the field's business.
      return plan(def.innerType, keyed);
    case "object":
      return planObject(def, keyed);
    case "array":
      return ["array", planValue(def.element, keyed)];
    case "tuple":
      return def.rest === null || def.rest === undefined
        ? ["tuple", (def.items as unknown[]).map((item) => planValue(item, keyed))]
        : "superjson";
    case "record": {
      const key = plan(def.keyType, keyed);
      // Keys zod coerces (numbers) or transforms are left to superjson.
      return isPlainPlan(key) ? ["record", key, planValue(def.valueType, keyed)] : "superjson";
    }
    case "map":
      return ["map", planValue(def.keyType, keyed), planValue(def.valueType, keyed)];
    case "set":
      return ["set", planValue(def.valueType, keyed)];
    case "union": {
      // Objects in a union keep their keys, so options are told apart by their wire value alone.
      const options = (def.options as unknown[]).map((option) =>
        defOf(option).type === "object" && !acceptsUndefined(option)
          ? planObject(defOf(option), true)
          : planValue(option, keyed),
      );
      return options.every(isPlainPlan) ? ["union", options] : "superjson";
    }
    default:
      // any, unknown, pipe/transform, lazy, custom, intersection, …: superjson keeps them intact.
      return "superjson";
  }
}

function planObject(def: Record<string, unknown>, keyed: boolean): Plan {
  const catchall = def.catchall === undefined ? undefined : defOf(def.catchall).type;
  // A loose object or a catchall keeps keys the schema does not name: superjson keeps them.
  if (catchall !== undefined && catchall !== "never") return "superjson";
  const shape = def.shape as Record<string, unknown>;
  const fields: PlanField[] = Object.keys(shape).map((key) => [
    key,
    plan(shape[key], keyed),
    acceptsUndefined(shape[key]),
  ]);
  const optional = fields.filter(([, , isOptional]) => isOptional).length;
  return [keyed || optional > MAX_MASKED_FIELDS ? "keyed" : "object", fields];
}

/** The layout hash written into every format-3 token: equal plans, equal hashes. */
export function layoutHash(plan: Plan): string {
  return shortHash(JSON.stringify(plan));
}

/**
 * The one hash a format-4 token carries for both its layout and the schema's checks: a reader whose
 * live schema has the same key may trust the token as it trusts a format-3 token of its own layout
 * and checks; any other key names a plan kept under it (a generated codec's history, or a record
 * in the app's store), whose data then runs migrations and zod. One hash instead of two, in base 64
 * digits (at most 6), saves 8 to 10 bytes in every cookie.
 * @param layout `layoutHash` of the session's plan.
 * @param checks `checksHash` (fingerprint.ts) of the session's schema.
 */
export function positionalKey(layout: string, checks: string): string {
  return compactHash(`${layout}:${checks}`);
}

/**
 * A codec the generator wrote for one session (format 4; format 3 before it had a `key`). `createSatchel(config, { codecs })` takes
 * them from the generated module; the runtime uses one only while its `layout` and `version` match
 * the schema it runs with, else it warns and falls back to its own (slower, keyed) codec.
 */
export interface GeneratedCodec {
  /** Layout hash of the plan it was generated from. */
  readonly layout: string;
  /** `checksHash` of the schema it was generated from (checks, defaults; functions as markers). */
  readonly checks: string;
  /**
   * `positionalKey(layout, checks)`, which format-4 tokens carry; the generator keeps it in the
   * snapshot so later builds read those tokens. Absent in modules generated before format 4: the
   * runtime then writes format 3.
   */
  readonly key?: string;
  /** The session's data version when it was generated. */
  readonly version: number;
  /** Session data (already validated) → its positional wire value. */
  encode(data: unknown): unknown;
  /**
   * Wire value → session data, checking the structure strictly (types, array lengths, masks, enum
   * values). @throws any Error when the wire does not fit (the runtime treats the token as malformed).
   */
  decode(wire: unknown): unknown;
  /**
   * Earlier layouts of the session (from the snapshot), by every hash a token may carry for them:
   * layout hash (format 3) and positional key (format 4); to read older tokens.
   */
  readonly history: Readonly<Record<string, Plan>>;
  /**
   * The constraints the schema declares with literals (types, `int`, bounds, lengths, patterns,
   * enums), checked without zod; absent when the schema runs the app's functions or has a part only
   * zod can decide. True means the data is valid and zod would return it unchanged; false means
   * "ask zod" (which gives the message, or fills a default, or strips an unknown key). Used on write
   * only while `checks` equals the live schema's hash.
   */
  check?(data: unknown): boolean;
}
