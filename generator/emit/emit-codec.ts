/**
 * Emits a session's format-3 codec as TypeScript source: from the session's plan (its positional
 * wire layout, see runtime/codec/plan.ts), straight-line code that writes and reads exactly the wire
 * the runtime's plan interpreter (`planCodec`, runtime/codec/plan-interpreter.ts) writes and reads, without
 * walking a plan at run time.
 *
 * - encode: one array literal for an object without optional fields; with optional fields, a mask
 *   built field by field in schema order. Plain parts (the wire is the value) are not walked at all.
 * - decode: strict, like the interpreter's: types, array and tuple lengths, mask range and exact
 *   length, enum values by `===`, no extra object keys; it throws an Error on the first mismatch.
 * - Each nested array, set, map, record, tuple or object gets a small helper function of its own,
 *   so every loop sees one shape of value (monomorphic) and the code reads top-down.
 *
 * Pure text in, text out: no TypeScript compiler, no zod (cold `gen` stays cheap).
 */
import { isPlainPlan, type Plan, type PlanField, type PlanLiteral } from "satchel/internal";

/** What one session's codec is emitted from. */
interface CodecInput {
  /** The session name, as declared. */
  session: string;
  /** Its type name stem (`auth` → `Auth`): helper names and the data interface derive from it. */
  typeStem: string;
  plan: Plan;
  /** Layout hash of `plan`. */
  layout: string;
  /** Schema fingerprint (`schemaFingerprint`) at generation time. */
  checks: string;
  /** The constant holding the session's data version (`AUTH_VERSION`). */
  versionConstant: string;
  /** The exported constant to declare (`AUTH_CODEC`). */
  constant: string;
  /** Earlier layouts of the session by layout hash (the snapshot's, minus the current one). */
  history: Readonly<Record<string, Plan>>;
}

/** Module-level helpers a codec may need; each is emitted once per module. */
type Shared = "mismatch" | "date" | "bigint" | "maskBits";

const SHARED_SOURCE: Record<Shared, string> = {
  mismatch: `/** A generated decode met a wire its layout does not write (the runtime treats the token as malformed). */
function codecMismatch(session: string, at: string): Error {
  return new Error(
    \`satchel: session "\${session}" data does not fit its generated layout at \${at}; if the schema changed, run satchel gen.\`,
  );
}`,
  date: `/** A Date from its wire form, epoch milliseconds. */
function dateFromWire(wire: unknown, session: string, at: string): Date {
  if (typeof wire !== "number" || !Number.isFinite(wire)) throw codecMismatch(session, at);
  return new Date(wire);
}`,
  bigint: `const BIGINT_TEXT = /^-?\\d+$/;

/** A BigInt from its wire form, decimal text. */
function bigintFromWire(wire: unknown, session: string, at: string): bigint {
  if (typeof wire !== "string" || !BIGINT_TEXT.test(wire)) throw codecMismatch(session, at);
  return BigInt(wire);
}`,
  maskBits: `/** How many optional fields a mask flags (population count of a 30-bit integer). */
function maskBits(mask: number): number {
  let bits = mask - ((mask >>> 1) & 0x55555555);
  bits = (bits & 0x33333333) + ((bits >>> 2) & 0x33333333);
  return (((bits + (bits >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}`,
};

/** Names an object key can be read by with a dot. */
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** Keys every object inherits: read as own properties only, or an absent field would look present. */
const INHERITED = new Set(Object.getOwnPropertyNames(Object.prototype));

/** Enums with more values than this are checked with a Set instead of a chain of `===`. */
const ENUM_CHAIN_LIMIT = 6;

/** A JSON literal as TypeScript source (numbers JSON cannot spell included). */
function literal(value: PlanLiteral): string {
  if (typeof value === "number") {
    if (Object.is(value, -0)) return "-0";
    if (!Number.isFinite(value))
      return Number.isNaN(value) ? "Number.NaN" : value > 0 ? "Infinity" : "-Infinity";
  }
  return JSON.stringify(value);
}

/** `record["key"]` or `data.key`: how emitted code reads a field. */
function member(object: string, key: string, dot: boolean): string {
  return dot && IDENTIFIER.test(key) ? `${object}.${key}` : `${object}[${JSON.stringify(key)}]`;
}

/** A key in an object literal. */
function literalKey(key: string): string {
  return IDENTIFIER.test(key) ? key : JSON.stringify(key);
}

/** `Auth` + `billing` → `AuthBilling`: helper names read like the path they handle. */
function pascal(segment: string): string {
  const words = segment.split(/[^A-Za-z0-9]+/).filter(Boolean);
  return words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join("");
}

/** Lines one level deeper (two spaces); blank lines stay empty. */
const indent = (lines: string[]) => lines.map((line) => (line === "" ? line : `  ${line}`));

/**
 * The codecs of one generated module: collects helper functions and the shared helpers they use, so
 * that names stay unique across sessions.
 */
export class CodecModule {
  private readonly used = new Set<string>();
  private readonly shared = new Set<Shared>();
  /** Runtime names the codecs import from "satchel". */
  readonly imports = new Set<"encodeSuperjsonPart" | "decodeSuperjsonPart">();

  /** A fresh module-level name. */
  name(wanted: string): string {
    let name = wanted;
    for (let i = 2; this.used.has(name); i++) name = `${wanted}${i}`;
    this.used.add(name);
    return name;
  }

  use(helper: Shared): void {
    this.shared.add(helper);
    // Every decode helper reports through codecMismatch.
    this.shared.add("mismatch");
  }

  /** Source of one session's codec: its helper functions, then the exported constant. */
  emit(input: CodecInput): string {
    return new SessionCodecEmitter(this, input).emit();
  }

  /** The shared helpers the emitted codecs use, for the end of the module. */
  sharedSource(): string {
    const order: Shared[] = ["mismatch", "date", "bigint", "maskBits"];
    return order
      .filter((helper) => this.shared.has(helper))
      .map((helper) => SHARED_SOURCE[helper])
      .join("\n\n");
  }
}

/** A decoded value: statements that check it first, then the expression that is the value. */
interface Decoded {
  checks: string[];
  value: string;
}

class SessionCodecEmitter {
  private readonly helpers: string[] = [];
  /** Helper name by kind and plan, so a shape used twice shares its helpers. */
  private readonly names = new Map<string, string>();
  private readonly sessionText: string;

  constructor(
    private readonly module: CodecModule,
    private readonly input: CodecInput,
  ) {
    this.sessionText = JSON.stringify(input.session);
  }

  emit(): string {
    const { input } = this;
    const encode = this.module.name(`encode${input.typeStem}`);
    const decode = this.module.name(`decode${input.typeStem}`);
    const dataType = `${input.typeStem}Data`;
    // The session's own functions: encode takes the generated data type, so misuse fails to compile.
    const encodeBody =
      typeof input.plan !== "string" && input.plan[0] === "object"
        ? this.positionalEncode(input.plan[1], "data", true)
        : [`return ${this.encodeValue(input.plan, "data", "data")};`];
    const decodeBody = this.decodeBody(input.plan, "wire", "data");
    const history = Object.entries(input.history);
    const lines = [
      ...this.helpers,
      `function ${encode}(data: ${dataType}): unknown {\n${indent(encodeBody).join("\n")}\n}`,
      `function ${decode}(wire: unknown): unknown {\n${indent(decodeBody).join("\n")}\n}`,
      `/** Codec of "${input.session}", layout ${input.layout}: ${describeLayout(input.plan)}. */
export const ${input.constant} = {
  layout: ${JSON.stringify(input.layout)},
  checks: ${JSON.stringify(input.checks)},
  version: ${input.versionConstant},
  encode: ${encode},
  decode: ${decode},
  history: ${
    history.length === 0
      ? "{}"
      : `{\n${history.map(([hash, plan]) => `    ${JSON.stringify(hash)}: ${JSON.stringify(plan)},`).join("\n")}\n  }`
  },
} satisfies GeneratedCodec;`,
    ];
    return lines.join("\n\n");
  }

  private helper(kind: string, plan: Plan, path: string, build: (name: string) => string): string {
    const key = `${kind}:${JSON.stringify(plan)}`;
    let name = this.names.get(key);
    if (name === undefined) {
      name = this.module.name(`${kind}${this.input.typeStem}${path}`);
      this.names.set(key, name);
      this.helpers.push(build(name));
    }
    return name;
  }

  private mismatch(at: string): string {
    this.module.use("mismatch");
    return `codecMismatch(${this.sessionText}, ${JSON.stringify(at)})`;
  }

  // ---- encode ----------------------------------------------------------------------------------

  /** An expression for the wire of `value` (an expression without side effects, read at most twice). */
  private encodeValue(plan: Plan, value: string, at: string, path = ""): string {
    if (isPlainPlan(plan)) return value;
    if (typeof plan === "string") {
      switch (plan) {
        case "date":
          return `(${value} as Date).getTime()`;
        case "bigint":
          return `(${value} as bigint).toString()`;
        default:
          this.module.imports.add("encodeSuperjsonPart");
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
    return this.helper("encode", plan, path, (name) => {
      const body = this.encoderBody(plan, at, path);
      return `function ${name}(value: unknown): unknown {\n${indent(body).join("\n")}\n}`;
    });
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
  private positionalEncode(
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

  // ---- decode ----------------------------------------------------------------------------------

  /** The statements of a function that decodes `wire` (a parameter) and returns the value. */
  private decodeBody(plan: Plan, wire: string, at: string): string[] {
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
      checks.push(`if (${negated(this.check(plan, name, at, path))}) throw ${this.mismatch(at)};`);
      return { checks, value: name };
    }
    if (typeof plan === "string") {
      switch (plan) {
        case "date":
          this.module.use("date");
          return { checks: [], value: `dateFromWire(${wire}, ${this.sessionText}, ${JSON.stringify(at)})` };
        case "bigint":
          this.module.use("bigint");
          return { checks: [], value: `bigintFromWire(${wire}, ${this.sessionText}, ${JSON.stringify(at)})` };
        default:
          this.module.imports.add("decodeSuperjsonPart");
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

  /** A boolean expression: the plain node accepts `value` (an identifier). */
  private check(plan: Plan, value: string, at: string, path: string): string {
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
    const set = this.helper(
      "values",
      ["enum", values],
      path,
      (name) => `const ${name} = new Set<unknown>([${values.map(literal).join(", ")}]);`,
    );
    return `${set}.has(${value})`;
  }

  /** The helper checking a composite plain node: it returns whether the wire fits. */
  private checker(plan: Exclude<Plan, string>, at: string, path: string): string {
    return this.helper("is", plan, path, (name) => {
      const body = this.checkerBody(plan, at, path);
      return `function ${name}(wire: unknown): boolean {\n${indent(body).join("\n")}\n}`;
    });
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
          lines.push(`const field${i} = ${this.ownRead("record", key)};`);
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
  private keyCheck(plan: Plan, refuse: string, at: string, path: string): string[] {
    if (plan === "string") return [`if (key === "__proto__") ${refuse}`];
    // Compared as unknown: a key is a string, and TypeScript refuses comparing it with other literals.
    return [
      "const keyWire: unknown = key;",
      `if (key === "__proto__" || ${negated(this.check(plan, "keyWire", `${at}[key]`, `${path}Key`))}) ${refuse}`,
    ];
  }

  /** A wire object's own field: a key every object inherits (`constructor`, …) reads as absent. */
  private ownRead(source: string, key: string): string {
    return INHERITED.has(key)
      ? `Object.hasOwn(${source}, ${JSON.stringify(key)}) ? ${member(source, key, false)} : undefined`
      : member(source, key, false);
  }

  /** The helper decoding a composite, non-plain node: it returns the value or throws. */
  private decoder(plan: Exclude<Plan, string>, at: string, path: string): string {
    return this.helper("decode", plan, path, (name) => {
      const body = this.decoderBody(plan, at, path);
      return `function ${name}(wire: unknown): unknown {\n${indent(body).join("\n")}\n}`;
    });
  }

  private decoderBody(plan: Exclude<Plan, string>, at: string, path: string): string[] {
    const locals = new Locals();
    const fail = `throw ${this.mismatch(at)};`;
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
          ...indent(this.keyCheck(plan[1], fail, at, path)),
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
    const fail = `throw ${this.mismatch(at)};`;
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
    this.module.use("maskBits");
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
    const fail = `throw ${this.mismatch(at)};`;
    const lines = [
      `if (typeof wire !== "object" || wire === null || Array.isArray(wire)) ${fail}`,
      "const record = wire as Readonly<Record<string, unknown>>;",
      "const value: Record<string, unknown> = {};",
      "let present = 0;",
    ];
    fields.forEach(([key, plan, optional], i) => {
      const name = `field${i}`;
      const decoded = this.decodeValue(plan, name, `${at}.${key}`, `${path}${pascal(key)}`, locals);
      lines.push(`const ${name} = ${this.ownRead("record", key)};`);
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

/** Local names for decoded values inside one function. */
class Locals {
  private count = 0;
  next(): string {
    return `v${this.count++}`;
  }
}

/** `value["key"]`: the target of a field write. */
function assign(object: string, key: string): string {
  return member(object, key, false);
}

/** `!check`, written the way a person would (`typeof x !== "string"`, `!isRoles(x)`). */
function negated(check: string): string {
  if (check.includes(" || ")) return `!(${check})`;
  const compare = /^(typeof [\w$]+|[\w$]+) === (.+)$/.exec(check);
  if (compare) return `${compare[1]} !== ${compare[2]}`;
  return /^[\w$.]+\([^()]*\)$/.test(check) ? `!${check}` : `!(${check})`;
}

/** Checks are `a || b` chains of comparisons and calls: only a chain needs parentheses inside another. */
const parenthesized = (expression: string) => (expression.includes(" || ") ? `(${expression})` : expression);

/** One line saying what the wire is: `[mask(signedInAt), userId, name, roles, signedInAt?]`. */
export function describeLayout(plan: Plan): string {
  if (typeof plan === "string") return plan === "superjson" ? "superjson (the schema cannot type it)" : plan;
  if (plan[0] === "object") {
    const optional = plan[1].filter(([, , isOptional]) => isOptional).map(([key]) => key);
    const items = plan[1].map(([key, , isOptional]) => `${key}${isOptional ? "?" : ""}`);
    return `[${optional.length > 0 ? `mask(${optional.join(", ")}), ` : ""}${items.join(", ")}]`;
  }
  if (plan[0] === "keyed") return "an object with its keys (more optional fields than a mask holds)";
  return `${plan[0]} (not an object)`;
}
