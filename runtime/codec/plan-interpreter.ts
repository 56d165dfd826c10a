/**
 * The interpreter of a codec plan (see plan.ts for the wire forms): what reads format-3 and 4 tokens
 * written under an earlier layout of a session (its history), what a session runs on when its
 * generated codec is missing or stale, and the reference the generator's emitted codecs are tested
 * against: for every plan, generated encode/decode must do exactly what `planCodec(plan)` does.
 *
 * Decoding is strict: the wire must be exactly what `encode` writes for some value of the plan
 * (types, array and tuple lengths, masks without unknown bits, enum values, no extra or missing
 * object keys), else it throws `SatchelError`. It checks structure only; checks and refinements are
 * zod's business.
 *
 * What each node's decode accepts (a generated decode must accept and refuse the same wires):
 * - `"string"`, `"number"`, `"boolean"`: `typeof` that type; `"null"`: `null`.
 * - `["enum", values]`: a value `===` one of them. `["union", options]`: a wire one option accepts.
 * - `"date"`: a number (→ `new Date(n)`); `"bigint"`: a string matching `/^-?\d+$/` (→ `BigInt`).
 * - `"superjson"`: an array of length 1 or 2 superjson deserializes (see `decodeSuperjsonPart`).
 * - `["nullable", p]`: `null`, or what `p` accepts. `["array", p]` / `["set", p]`: an array.
 *   `["tuple", ps]`: an array of exactly `ps.length`. `["map", k, v]`: an array of 2-element arrays.
 *   `["record", k, v]`: a non-array object, no `__proto__` key, each key accepted by `k`.
 * - `["object", fields]` without optional fields: an array of exactly one value per field.
 *   With optional fields: an array whose first element is an integer mask in `[0, 2^optional)` and
 *   whose length is `1 + required + popcount(mask)`.
 * - `["keyed", fields]`: a non-array object whose keys are all fields, every required one present.
 *
 * A field is written (present) when its value is not `undefined` — or, for a `"superjson"` field,
 * when the key is in the object at all: `z.unknown()` set to `undefined` is a value and stays present
 * (as in format 2). Decoded positional objects have their keys in schema order, absent fields not
 * set; a keyed object of plain fields is the (checked) wire object itself.
 */
import { SatchelError } from "../errors.ts";
import { decodeSuperjsonPart, encodeSuperjsonPart } from "./envelope.ts";
import type { Plan, PlanField, PlanLiteral } from "./plan.ts";

/** A plan's encoder and decoder. */
export interface PlanCodec {
  /** Session data (already validated) → its wire value (JSON-able). */
  encode(value: unknown): unknown;
  /** Wire value → data. @throws SatchelError when the wire is not what `encode` writes for the plan. */
  decode(wire: unknown): unknown;
}

// ---- the interpreter --------------------------------------------------------------------------

/** Returned by a node's decode when the wire does not fit; `failure` then says where and why. */
const FAIL: unique symbol = Symbol("satchel.plan.fail");
type Decoded = unknown;

/** Where the last decode failed: path segments (innermost last, built while unwinding) and why. */
let failure: { path: string[]; expected: string } = { path: [], expected: "" };

function fail(expected: string): typeof FAIL {
  failure = { path: [], expected };
  return FAIL;
}

/** Prepends a path segment to the failure being unwound. */
function at(segment: string): typeof FAIL {
  failure.path.unshift(segment);
  return FAIL;
}

interface Node {
  /** The wire is the value itself: encoding is the identity, decoding only checks. */
  readonly plain: boolean;
  encode(value: unknown): unknown;
  decode(wire: unknown): Decoded | typeof FAIL;
}

/** Options of `planCodec`. */
interface PlanCodecOptions {
  /**
   * Keyed objects may lack required keys and keep keys the plan does not name (for zod to strip or
   * refuse): how a format-2 reader takes data it does not trust, which migrations and zod check
   * after. Default `false`: the strict decode every trusted token and generated codec gets.
   */
  lenient?: boolean;
}

/** The codec of a plan. Build it once per plan: it compiles the plan into closures. */
export function planCodec(plan: Plan, options: PlanCodecOptions = {}): PlanCodec {
  const root = node(plan, options.lenient === true);
  return {
    encode: root.plain ? (value) => value : (value) => root.encode(value),
    decode(wire) {
      const value = root.decode(wire);
      if (value === FAIL) {
        const where = failure.path.length === 0 ? "" : ` at data${failure.path.join("")}`;
        throw new SatchelError(
          `satchel: session data does not fit its layout${where} (expected ${failure.expected}).`,
        );
      }
      return value;
    },
  };
}

const checked = (expected: string, test: (wire: unknown) => boolean): Node => ({
  plain: true,
  encode: (value) => value,
  decode: (wire) => (test(wire) ? wire : fail(expected)),
});

const STRING = checked("a string", (w) => typeof w === "string");
const NUMBER = checked("a number", (w) => typeof w === "number");
const BOOLEAN = checked("a boolean", (w) => typeof w === "boolean");
const NULL = checked("null", (w) => w === null);

const DATE: Node = {
  plain: false,
  encode: (value) => (value as Date).getTime(),
  // JSON cannot carry NaN or Infinity; the finite check matches the generated decoders exactly.
  decode: (wire) =>
    typeof wire === "number" && Number.isFinite(wire) ? new Date(wire) : fail("a date as epoch ms"),
};

const BIGINT_TEXT = /^-?\d+$/;
const BIGINT: Node = {
  plain: false,
  encode: (value) => (value as bigint).toString(),
  decode: (wire) =>
    typeof wire === "string" && BIGINT_TEXT.test(wire) ? BigInt(wire) : fail("a bigint as decimal text"),
};

const SUPERJSON: Node = {
  plain: false,
  encode: encodeSuperjsonPart,
  decode: (wire) => {
    try {
      return decodeSuperjsonPart(wire);
    } catch {
      return fail("a superjson part [json] or [json, meta]");
    }
  },
};

function node(plan: Plan, lenient: boolean): Node {
  if (typeof plan === "string") {
    switch (plan) {
      case "string":
        return STRING;
      case "number":
        return NUMBER;
      case "boolean":
        return BOOLEAN;
      case "null":
        return NULL;
      case "date":
        return DATE;
      case "bigint":
        return BIGINT;
      case "superjson":
        return SUPERJSON;
    }
  }
  switch (plan[0]) {
    case "enum":
      return enumNode(plan[1]);
    case "nullable":
      return nullable(node(plan[1], lenient));
    case "array":
      return array(node(plan[1], lenient));
    case "set":
      return set(node(plan[1], lenient));
    case "tuple":
      return tuple(plan[1].map((item) => node(item, lenient)));
    case "record":
      return record(node(plan[1], lenient), node(plan[2], lenient));
    case "map":
      return map(node(plan[1], lenient), node(plan[2], lenient));
    case "union":
      return union(plan[1].map((option) => node(option, lenient)));
    case "object":
      return positional(plan[1], lenient);
    case "keyed":
      return keyed(plan[1], lenient);
  }
  throw new SatchelError(`satchel: unknown codec plan node ${JSON.stringify(plan)}; run npm run gen.`);
}

function enumNode(values: readonly PlanLiteral[]): Node {
  const allowed = new Set<unknown>(values);
  return checked(`one of ${values.map((v) => JSON.stringify(v)).join(", ")}`, (w) => allowed.has(w));
}

function nullable(inner: Node): Node {
  return {
    plain: inner.plain,
    encode: inner.plain ? (value) => value : (value) => (value === null ? null : inner.encode(value)),
    decode: (wire) => (wire === null ? null : inner.decode(wire)),
  };
}

function array(item: Node): Node {
  return {
    plain: item.plain,
    encode: item.plain ? (value) => value : (value) => (value as unknown[]).map((v) => item.encode(v)),
    decode(wire) {
      if (!Array.isArray(wire)) return fail("an array");
      const out = item.plain ? wire : new Array<unknown>(wire.length);
      for (let i = 0; i < wire.length; i++) {
        const v = item.decode(wire[i]);
        if (v === FAIL) return at(`[${i}]`);
        if (!item.plain) out[i] = v;
      }
      return out;
    },
  };
}

function set(item: Node): Node {
  return {
    plain: false,
    encode: (value) => Array.from(value as Set<unknown>, (v) => item.encode(v)),
    decode(wire) {
      if (!Array.isArray(wire)) return fail("an array (a set)");
      const out = new Set<unknown>();
      for (let i = 0; i < wire.length; i++) {
        const v = item.decode(wire[i]);
        if (v === FAIL) return at(`[${i}]`);
        out.add(v);
      }
      return out;
    },
  };
}

function tuple(items: Node[]): Node {
  const plain = items.every((i) => i.plain);
  return {
    plain,
    encode: plain
      ? (value) => value
      : (value) => items.map((item, i) => item.encode((value as unknown[])[i])),
    decode(wire) {
      if (!Array.isArray(wire) || wire.length !== items.length)
        return fail(`an array of ${items.length} (a tuple)`);
      const out = plain ? wire : new Array<unknown>(items.length);
      for (let i = 0; i < items.length; i++) {
        const v = (items[i] as Node).decode(wire[i]);
        if (v === FAIL) return at(`[${i}]`);
        if (!plain) out[i] = v;
      }
      return out;
    },
  };
}

const isRecord = (wire: unknown): wire is Record<string, unknown> =>
  typeof wire === "object" && wire !== null && !Array.isArray(wire);

function record(key: Node, value: Node): Node {
  return {
    plain: value.plain,
    encode: value.plain
      ? (v) => v
      : (v) => {
          const out: Record<string, unknown> = {};
          for (const [k, item] of Object.entries(v as Record<string, unknown>)) out[k] = value.encode(item);
          return out;
        },
    decode(wire) {
      if (!isRecord(wire)) return fail("an object (a record)");
      const out: Record<string, unknown> = value.plain ? wire : {};
      for (const k in wire) {
        if (k === "__proto__") return fail("no __proto__ key");
        if (key.decode(k) === FAIL) return at(`[${JSON.stringify(k)}] (key)`);
        const v = value.decode(wire[k]);
        if (v === FAIL) return at(`[${JSON.stringify(k)}]`);
        if (!value.plain) out[k] = v;
      }
      return out;
    },
  };
}

function map(key: Node, value: Node): Node {
  return {
    plain: false,
    encode: (v) => {
      const out: unknown[] = [];
      for (const [k, item] of v as Map<unknown, unknown>) out.push([key.encode(k), value.encode(item)]);
      return out;
    },
    decode(wire) {
      if (!Array.isArray(wire)) return fail("an array of [key, value] pairs (a map)");
      const out = new Map<unknown, unknown>();
      for (let i = 0; i < wire.length; i++) {
        const entry: unknown = wire[i];
        if (!Array.isArray(entry) || entry.length !== 2) {
          fail("a [key, value] pair");
          return at(`[${i}]`);
        }
        const k = key.decode(entry[0]);
        if (k === FAIL) return at(`[${i}][0]`);
        const v = value.decode(entry[1]);
        if (v === FAIL) return at(`[${i}][1]`);
        out.set(k, v);
      }
      return out;
    },
  };
}

function union(options: Node[]): Node {
  // planOf makes a union only of options whose wire is the value itself (else it is superjson).
  if (!options.every((o) => o.plain)) {
    throw new SatchelError("satchel: a union plan must have plain options only; run npm run gen.");
  }
  return {
    plain: true,
    encode: (value) => value,
    decode(wire) {
      for (const option of options) if (option.decode(wire) !== FAIL) return wire;
      return fail("a value one of the union's options accepts");
    },
  };
}

interface CompiledField {
  readonly key: string;
  readonly node: Node;
  readonly optional: boolean;
  /** A superjson field: present whenever the key is in the object, even as `undefined`. */
  readonly keepsUndefined: boolean;
  /** Named like an `Object.prototype` member (`constructor`, …): read as an own property only. */
  readonly inherited: boolean;
  /** The path segment naming it in errors. */
  readonly segment: string;
}

function compileFields(fields: readonly PlanField[], lenient: boolean): CompiledField[] {
  return fields.map(([key, plan, optional]) => ({
    key,
    node: node(plan, lenient),
    optional,
    keepsUndefined: plan === "superjson",
    inherited: key in Object.prototype,
    segment: /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`,
  }));
}

const isPresent = (field: CompiledField, record: Record<string, unknown>, value: unknown) =>
  value !== undefined || (field.keepsUndefined && Object.hasOwn(record, field.key));

/** A field's value; a prototype-named field the data does not have is absent, not the inherited member. */
const fieldValue = (field: CompiledField, record: Record<string, unknown>) =>
  field.inherited && !Object.hasOwn(record, field.key) ? undefined : record[field.key];

/** `["object", fields]`: the values in schema order, after a mask of the optional ones present. */
function positional(fields: readonly PlanField[], lenient: boolean): Node {
  const compiled = compileFields(fields, lenient);
  const optionalCount = compiled.filter((f) => f.optional).length;
  const requiredCount = compiled.length - optionalCount;
  const masked = optionalCount > 0;
  const maxMask = 2 ** optionalCount;
  return {
    plain: false,
    encode(value) {
      const record = value as Record<string, unknown>;
      const out: unknown[] = masked ? [0] : [];
      let mask = 0;
      let bit = 1;
      for (const field of compiled) {
        const v = fieldValue(field, record);
        if (field.optional) {
          if (isPresent(field, record, v)) {
            mask |= bit;
            out.push(field.node.encode(v));
          }
          bit <<= 1;
        } else {
          out.push(field.node.encode(v));
        }
      }
      if (masked) out[0] = mask;
      return out;
    },
    decode(wire) {
      if (!Array.isArray(wire)) return fail("an array (a positional object)");
      let i = 0;
      let mask = 0;
      if (masked) {
        const m: unknown = wire[0];
        if (typeof m !== "number" || !Number.isInteger(m) || m < 0 || m >= maxMask) {
          fail(`a mask of ${optionalCount} optional field${optionalCount === 1 ? "" : "s"}`);
          return at("[0]");
        }
        mask = m;
        i = 1;
        let present = 0;
        for (let rest = mask; rest !== 0; rest &= rest - 1) present++;
        if (wire.length !== 1 + requiredCount + present) {
          return fail(`an array of ${1 + requiredCount + present} (mask ${mask} and the fields it flags)`);
        }
      } else if (wire.length !== requiredCount) {
        return fail(`an array of ${requiredCount} (a positional object)`);
      }
      const out: Record<string, unknown> = {};
      let bit = 1;
      for (const field of compiled) {
        if (field.optional) {
          const present = (mask & bit) !== 0;
          bit <<= 1;
          if (!present) continue;
        }
        const v = field.node.decode(wire[i++]);
        if (v === FAIL) return at(field.segment);
        out[field.key] = v;
      }
      return out;
    },
  };
}

/** `["keyed", fields]`: an object with the schema's keys (lenient: see `PlanCodecOptions`). */
function keyed(fields: readonly PlanField[], lenient: boolean): Node {
  const compiled = compileFields(fields, lenient);
  const plain = compiled.every((f) => f.node.plain);
  return {
    plain,
    encode: plain
      ? (value) => value
      : (value) => {
          const record = value as Record<string, unknown>;
          const out: Record<string, unknown> = {};
          for (const field of compiled) {
            const v = fieldValue(field, record);
            if (isPresent(field, record, v)) out[field.key] = field.node.encode(v);
          }
          return out;
        },
    decode(wire) {
      if (!isRecord(wire)) return fail("an object (a keyed object)");
      // Plain fields are checked in place (the text re-encodes to itself); others are rebuilt.
      const out: Record<string, unknown> = plain ? wire : {};
      let present = 0;
      for (const field of compiled) {
        const w = fieldValue(field, wire);
        if (w === undefined) {
          if (!field.optional && !lenient) {
            fail("a value (a required field)");
            return at(field.segment);
          }
          continue;
        }
        present++;
        const v = field.node.decode(w);
        if (v === FAIL) return at(field.segment);
        if (!plain) out[field.key] = v;
      }
      if (lenient) {
        // Keys this plan does not name go on to zod, which strips or refuses them.
        if (!plain) for (const key in wire) if (!(key in out)) out[key] = wire[key];
        return out;
      }
      let keys = 0;
      for (const _ in wire) keys++;
      if (keys !== present) return fail("no keys but the schema's");
      return out;
    },
  };
}
