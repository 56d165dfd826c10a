/**
 * A plan that came from outside this build (the app's store: session/layout-history.ts), checked
 * before the interpreter compiles it. The store is not trusted: what it holds must not crash the
 * process (deep nesting, huge plans, nodes the interpreter would throw on) or reach an object key
 * that changes a prototype (`__proto__` as a field name), so anything `planOf` could not have
 * written is refused. Whether it is the plan a token was written under is the caller's check
 * (`layoutHash(plan)` equals the token's layout).
 */
import { isPlainPlan, MAX_MASKED_FIELDS, type Plan, type PlanLiteral } from "./plan.ts";

/** Deeper than any session schema nests; a stack overflow stays far away. */
const MAX_DEPTH = 64;
/** Nodes in one plan, at most: a session schema of thousands of fields would not fit a cookie anyway. */
const MAX_NODES = 20_000;

const LEAVES = new Set<unknown>(["string", "number", "boolean", "null", "date", "bigint", "superjson"]);

/** `value` when it is a plan `planOf` could have made, else undefined. */
export function checkedPlan(value: unknown): Plan | undefined {
  const budget = { nodes: MAX_NODES };
  return isPlan(value, 0, budget) ? (value as Plan) : undefined;
}

const isLiteral = (value: unknown): value is PlanLiteral =>
  typeof value === "string" ||
  typeof value === "boolean" ||
  value === null ||
  (typeof value === "number" && Number.isFinite(value));

function isPlan(value: unknown, depth: number, budget: { nodes: number }): boolean {
  if (--budget.nodes < 0 || depth > MAX_DEPTH) return false;
  if (typeof value === "string") return LEAVES.has(value);
  if (!Array.isArray(value)) return false;
  const child = (node: unknown) => isPlan(node, depth + 1, budget);
  const list = (nodes: unknown) => Array.isArray(nodes) && nodes.every(child);
  switch (value[0]) {
    case "enum":
      return (
        value.length === 2 && Array.isArray(value[1]) && value[1].length > 0 && value[1].every(isLiteral)
      );
    case "nullable":
    case "array":
    case "set":
      return value.length === 2 && child(value[1]);
    case "tuple":
      return value.length === 2 && list(value[1]);
    case "record":
      // The interpreter checks record keys as plain values (planOf leaves others to superjson).
      return value.length === 3 && child(value[1]) && isPlainPlan(value[1] as Plan) && child(value[2]);
    case "map":
      return value.length === 3 && child(value[1]) && child(value[2]);
    case "union":
      // The interpreter refuses a union of options that are not their own wire.
      return value.length === 2 && list(value[1]) && (value[1] as Plan[]).every(isPlainPlan);
    case "object":
    case "keyed":
      return value.length === 2 && areFields(value[1], value[0] === "object", child);
    default:
      return false;
  }
}

/** Fields `[key, plan, optional]`: keys distinct and never `__proto__`, a positional mask that fits. */
function areFields(fields: unknown, positional: boolean, child: (node: unknown) => boolean): boolean {
  if (!Array.isArray(fields)) return false;
  const keys = new Set<string>();
  let optional = 0;
  for (const field of fields) {
    if (!Array.isArray(field) || field.length !== 3) return false;
    const [key, plan, isOptional] = field as unknown[];
    if (typeof key !== "string" || key === "__proto__" || keys.has(key) || typeof isOptional !== "boolean") {
      return false;
    }
    keys.add(key);
    if (isOptional) optional++;
    if (!child(plan)) return false;
  }
  return !positional || optional <= MAX_MASKED_FIELDS;
}
