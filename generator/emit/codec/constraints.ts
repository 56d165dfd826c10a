/**
 * Emits a session codec's `check`: the constraints its schema declares with literals (types, `int`,
 * bounds, lengths, patterns, enums; see `constraintsOf` in runtime/codec/checks.ts) as straight-line
 * code, so a write skips zod when the data passes. It accepts only what zod accepts and returns
 * unchanged: a default to fill or a key zod would strip makes it answer false, and zod decides.
 * Sessions whose schema runs the app's functions get no `check` (zod runs, and with it the functions).
 */
import type { ConstraintPlan, NumberCheck, SizeCheck, StringCheck } from "satchel/internal";
import type { SessionHelpers } from "./session-helpers.ts";
import { functionSource, indent, literal, member, negated, pascal } from "./source-text.ts";

/** Enums with more values than this are checked with a Set instead of a chain of `===`. */
const ENUM_CHAIN_LIMIT = 6;
/** Objects with more keys than this (or a longer line) refuse unknown keys through a Set. */
const KEY_CHAIN_LIMIT = 6;
const LINE_LIMIT = 100;

/** `a && b`, each part parenthesized when it is an `||` chain. */
const all = (parts: string[]) =>
  parts.map((part) => (part.includes(" || ") ? `(${part})` : part)).join(" && ");
/** `a || b`, each part parenthesized when it is an `&&` chain. */
const any = (parts: string[]) =>
  parts.map((part) => (part.includes(" && ") ? `(${part})` : part)).join(" || ");

/** `!check`, as source-text.ts's `negated` writes it; an `&&` chain (which it never gets there) in parentheses. */
const not = (check: string) => (check.includes(" && ") ? `!(${check})` : negated(check));

/** The constraint checks of one session's codec; helper functions go to the session's helpers. */
export class ConstraintChecks {
  constructor(private readonly helpers: SessionHelpers) {}

  /** The name of the function checking a whole session's data. */
  root(plan: ConstraintPlan): string {
    if (typeof plan !== "string" && plan[0] === "object") return this.checker(plan, "");
    return this.helpers.helper("check", ["root", plan], "", (name) =>
      functionSource(name, "(data: unknown): boolean", [`return ${this.check(plan, "data", "")};`]),
    );
  }

  /**
   * Statements that return false when `value` (an identifier) fails `plan`: one line, or, when that
   * line would pass the formatter's width, one line per part (a block for nullable and optional).
   */
  private guard(plan: ConstraintPlan, value: string, path: string): string[] {
    if (plan === "any") return [];
    const line = `if (${not(this.check(plan, value, path))}) return false;`;
    if (line.length <= LINE_LIMIT || typeof plan === "string") return [line];
    switch (plan[0]) {
      case "nullable":
      case "optional": {
        const skip = plan[0] === "nullable" ? "null" : "undefined";
        return [`if (${value} !== ${skip}) {`, ...indent(this.guard(plan[1], value, path)), "}"];
      }
      case "string":
      case "number":
      case "date":
        return this.parts(plan, value, path).map((part) => `if (${not(part)}) return false;`);
      default:
        return [line];
    }
  }

  /** A boolean expression: `value` (an identifier) passes `plan`. */
  private check(plan: ConstraintPlan, value: string, path: string): string {
    if (plan === "any") return "true";
    if (plan === "boolean") return `typeof ${value} === "boolean"`;
    if (plan === "null") return `${value} === null`;
    switch (plan[0]) {
      case "string":
      case "number":
      case "date":
        return all(this.parts(plan, value, path));
      case "bigint":
        return `typeof ${value} === "bigint"`;
      case "enum":
        return this.enumCheck(plan[1], value, path);
      case "nullable":
        return any([`${value} === null`, this.check(plan[1], value, path)]);
      case "optional":
        return any([`${value} === undefined`, this.check(plan[1], value, path)]);
      case "union":
        return any(plan[1].map((option, i) => this.check(option, value, `${path}Option${i}`)));
      default:
        return `${this.checker(plan, path)}(${value})`;
    }
  }

  /** The conditions a string, number or date must all meet, the type test first. */
  private parts(
    plan: Extract<ConstraintPlan, readonly ["string" | "number" | "date", ...unknown[]]>,
    value: string,
    path: string,
  ): string[] {
    switch (plan[0]) {
      case "string":
        return [`typeof ${value} === "string"`, ...plan[1].map((c) => this.stringCheck(c, value, path))];
      case "number":
        return [
          `typeof ${value} === "number"`,
          // A safe integer is finite; any other number is checked for it (zod refuses NaN and ±Infinity).
          ...(plan[1].some((c) => c[0] === "int") ? [] : [`Number.isFinite(${value})`]),
          ...plan[1].map((c) => numberCheck(c, value)),
        ];
      case "date":
        return [
          `${value} instanceof Date`,
          `!Number.isNaN(${value}.getTime())`,
          ...plan[1].map(([op, bound]) => `${value}.getTime() ${op} ${literal(bound)}`),
        ];
    }
  }

  private stringCheck(check: StringCheck, value: string, path: string): string {
    if (check[0] !== "pattern") return sizeCheck(check, `${value}.length`);
    const [, source, flags] = check;
    const args = [source, ...(flags === "" ? [] : [flags])].map((text) => JSON.stringify(text));
    const pattern = this.helpers.helper("pattern", check, path, (name) =>
      call(`const ${name} = new RegExp(`, args, ");"),
    );
    return `${pattern}.test(${value})`;
  }

  private enumCheck(
    values: readonly (string | number | boolean | null)[],
    value: string,
    path: string,
  ): string {
    if (values.length === 0) return "false";
    if (values.length <= ENUM_CHAIN_LIMIT)
      return values.map((v) => `${value} === ${literal(v)}`).join(" || ");
    const set = this.helpers.helper("allowed", ["enum", values], path, (name) =>
      call(`const ${name} = new Set<unknown>([`, values.map(literal), "]);"),
    );
    return `${set}.has(${value})`;
  }

  /** The helper checking a composite node: it returns whether `value` passes. */
  private checker(plan: Exclude<ConstraintPlan, string>, path: string): string {
    return this.helpers.helper("valid", plan, path, (name) =>
      functionSource(name, "(value: unknown): boolean", this.checkerBody(plan, path)),
    );
  }

  private checkerBody(plan: Exclude<ConstraintPlan, string>, path: string): string[] {
    switch (plan[0]) {
      case "array":
      case "set": {
        const isArray = plan[0] === "array";
        const size = plan[2].map((c) => sizeCheck(c, isArray ? "value.length" : "value.size"));
        return [
          `if (${not(all([isArray ? "Array.isArray(value)" : "value instanceof Set", ...size]))}) return false;`,
          isArray ? "for (let i = 0; i < value.length; i++) {" : "for (const item of value) {",
          ...(isArray ? ["  const item: unknown = value[i];"] : []),
          ...indent(this.guard(plan[1], "item", `${path}Item`)),
          "}",
          "return true;",
        ];
      }
      case "map":
        return [
          "if (!(value instanceof Map)) return false;",
          "for (const [key, item] of value) {",
          ...indent(this.guard(plan[1], "key", `${path}Key`)),
          ...indent(this.guard(plan[2], "item", `${path}Value`)),
          "}",
          "return true;",
        ];
      case "tuple":
        return [
          `if (!Array.isArray(value) || value.length !== ${plan[1].length}) return false;`,
          ...plan[1].flatMap((item, i) => [
            `const item${i}: unknown = value[${i}];`,
            ...this.guard(item, `item${i}`, `${path}At${i}`),
          ]),
          "return true;",
        ];
      case "record":
        return [
          // zod returns a plain object: anything else (an array, a class instance, a null-prototype
          // object) comes out changed, so zod decides.
          this.plainObject(),
          "const record = value;",
          "for (const key in record) {",
          '  if (key === "__proto__") return false;',
          "  const item = record[key];",
          ...indent(this.guard(plan[1], "item", `${path}Value`)),
          "}",
          "return true;",
        ];
      case "object":
        return this.objectBody(plan[1], path);
      default:
        throw new Error(`satchel: no constraint check for plan node ${plan[0]}`);
    }
  }

  /** The first line of an object's or record's checker: refuse anything but a plain object. */
  private plainObject(): string {
    this.helpers.module.use("plainObject");
    return "if (!isPlainObject(value)) return false;";
  }

  private objectBody(fields: readonly (readonly [string, ConstraintPlan])[], path: string): string[] {
    const lines = [this.plainObject(), "const record = value;"];
    fields.forEach(([key, plan], i) => {
      if (plan === "any") {
        // z.unknown(), z.any(): every value, but zod (4.6 on) refuses the key absent, and earlier
        // versions accepted it. Refusing it here too is safe either way: a refused value goes to zod.
        lines.push(`if (!Object.hasOwn(record, ${JSON.stringify(key)})) return false;`);
        return;
      }
      // Read as zod reads it (a plain property read), so both see the same value.
      lines.push(`const field${i} = ${member("record", key, false)};`);
      lines.push(...this.guard(plan, `field${i}`, `${path}${pascal(key)}`));
    });
    // zod strips keys the schema does not name: data with one is not zod's output, so zod decides.
    const keys = fields.map(([key]) => key);
    const known = keys.map((key) => `key !== ${JSON.stringify(key)}`).join(" && ");
    const chain =
      keys.length === 0
        ? "for (const _ in record) return false;"
        : `for (const key in record) if (${known}) return false;`;
    if (keys.length <= KEY_CHAIN_LIMIT && chain.length <= LINE_LIMIT) {
      lines.push(chain);
    } else {
      const set = this.helpers.helper("keys", ["keys", keys], path, (name) =>
        call(
          `const ${name} = new Set<string>([`,
          keys.map((key) => JSON.stringify(key)),
          "]);",
        ),
      );
      lines.push(`for (const key in record) if (!${set}.has(key)) return false;`);
    }
    lines.push("return true;");
    return lines;
  }
}

/** `open a, b close` on one line, or one item per line when that would pass the formatter's width. */
function call(open: string, items: string[], close: string): string {
  const line = `${open}${items.join(", ")}${close}`;
  if (line.length <= LINE_LIMIT) return line;
  return [open, ...items.map((item) => `  ${item},`), close].join("\n");
}

function sizeCheck([kind, size]: SizeCheck, measure: string): string {
  if (kind === "min") return `${measure} >= ${size}`;
  if (kind === "max") return `${measure} <= ${size}`;
  return `${measure} === ${size}`;
}

function numberCheck(check: NumberCheck, value: string): string {
  if (check[0] === "int") return `Number.isSafeInteger(${value})`;
  return `${value} ${check[0]} ${literal(check[1])}`;
}
