/**
 * Emits the decode side of a session's codec: strict, like the runtime's plan interpreter (types,
 * array and tuple lengths, mask range and exact length, enum values, no extra object keys); the
 * emitted code throws the session's mismatch error on the first wire that does not fit.
 */
import { isPlainPlan, type Plan, type PlanField } from "satchel/internal";
import type { SessionHelpers } from "./session-helpers.ts";
import {
  assign,
  functionSource,
  IDENTIFIER,
  indent,
  literalKey,
  negated,
  ownRead,
  pascal,
} from "./source-text.ts";
import type { WireChecks } from "./wire-checks.ts";

/** A decoded value: statements that check it first, then the expression that is the value. */
interface Decoded {
  checks: string[];
  value: string;
}

/** Local names for decoded values inside one function. */
class Locals {
  private count = 0;
  next(): string {
    return `v${this.count++}`;
  }
}

/** The decode code of one session's codec; its helper functions go to the session's helpers. */
export class CodecDecoder {
  constructor(
    private readonly helpers: SessionHelpers,
    private readonly checks: WireChecks,
  ) {}

  /** The statements of a function that decodes `wire` (a parameter) and returns the value. */
  decodeBody(plan: Plan, wire: string, at: string): string[] {
    if (typeof plan !== "string" && (plan[0] === "object" || plan[0] === "keyed") && !isPlainPlan(plan)) {
      return this.decoderBody(plan, at, "");
    }
    const decoded = this.decodeValue(plan, wire, at, "", new Locals());
    return [...decoded.checks, `return ${decoded.value};`];
  }

  /**
   * The value of `wire` decoded by `plan`: plain nodes are checked (statements) and are the wire
   * itself; others are decoded by an expression that throws on mismatch.
   */
  private decodeValue(plan: Plan, wire: string, at: string, path: string, locals: Locals): Decoded {
    if (isPlainPlan(plan)) {
      // A check reads the value more than once: give it a name unless it has one.
      const name = IDENTIFIER.test(wire) ? wire : locals.next();
      const checks = name === wire ? [] : [`const ${name} = ${wire};`];
      checks.push(
        `if (${negated(this.checks.check(plan, name, at, path))}) throw ${this.helpers.mismatch(at)};`,
      );
      return { checks, value: name };
    }
    if (typeof plan === "string") {
      switch (plan) {
        case "date":
          this.helpers.module.use("date");
          return {
            checks: [],
            value: `dateFromWire(${wire}, ${this.helpers.sessionText}, ${JSON.stringify(at)})`,
          };
        case "bigint":
          this.helpers.module.use("bigint");
          return {
            checks: [],
            value: `bigintFromWire(${wire}, ${this.helpers.sessionText}, ${JSON.stringify(at)})`,
          };
        default:
          this.helpers.module.imports.add("decodeSuperjsonPart");
          return { checks: [], value: `decodeSuperjsonPart(${wire})` };
      }
    }
    if (plan[0] === "nullable") {
      const name = IDENTIFIER.test(wire) ? wire : locals.next();
      const inner = this.decodeValue(plan[1], name, at, path, locals);
      // The inner node is not plain (else this one would be), so it has no checks of its own.
      return {
        checks: name === wire ? [] : [`const ${name} = ${wire};`],
        value: `${name} === null ? null : ${inner.value}`,
      };
    }
    return { checks: [], value: `${this.decoder(plan, at, path)}(${wire})` };
  }

  /** The helper decoding a composite, non-plain node: it returns the value or throws. */
  private decoder(plan: Exclude<Plan, string>, at: string, path: string): string {
    return this.helpers.helper("decode", plan, path, (name) =>
      functionSource(name, "(wire: unknown): unknown", this.decoderBody(plan, at, path)),
    );
  }

  private decoderBody(plan: Exclude<Plan, string>, at: string, path: string): string[] {
    const locals = new Locals();
    const fail = `throw ${this.helpers.mismatch(at)};`;
    switch (plan[0]) {
      case "array": {
        const item = this.decodeValue(plan[1], "items[i]", `${at}[]`, `${path}Item`, locals);
        return [
          `if (!Array.isArray(wire)) ${fail}`,
          "const items: readonly unknown[] = wire;",
          "const value = new Array<unknown>(items.length);",
          "for (let i = 0; i < items.length; i++) {",
          ...indent(item.checks),
          `  value[i] = ${item.value};`,
          "}",
          "return value;",
        ];
      }
      case "set": {
        const item = this.decodeValue(plan[1], "items[i]", `${at}[]`, `${path}Item`, locals);
        return [
          `if (!Array.isArray(wire)) ${fail}`,
          "const items: readonly unknown[] = wire;",
          "const value = new Set<unknown>();",
          "for (let i = 0; i < items.length; i++) {",
          ...indent(item.checks),
          `  value.add(${item.value});`,
          "}",
          "return value;",
        ];
      }
      case "map": {
        const key = this.decodeValue(plan[1], "pair[0]", `${at}[key]`, `${path}Key`, locals);
        const item = this.decodeValue(plan[2], "pair[1]", `${at}[]`, `${path}Value`, locals);
        return [
          `if (!Array.isArray(wire)) ${fail}`,
          "const entries: readonly unknown[] = wire;",
          "const value = new Map<unknown, unknown>();",
          "for (let i = 0; i < entries.length; i++) {",
          "  const entry = entries[i];",
          `  if (!Array.isArray(entry) || entry.length !== 2) ${fail}`,
          "  const pair: readonly unknown[] = entry;",
          ...indent(key.checks),
          ...indent(item.checks),
          `  value.set(${key.value}, ${item.value});`,
          "}",
          "return value;",
        ];
      }
      case "tuple": {
        const items = plan[1].map((item, i) =>
          this.decodeValue(item, `items[${i}]`, `${at}[${i}]`, `${path}At${i}`, locals),
        );
        return [
          `if (!Array.isArray(wire) || wire.length !== ${plan[1].length}) ${fail}`,
          "const items: readonly unknown[] = wire;",
          ...items.flatMap((item) => item.checks),
          `return [${items.map((item) => item.value).join(", ")}];`,
        ];
      }
      case "record": {
        const item = this.decodeValue(plan[2], "record[key]", `${at}[]`, `${path}Value`, locals);
        return [
          `if (typeof wire !== "object" || wire === null || Array.isArray(wire)) ${fail}`,
          "const record = wire as Readonly<Record<string, unknown>>;",
          "const value: Record<string, unknown> = {};",
          "for (const key in record) {",
          ...indent(this.checks.keyCheck(plan[1], fail, at, path)),
          ...indent(item.checks),
          `  value[key] = ${item.value};`,
          "}",
          "return value;",
        ];
      }
      case "object":
        return this.positionalDecode(plan[1], at, path, locals);
      case "keyed":
        return this.keyedDecode(plan[1], at, path, locals);
      default:
        throw new Error(`satchel: no decoder for plan node ${plan[0]}`);
    }
  }

  private positionalDecode(fields: readonly PlanField[], at: string, path: string, locals: Locals): string[] {
    const fail = `throw ${this.helpers.mismatch(at)};`;
    const optional = fields.filter(([, , isOptional]) => isOptional).length;
    const required = fields.length - optional;
    const value = (key: string, plan: Plan, index: string) =>
      this.decodeValue(plan, `items[${index}]`, `${at}.${key}`, `${path}${pascal(key)}`, locals);
    // Required fields before the first optional one sit at fixed positions: one object literal.
    const leading = optional === 0 ? fields.length : fields.findIndex(([, , isOptional]) => isOptional);
    const offset = optional === 0 ? 0 : 1;
    const decoded = fields.slice(0, leading).map(([key, plan], i) => value(key, plan, String(i + offset)));
    const entries = fields.slice(0, leading).map(([key], i) => `${literalKey(key)}: ${decoded[i]!.value}`);
    const object = (declare: string) => {
      const line = `${declare}{ ${entries.join(", ")} };`;
      if (entries.length === 0) return [`${declare}{};`];
      return line.length <= 100 ? [line] : [`${declare}{`, ...entries.map((entry) => `  ${entry},`), "};"];
    };
    if (optional === 0) {
      return [
        `if (!Array.isArray(wire) || wire.length !== ${fields.length}) ${fail}`,
        "const items: readonly unknown[] = wire;",
        ...decoded.flatMap((d) => d.checks),
        ...object("return "),
      ];
    }
    this.helpers.module.use("maskBits");
    const lines = [
      `if (!Array.isArray(wire)) ${fail}`,
      "const items: readonly unknown[] = wire;",
      "const mask = items[0];",
      // An integer in [0, 2^optional): masking with the all-ones value changes anything else.
      `if (typeof mask !== "number" || (mask & ${2 ** optional - 1}) !== mask) ${fail}`,
      `if (items.length !== ${1 + required} + maskBits(mask)) ${fail}`,
      ...decoded.flatMap((d) => d.checks),
      ...object("const value: Record<string, unknown> = "),
      `let next = ${1 + leading};`,
    ];
    let bit = 0;
    for (const [key, plan, isOptional] of fields.slice(leading)) {
      const decodedField = value(key, plan, "next++");
      const body = [...decodedField.checks, `${assign("value", key)} = ${decodedField.value};`];
      if (isOptional) {
        lines.push(`if ((mask & ${2 ** bit}) !== 0) {`, ...indent(body), "}");
        bit++;
      } else {
        lines.push(...body);
      }
    }
    lines.push("return value;");
    return lines;
  }

  private keyedDecode(fields: readonly PlanField[], at: string, path: string, locals: Locals): string[] {
    const fail = `throw ${this.helpers.mismatch(at)};`;
    const lines = [
      `if (typeof wire !== "object" || wire === null || Array.isArray(wire)) ${fail}`,
      "const record = wire as Readonly<Record<string, unknown>>;",
      "const value: Record<string, unknown> = {};",
      "let present = 0;",
    ];
    fields.forEach(([key, plan, optional], i) => {
      const name = `field${i}`;
      const decoded = this.decodeValue(plan, name, `${at}.${key}`, `${path}${pascal(key)}`, locals);
      lines.push(`const ${name} = ${ownRead("record", key)};`);
      const body = [...decoded.checks, `${assign("value", key)} = ${decoded.value};`, "present++;"];
      if (optional) lines.push(`if (${name} !== undefined) {`, ...indent(body), "}");
      else lines.push(`if (${name} === undefined) ${fail}`, ...body);
    });
    lines.push(
      "let keys = 0;",
      "for (const _ in record) keys++;",
      `if (keys !== present) ${fail}`,
      "return value;",
    );
    return lines;
  }
}
