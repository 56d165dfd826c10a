/**
 * What a session schema checks, apart from its layout: the rule that decides when zod may be
 * skipped, the checks hash a generated codec is compared by, and the constraints a generated codec
 * checks on write instead of zod.
 *
 * The rule (SECURITY.md states it): the user's functions always run. A schema with a `refine`,
 * `superRefine`, `check`, `transform`, `preprocess`, `z.custom`, a custom string format or a zod
 * `overwrite` (`trim`, `toLowerCase`, …) runs zod on every read and every write (`runsUserCode`): a
 * function may close over configuration the schema's text does not show, so no hash can say two
 * builds agree on it. Only checks declared with literals (types, `int`, `min`/`max`, lengths,
 * `regex`, enums, formats with a pattern) are trusted by hash (`checksHash`, fingerprint.ts).
 */
import type { PlanLiteral } from "./plan.ts";

type ZodDef = Record<string, unknown> & { type: string; checks?: unknown[] };
const defOf = (node: unknown) => (node as { _zod: { def: ZodDef } })._zod.def;
const isZod = (node: unknown): boolean => typeof node === "object" && node !== null && "_zod" in node;

/** Schema types whose parsing runs a function the app wrote (or one zod cannot see into). */
const USER_TYPES = new Set(["transform", "custom", "lazy", "promise", "function"]);
/** Check kinds that run a function the app wrote, or rewrite the value (`trim`, `toLowerCase`). */
const USER_CHECKS = new Set(["custom", "overwrite"]);

/**
 * True when parsing `schema` runs a function of the app's (see the module comment): such a schema
 * runs zod on every read, whatever the token's checks say.
 */
export function runsUserCode(schema: unknown): boolean {
  const seen = new Set<unknown>();
  const visit = (node: unknown): boolean => {
    if (typeof node !== "object" || node === null || seen.has(node)) return false;
    seen.add(node);
    if (!isZod(node)) return Object.values(node).some(visit); // a shape, a list of options
    const def = defOf(node);
    if (USER_TYPES.has(def.type)) return true;
    if (USER_CHECKS.has(def.check as string) || typeof def.fn === "function") return true;
    return Object.values(def).some((value) => (Array.isArray(value) ? value.some(visit) : visit(value)));
  };
  return visit(schema);
}

// ---- constraints a generated codec checks -----------------------------------------------------

/** A bound: `>=` / `<=` when inclusive, else `>` / `<`. */
export type Bound = readonly [op: ">" | ">=" | "<" | "<=", value: number];

/** A length (strings, arrays) or size (sets) constraint. */
export type SizeCheck = readonly [kind: "min" | "max" | "exactly", size: number];

/** A string constraint: a length, or a pattern (source, flags) it must match. */
export type StringCheck = SizeCheck | readonly [kind: "pattern", source: string, flags: string];

/** A number constraint: a bound, or `int` (a safe integer: `Number.isSafeInteger`). */
export type NumberCheck = Bound | readonly ["int"];

/**
 * The constraints of a schema, node by node, as JSON: what a generated codec's `check` tests. A
 * value it accepts is one zod accepts and returns unchanged (no default to fill, no key to strip);
 * anything else goes to zod, which gives the message or the normalised value.
 */
export type ConstraintPlan =
  | "any"
  | "boolean"
  | "null"
  | readonly ["string", readonly StringCheck[]]
  | readonly ["number", readonly NumberCheck[]]
  | readonly ["date", readonly Bound[]]
  | readonly ["bigint"]
  | readonly ["enum", readonly PlanLiteral[]]
  | readonly ["nullable", ConstraintPlan]
  | readonly ["optional", ConstraintPlan]
  | readonly ["array", ConstraintPlan, readonly SizeCheck[]]
  | readonly ["set", ConstraintPlan, readonly SizeCheck[]]
  | readonly ["tuple", readonly ConstraintPlan[]]
  | readonly ["record", ConstraintPlan]
  | readonly ["map", ConstraintPlan, ConstraintPlan]
  | readonly ["union", readonly ConstraintPlan[]]
  | readonly ["object", readonly (readonly [key: string, plan: ConstraintPlan])[]];

/** String formats whose zod check is more than their pattern (URL parsing, checksums, JWT parts). */
const FORMATS_BEYOND_PATTERN = new Set([
  "url",
  "ipv6",
  "cidrv6",
  "base64",
  "base64url",
  "jwt",
  "credit_card",
  "iban",
]);

/** Thrown inside `constraintsOf` where a node is not one a literal check can decide. */
class Unchecked extends Error {}
const unchecked = (): never => {
  throw new Unchecked();
};

/**
 * The constraints of `schema`, or `undefined` when it runs the app's code or has a part whose
 * acceptance only zod can decide (a lazy, intersection, pipe, loose object, discriminated union of
 * objects, `multipleOf`, a URL format, …): such a session keeps zod on write.
 */
export function constraintsOf(schema: unknown): ConstraintPlan | undefined {
  if (runsUserCode(schema)) return undefined;
  try {
    return constraints(schema);
  } catch (error) {
    if (error instanceof Unchecked) return undefined;
    throw error;
  }
}

function constraints(schema: unknown): ConstraintPlan {
  const def = defOf(schema);
  if (def.coerce === true) unchecked(); // zod converts the input first
  const checks = (def.checks ?? []).map(defOf);
  switch (def.type) {
    case "any":
    case "unknown":
      return "any";
    case "boolean":
    case "null":
      if (checks.length > 0) unchecked();
      return def.type;
    case "string":
      // `z.email()` and friends are a string whose own def is the format check.
      return ["string", (def.check === undefined ? checks : [def, ...checks]).map(stringCheck)];
    case "number":
      return ["number", (def.check === undefined ? checks : [def, ...checks]).flatMap(numberCheck)];
    case "date":
      return ["date", checks.map((check) => bound(check, (value) => (value as Date).getTime()))];
    case "bigint":
      if (checks.length > 0) unchecked();
      return ["bigint"];
    case "enum":
      return ["enum", Object.values(def.entries as Record<string, PlanLiteral>)];
    case "literal":
      if (!(def.values as unknown[]).every(isJsonLiteral)) unchecked();
      return ["enum", def.values as PlanLiteral[]];
    case "nullable":
      return ["nullable", constraints(def.innerType)];
    case "optional":
      return ["optional", constraints(def.innerType)];
    case "default":
    case "prefault": {
      // A present value is the inner schema's; an absent one is filled by zod (not unchanged).
      const inner = constraints(def.innerType);
      return acceptsUndefined(inner) ? unchecked() : inner;
    }
    case "catch":
      // What the inner schema accepts comes out unchanged; anything else is zod's to replace.
      return constraints(def.innerType);
    case "array":
      return ["array", constraints(def.element), checks.map(sizeCheck)];
    case "set":
      return ["set", constraints(def.valueType), checks.map(sizeCheck)];
    case "tuple": {
      if (def.rest !== null && def.rest !== undefined) unchecked();
      const items = (def.items as unknown[]).map(constraints);
      return items.some(acceptsUndefined) ? unchecked() : ["tuple", items];
    }
    case "record": {
      const key = defOf(def.keyType);
      // Only plain string keys: enum keys make zod require every one of them.
      if (key.type !== "string" || key.check !== undefined || (key.checks ?? []).length > 0) unchecked();
      return ["record", constraints(def.valueType)];
    }
    case "map":
      if (checks.length > 0) unchecked();
      return ["map", constraints(def.keyType), constraints(def.valueType)];
    case "union":
      return union(def);
    case "object":
      return object(def);
    default:
      return unchecked();
  }
}

function union(def: ZodDef): ConstraintPlan {
  const options = def.options as unknown[];
  // zod returns the first option that parses: options must not normalise, or a later option our
  // check accepts could differ from the output of an earlier one zod accepts.
  if (def.discriminator !== undefined || options.some(normalises)) unchecked();
  return ["union", options.map(constraints)];
}

function object(def: ZodDef): ConstraintPlan {
  const catchall = def.catchall === undefined ? undefined : defOf(def.catchall).type;
  if (catchall !== undefined && catchall !== "never") unchecked(); // loose: unknown keys kept
  const shape = def.shape as Record<string, unknown>;
  return ["object", Object.keys(shape).map((key) => [key, constraints(shape[key])] as const)];
}

/** True when zod's output for an accepted value can differ from the value (stripping, defaults). */
function normalises(schema: unknown): boolean {
  const def = defOf(schema);
  if (["object", "default", "prefault", "catch", "record", "pipe", "transform"].includes(def.type))
    return true;
  return Object.values(def).some((value) =>
    Array.isArray(value) ? value.some((v) => isZod(v) && normalises(v)) : isZod(value) && normalises(value),
  );
}

function acceptsUndefined(plan: ConstraintPlan): boolean {
  if (plan === "any") return true;
  if (typeof plan === "string") return false;
  if (plan[0] === "optional") return true;
  if (plan[0] === "nullable") return acceptsUndefined(plan[1]);
  if (plan[0] === "union") return plan[1].some(acceptsUndefined);
  return false;
}

const isJsonLiteral = (v: unknown) =>
  typeof v === "string" ||
  typeof v === "boolean" ||
  v === null ||
  (typeof v === "number" && !Number.isNaN(v));

function sizeCheck(check: ZodDef): SizeCheck {
  switch (check.check) {
    case "min_length":
    case "min_size":
      return ["min", check.minimum as number];
    case "max_length":
    case "max_size":
      return ["max", check.maximum as number];
    case "length_equals":
      return ["exactly", check.length as number];
    case "size_equals":
      return ["exactly", check.size as number];
    default:
      return unchecked();
  }
}

function stringCheck(check: ZodDef): StringCheck {
  if (check.check !== "string_format") return sizeCheck(check);
  const pattern = check.pattern;
  const format = check.format as string;
  if (!(pattern instanceof RegExp) || FORMATS_BEYOND_PATTERN.has(format)) unchecked();
  const { source, flags } = pattern as RegExp;
  // zod resets lastIndex before each test: `g` matches like no flag from 0; `y` would anchor there.
  if (flags.includes("y")) unchecked();
  return ["pattern", source, flags.replace("g", "")];
}

function numberCheck(check: ZodDef): NumberCheck[] {
  if (check.check !== "number_format") return [bound(check, (value) => value as number)];
  // zod's ranges per format (NUMBER_FORMAT_RANGES); a finite number is already within float64's.
  switch (check.format) {
    case "safeint":
      return [["int"]];
    case "int32":
      return [["int"], [">=", -2147483648], ["<=", 2147483647]];
    case "uint32":
      return [["int"], [">=", 0], ["<=", 4294967295]];
    case "float32":
      return [
        [">=", -3.4028234663852886e38],
        ["<=", 3.4028234663852886e38],
      ];
    case "float64":
      return [];
    default:
      return unchecked();
  }
}

function bound(check: ZodDef, value: (v: unknown) => number): Bound {
  const inclusive = check.inclusive === true;
  if (check.check === "greater_than") return [inclusive ? ">=" : ">", value(check.value)];
  if (check.check === "less_than") return [inclusive ? "<=" : "<", value(check.value)];
  return unchecked(); // multipleOf: zod's float-safe remainder is not a literal comparison
}
