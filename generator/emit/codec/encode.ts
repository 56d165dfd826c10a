/**
 * Emits the encode side of a session's codec: an expression or statements that turn typed session
 * data into its positional wire. Plain parts (the wire is the value) are not walked at all; an object
 * without optional fields is one array literal, one with optional fields a mask built field by field
 * in schema order.
 */
import { isPlainPlan, type Plan, type PlanField } from "satchel/internal";
import type { SessionHelpers } from "./session-helpers.ts";
import { assign, functionSource, INHERITED, member, pascal } from "./source-text.ts";

/** The encode code of one session's codec; its helper functions go to the session's helpers. */
export class CodecEncoder {
  constructor(private readonly helpers: SessionHelpers) {}

  /** An expression for the wire of `value` (an expression without side effects, read at most twice). */
  encodeValue(plan: Plan, value: string, at: string, path = ""): string {
    if (isPlainPlan(plan)) return value;
    if (typeof plan === "string") {
      switch (plan) {
        case "date":
          return `(${value} as Date).getTime()`;
        case "bigint":
          return `(${value} as bigint).toString()`;
        default:
          this.helpers.module.imports.add("encodeSuperjsonPart");
          return `encodeSuperjsonPart(${value})`;
      }
    }
    if (plan[0] === "nullable") {
      return `${value} === null ? null : ${this.encodeValue(plan[1], value, at, path)}`;
    }
    return `${this.encoder(plan, at, path)}(${value})`;
  }

  /** The helper encoding a composite, non-plain node. */
  private encoder(plan: Exclude<Plan, string>, at: string, path: string): string {
    return this.helpers.helper("encode", plan, path, (name) =>
      functionSource(name, "(value: unknown): unknown", this.encoderBody(plan, at, path)),
    );
  }

  private encoderBody(plan: Exclude<Plan, string>, at: string, path: string): string[] {
    switch (plan[0]) {
      case "array":
        return [
          "const items = value as readonly unknown[];",
          "const wire = new Array<unknown>(items.length);",
          "for (let i = 0; i < items.length; i++) {",
          "  const item = items[i];",
          `  wire[i] = ${this.encodeValue(plan[1], "item", `${at}[]`, `${path}Item`)};`,
          "}",
          "return wire;",
        ];
      case "set":
        return [
          "const wire: unknown[] = [];",
          `for (const item of value as ReadonlySet<unknown>) wire.push(${this.encodeValue(plan[1], "item", `${at}[]`, `${path}Item`)});`,
          "return wire;",
        ];
      case "map":
        return [
          "const wire: unknown[] = [];",
          "for (const [key, item] of value as ReadonlyMap<unknown, unknown>) {",
          `  wire.push([${this.encodeValue(plan[1], "key", `${at}[key]`, `${path}Key`)}, ${this.encodeValue(plan[2], "item", `${at}[]`, `${path}Value`)}]);`,
          "}",
          "return wire;",
        ];
      case "tuple":
        return [
          "const items = value as readonly unknown[];",
          `return [${plan[1].map((item, i) => this.encodeValue(item, `items[${i}]`, `${at}[${i}]`, `${path}At${i}`)).join(", ")}];`,
        ];
      case "record":
        return [
          "const record = value as Readonly<Record<string, unknown>>;",
          "const wire: Record<string, unknown> = {};",
          "for (const key of Object.keys(record)) {",
          "  const item = record[key];",
          `  wire[key] = ${this.encodeValue(plan[2], "item", `${at}[]`, `${path}Value`)};`,
          "}",
          "return wire;",
        ];
      case "object":
        return [
          "const record = value as Readonly<Record<string, unknown>>;",
          ...this.positionalEncode(plan[1], "record", false, at, path),
        ];
      case "keyed":
        return this.keyedEncode(plan[1], at, path);
      default:
        // Enums, unions and nullables of plain nodes are plain: encodeValue never asks for them.
        throw new Error(`satchel: no encoder for plan node ${plan[0]}`);
    }
  }

  /** The condition under which a field is written: not `undefined`; superjson: the key is there. */
  private present(source: string, key: string, plan: Plan, dot: boolean): string {
    if (plan === "superjson") {
      return INHERITED.has(key)
        ? `Object.hasOwn(${source}, ${JSON.stringify(key)})`
        : `${JSON.stringify(key)} in ${source}`;
    }
    return `${this.read(source, key, dot)} !== undefined`;
  }

  /** Reads a field; keys every object inherits (`constructor`, …) only when the object has its own. */
  private read(source: string, key: string, dot: boolean): string {
    return INHERITED.has(key)
      ? `(Object.hasOwn(${source}, ${JSON.stringify(key)}) ? ${member(source, key, false)} : undefined)`
      : member(source, key, dot);
  }

  /** Statements writing a positional object from `source` (typed session data when `dot`). */
  positionalEncode(
    fields: readonly PlanField[],
    source: string,
    dot: boolean,
    at = "data",
    path = "",
  ): string[] {
    const value = (key: string, plan: Plan) =>
      this.encodeValue(plan, this.read(source, key, dot), `${at}.${key}`, `${path}${pascal(key)}`);
    if (!fields.some(([, , optional]) => optional)) {
      const items = fields.map(([key, plan]) => value(key, plan));
      const line = `return [${items.join(", ")}];`;
      return line.length <= 100 ? [line] : ["return [", ...items.map((item) => `  ${item},`), "];"];
    }
    // Required fields before the first optional one go straight into the literal.
    const leading = fields.findIndex(([, , optional]) => optional);
    const lines = [
      `const wire: unknown[] = [${["0", ...fields.slice(0, leading).map(([key, plan]) => value(key, plan))].join(", ")}];`,
      "let mask = 0;",
    ];
    let bit = 0;
    for (const [key, plan, optional] of fields.slice(leading)) {
      if (!optional) {
        lines.push(`wire.push(${value(key, plan)});`);
        continue;
      }
      lines.push(
        `if (${this.present(source, key, plan, dot)}) {`,
        `  mask |= ${2 ** bit};`,
        `  wire.push(${value(key, plan)});`,
        "}",
      );
      bit++;
    }
    lines.push("wire[0] = mask;", "return wire;");
    return lines;
  }

  private keyedEncode(fields: readonly PlanField[], at: string, path: string): string[] {
    const lines = [
      "const record = value as Readonly<Record<string, unknown>>;",
      "const wire: Record<string, unknown> = {};",
    ];
    for (const [key, plan] of fields) {
      const write = `${assign("wire", key)} = ${this.encodeValue(plan, this.read("record", key, false), `${at}.${key}`, `${path}${pascal(key)}`)};`;
      // Like the interpreter, every field (required ones too) is written only when present.
      lines.push(`if (${this.present("record", key, plan, false)}) ${write}`);
    }
    lines.push("return wire;");
    return lines;
  }
}
