/**
 * Emits the checks of plain wire parts (the wire is the value: strings, numbers, enums, arrays of
 * them, ...): boolean expressions, and helper functions for composite ones, as strict as the runtime's
 * plan interpreter: types, array and tuple lengths, enum values by `===`, no extra object keys.
 */
import type { Plan, PlanLiteral } from "satchel/internal";
import type { SessionHelpers } from "./session-helpers.ts";
import { functionSource, indent, literal, negated, ownRead, parenthesized, pascal } from "./source-text.ts";

/** Enums with more values than this are checked with a Set instead of a chain of `===`. */
const ENUM_CHAIN_LIMIT = 6;

/** The wire checks of one session's codec; checker functions go to the session's helpers. */
export class WireChecks {
  constructor(private readonly helpers: SessionHelpers) {}

  /** A boolean expression: the plain node accepts `value` (an identifier). */
  check(plan: Plan, value: string, at: string, path: string): string {
    if (typeof plan === "string") {
      switch (plan) {
        case "string":
        case "number":
        case "boolean":
          return `typeof ${value} === "${plan}"`;
        case "null":
          return `${value} === null`;
        default:
          throw new Error(`satchel: ${plan} is not a plain plan node`);
      }
    }
    switch (plan[0]) {
      case "enum":
        return this.enumCheck(plan[1], value, path);
      case "nullable":
        return `${value} === null || ${parenthesized(this.check(plan[1], value, at, path))}`;
      case "union":
        return plan[1]
          .map((option, i) => parenthesized(this.check(option, value, at, `${path}Option${i}`)))
          .join(" || ");
      default:
        return `${this.checker(plan, at, path)}(${value})`;
    }
  }

  private enumCheck(values: readonly PlanLiteral[], value: string, path: string): string {
    if (values.length === 0) return "false";
    const nan = values.some((v) => typeof v === "number" && Number.isNaN(v));
    const others = values.filter((v) => !(typeof v === "number" && Number.isNaN(v)));
    if (others.length <= ENUM_CHAIN_LIMIT) {
      const tests = others.map((v) => `${value} === ${literal(v)}`);
      if (nan) tests.push(`Number.isNaN(${value})`);
      return tests.join(" || ");
    }
    const set = this.helpers.helper(
      "values",
      ["enum", values],
      path,
      (name) => `const ${name} = new Set<unknown>([${values.map(literal).join(", ")}]);`,
    );
    return `${set}.has(${value})`;
  }

  /** The helper checking a composite plain node: it returns whether the wire fits. */
  private checker(plan: Exclude<Plan, string>, at: string, path: string): string {
    return this.helpers.helper("is", plan, path, (name) =>
      functionSource(name, "(wire: unknown): boolean", this.checkerBody(plan, at, path)),
    );
  }

  private checkerBody(plan: Exclude<Plan, string>, at: string, path: string): string[] {
    switch (plan[0]) {
      case "array":
        return [
          "if (!Array.isArray(wire)) return false;",
          "const items: readonly unknown[] = wire;",
          "for (let i = 0; i < items.length; i++) {",
          "  const item = items[i];",
          `  if (${negated(this.check(plan[1], "item", `${at}[]`, `${path}Item`))}) return false;`,
          "}",
          "return true;",
        ];
      case "tuple":
        return [
          `if (!Array.isArray(wire) || wire.length !== ${plan[1].length}) return false;`,
          "const items: readonly unknown[] = wire;",
          ...plan[1].flatMap((item, i) => [
            `const item${i} = items[${i}];`,
            `if (${negated(this.check(item, `item${i}`, `${at}[${i}]`, `${path}At${i}`))}) return false;`,
          ]),
          "return true;",
        ];
      case "record":
        return [
          'if (typeof wire !== "object" || wire === null || Array.isArray(wire)) return false;',
          "const record = wire as Readonly<Record<string, unknown>>;",
          "for (const key in record) {",
          ...indent(this.keyCheck(plan[1], "return false;", at, path)),
          "  const item = record[key];",
          `  if (${negated(this.check(plan[2], "item", `${at}[]`, `${path}Value`))}) return false;`,
          "}",
          "return true;",
        ];
      case "keyed": {
        const optional = plan[1].some(([, , isOptional]) => isOptional);
        const required = plan[1].filter(([, , isOptional]) => !isOptional).length;
        const lines = [
          'if (typeof wire !== "object" || wire === null || Array.isArray(wire)) return false;',
          "const record = wire as Readonly<Record<string, unknown>>;",
          ...(optional ? ["let present = 0;"] : []),
        ];
        plan[1].forEach(([key, field, isOptional], i) => {
          const check = this.check(field, `field${i}`, `${at}.${key}`, `${path}${pascal(key)}`);
          lines.push(`const field${i} = ${ownRead("record", key)};`);
          if (isOptional) {
            lines.push(
              `if (field${i} !== undefined) {`,
              `  if (${negated(check)}) return false;`,
              "  present++;",
              "}",
            );
          } else {
            // No plain check accepts undefined: a missing required key fails it.
            lines.push(`if (${negated(check)}) return false;`);
          }
        });
        // No keys but the schema's: count them (JSON objects have no inherited enumerable keys).
        const expected = optional ? (required === 0 ? "present" : `present + ${required}`) : String(required);
        lines.push("let keys = 0;", "for (const _ in record) keys++;", `return keys === ${expected};`);
        return lines;
      }
      default:
        throw new Error(`satchel: no checker for plan node ${plan[0]}`);
    }
  }

  /** Statements refusing a record key: `__proto__`, or one the key plan does not accept. */
  keyCheck(plan: Plan, refuse: string, at: string, path: string): string[] {
    if (plan === "string") return [`if (key === "__proto__") ${refuse}`];
    // Compared as unknown: a key is a string, and TypeScript refuses comparing it with other literals.
    return [
      "const keyWire: unknown = key;",
      `if (key === "__proto__" || ${negated(this.check(plan, "keyWire", `${at}[key]`, `${path}Key`))}) ${refuse}`,
    ];
  }
}
