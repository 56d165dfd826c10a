/**
 * A cookie session's codec, compiled once per session definition by walking its zod 4 schema (a
 * runtime compiler, not generated source: same wire format, built on first use and cached).
 *
 * Wire text (format 2): `[2, version, fingerprint, data]`, or with pending flash / messages
 * `[2, version, fingerprint, data, flash, messages]` (each superjson-serialized, `0` when absent).
 *
 * - `data` is JSON shaped like the data itself (keys kept, so older versions stay readable by
 *   migrations and a field added later simply is absent), with only what JSON cannot say converted
 *   where the schema puts it: Date → epoch ms, BigInt → decimal string, Map → `[[k, v], …]`,
 *   Set → `[…]`. A schema of JSON types only is written by one `JSON.stringify` of the data.
 * - Parts the schema cannot type (`z.any()`, `z.unknown()`, transforms, lazy, custom, loose objects,
 *   optional array items) are written as superjson `[json]` / `[json, meta]`.
 * - `fingerprint` hashes the schema (types, checks, defaults, refinement sources). When version and
 *   fingerprint match, the data was written and authenticated under this very schema, so decoding
 *   only checks its structure (types, required fields, no extra keys) instead of running zod; any
 *   other token is decoded leniently and then runs through migrations and full zod.
 * - Older tokens (superjson text, format 1) are still read, by `decodeEnvelope`.
 *
 * Limits, documented: `-0` is written as `0`; an optional field that is present as `undefined` reads
 * back as absent; migrations from a format-2 token receive the data in its stored JSON form (Dates as
 * epoch ms, BigInts as strings, Maps as pair arrays, Sets as arrays).
 */
import superjson from "superjson";
import type { z } from "zod";
import { decodeEnvelope, type Envelope } from "./codec.ts";
import type { ResolvedSession } from "./define.ts";
import { SatchelError } from "./errors.ts";
import type { Message } from "./types.ts";

/** The format tag: first element of every format-2 envelope. */
export const COMPACT_FORMAT = 2;

/** Returned by a node's decode when the wire value does not fit the schema. */
const FAIL: unique symbol = Symbol("satchel.codec.fail");
type Decoded = unknown;

/** What one schema node compiles to. */
interface NodeCodec {
  /** The wire form is the value itself: encoding needs no walk, decoding only checks. */
  readonly plain: boolean;
  /** Value → JSON-able wire value (identity when `plain`). */
  encode(value: unknown): unknown;
  /** Wire value → value, or `FAIL`; `strict` refuses extra and missing object keys. */
  decode(wire: unknown, strict: boolean): Decoded | typeof FAIL;
}

interface Field {
  readonly key: string;
  readonly codec: NodeCodec;
  /** The schema accepts the field being absent (its output may be `undefined`). */
  readonly optional: boolean;
}

type ZodNode = { _zod: { def: Record<string, unknown> & { type: string } } };
const defOf = (schema: unknown) => (schema as ZodNode)._zod.def;

const checked = (test: (wire: unknown) => boolean): NodeCodec => ({
  plain: true,
  encode: (value) => value,
  decode: (wire) => (test(wire) ? wire : FAIL),
});

const STRING = checked((w) => typeof w === "string");
const NUMBER = checked((w) => typeof w === "number");
const BOOLEAN = checked((w) => typeof w === "boolean");
const NULL = checked((w) => w === null);

const DATE: NodeCodec = {
  plain: false,
  encode: (value) => (value as Date).getTime(),
  decode: (wire) => (typeof wire === "number" ? new Date(wire) : FAIL),
};

const BIGINT_TEXT = /^-?\d+$/;
const BIGINT: NodeCodec = {
  plain: false,
  encode: (value) => (value as bigint).toString(),
  decode: (wire) => (typeof wire === "string" && BIGINT_TEXT.test(wire) ? BigInt(wire) : FAIL),
};

/** superjson for what the schema cannot type; the wire is always an array, never null. */
const SUPERJSON: NodeCodec = {
  plain: false,
  encode: superjsonWire,
  decode: (wire) => {
    if (!Array.isArray(wire) || wire.length < 1 || wire.length > 2) return FAIL;
    try {
      return superjson.deserialize(
        (wire.length === 1 ? { json: wire[0] } : { json: wire[0], meta: wire[1] }) as never,
      );
    } catch {
      return FAIL;
    }
  },
};

function superjsonWire(value: unknown): unknown[] {
  let out: { json: unknown; meta?: unknown };
  try {
    out = superjson.serialize(value) as { json: unknown; meta?: unknown };
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new SatchelError(
      `satchel: session data cannot be serialized (${reason}); rename or remove that field.`,
      { cause },
    );
  }
  return out.meta === undefined ? [out.json] : [out.json, out.meta];
}

/** How many superjson parts the schema being compiled has (compiling is synchronous). */
let superjsonParts = 0;
function fallback(): NodeCodec {
  superjsonParts++;
  return SUPERJSON;
}

/** True when the schema's output may be `undefined` (so an object key may be absent). */
function acceptsUndefined(schema: unknown): boolean {
  const result = (schema as z.ZodType).safeParse(undefined);
  return result.success && result.data === undefined;
}

/** Compiles one node that must never be `undefined` (array items, map entries, union options). */
function compileValue(schema: unknown): NodeCodec {
  return acceptsUndefined(schema) ? fallback() : compile(schema);
}

function compile(schema: unknown): NodeCodec {
  const def = defOf(schema);
  switch (def.type) {
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
    case "enum": {
      const values = new Set(Object.values(def.entries as Record<string, unknown>));
      return checked((w) => values.has(w as never));
    }
    case "literal": {
      const values = def.values as unknown[];
      if (
        !values.every(
          (v) => typeof v === "string" || typeof v === "number" || typeof v === "boolean" || v === null,
        )
      )
        return fallback();
      return checked((w) => (values as unknown[]).includes(w));
    }
    case "nullable":
      return nullable(compile(def.innerType));
    case "optional":
    case "default":
    case "prefault":
    case "nonoptional":
    case "readonly":
    case "catch":
      // Same output type as the inner schema; whether a key may be absent is the field's business.
      return compile(def.innerType);
    case "object":
      return compileObject(def);
    case "array":
      return array(compileValue(def.element));
    case "tuple":
      return def.rest === null || def.rest === undefined
        ? tuple((def.items as unknown[]).map(compileValue))
        : fallback();
    case "record":
      return record(def.keyType, compileValue(def.valueType));
    case "map":
      return map(compileValue(def.keyType), compileValue(def.valueType));
    case "set":
      return set(compileValue(def.valueType));
    case "union": {
      const options = (def.options as unknown[]).map(compileValue);
      return options.every((o) => o.plain) ? plainUnion(options) : fallback();
    }
    default:
      // any, unknown, pipe/transform, lazy, custom, intersection, …: superjson keeps them intact.
      return fallback();
  }
}

function nullable(inner: NodeCodec): NodeCodec {
  return {
    plain: inner.plain,
    encode: inner.plain ? (value) => value : (value) => (value === null ? null : inner.encode(value)),
    decode: (wire, strict) => (wire === null ? null : inner.decode(wire, strict)),
  };
}

function compileObject(def: Record<string, unknown>): NodeCodec {
  const catchall = def.catchall === undefined ? undefined : defOf(def.catchall).type;
  // A loose object or a catchall keeps keys the schema does not name: superjson keeps them.
  if (catchall !== undefined && catchall !== "never") return fallback();
  const shape = def.shape as Record<string, unknown>;
  const fields: Field[] = Object.keys(shape).map((key) => ({
    key,
    codec: compile(shape[key]),
    optional: acceptsUndefined(shape[key]),
  }));
  const plain = fields.every((f) => f.codec.plain);
  return {
    plain,
    encode: plain
      ? (value) => value
      : (value) => {
          const record = value as Record<string, unknown>;
          const out: Record<string, unknown> = {};
          for (const field of fields) {
            const v = record[field.key];
            // superjson parts keep a present `undefined` (`z.unknown()` set to undefined is a value).
            if (v !== undefined || (field.codec === SUPERJSON && field.key in record))
              out[field.key] = field.codec.encode(v);
          }
          return out;
        },
    decode(wire, strict) {
      if (typeof wire !== "object" || wire === null || Array.isArray(wire)) return FAIL;
      const record = wire as Record<string, unknown>;
      // Plain objects are checked in place; others are rebuilt with their converted values.
      const out: Record<string, unknown> = plain ? record : {};
      let present = 0;
      for (const field of fields) {
        const w = record[field.key];
        if (w === undefined) {
          if (strict && !field.optional) return FAIL;
          continue;
        }
        present++;
        const v = field.codec.decode(w, strict);
        if (v === FAIL) return FAIL;
        if (!plain) out[field.key] = v;
      }
      if (strict) {
        let keys = 0;
        for (const _ in record) keys++;
        if (keys !== present) return FAIL;
      } else if (!plain) {
        // Keys this schema does not know go on to zod, which strips or refuses them.
        for (const key in record) if (!(key in out) && key !== "__proto__") out[key] = record[key];
      }
      return out;
    },
  };
}

function array(item: NodeCodec): NodeCodec {
  return {
    plain: item.plain,
    encode: item.plain ? (value) => value : (value) => (value as unknown[]).map((v) => item.encode(v)),
    decode(wire, strict) {
      if (!Array.isArray(wire)) return FAIL;
      const out = item.plain ? wire : new Array<unknown>(wire.length);
      for (let i = 0; i < wire.length; i++) {
        const v = item.decode(wire[i], strict);
        if (v === FAIL) return FAIL;
        if (!item.plain) out[i] = v;
      }
      return out;
    },
  };
}

function tuple(items: NodeCodec[]): NodeCodec {
  const plain = items.every((i) => i.plain);
  return {
    plain,
    encode: plain ? (value) => value : (value) => (value as unknown[]).map((v, i) => items[i]?.encode(v)),
    decode(wire, strict) {
      if (!Array.isArray(wire) || wire.length !== items.length) return FAIL;
      const out = plain ? wire : new Array<unknown>(wire.length);
      for (let i = 0; i < items.length; i++) {
        const v = (items[i] as NodeCodec).decode(wire[i], strict);
        if (v === FAIL) return FAIL;
        if (!plain) out[i] = v;
      }
      return out;
    },
  };
}

function record(keyType: unknown, value: NodeCodec): NodeCodec {
  const key = compile(keyType);
  if (!key.plain) return fallback(); // e.g. number keys zod coerces: leave them to superjson
  return {
    plain: value.plain,
    encode: value.plain
      ? (v) => v
      : (v) => {
          const out: Record<string, unknown> = {};
          for (const [k, item] of Object.entries(v as Record<string, unknown>)) out[k] = value.encode(item);
          return out;
        },
    decode(wire, strict) {
      if (typeof wire !== "object" || wire === null || Array.isArray(wire)) return FAIL;
      const source = wire as Record<string, unknown>;
      const out: Record<string, unknown> = value.plain ? source : {};
      for (const k in source) {
        if (k === "__proto__" || key.decode(k, strict) === FAIL) return FAIL;
        const v = value.decode(source[k], strict);
        if (v === FAIL) return FAIL;
        if (!value.plain) out[k] = v;
      }
      return out;
    },
  };
}

function map(key: NodeCodec, value: NodeCodec): NodeCodec {
  return {
    plain: false,
    encode: (v) => {
      const out: unknown[] = [];
      for (const [k, item] of v as Map<unknown, unknown>) out.push([key.encode(k), value.encode(item)]);
      return out;
    },
    decode(wire, strict) {
      if (!Array.isArray(wire)) return FAIL;
      const out = new Map<unknown, unknown>();
      for (const entry of wire) {
        if (!Array.isArray(entry) || entry.length !== 2) return FAIL;
        const k = key.decode(entry[0], strict);
        const v = value.decode(entry[1], strict);
        if (k === FAIL || v === FAIL) return FAIL;
        out.set(k, v);
      }
      return out;
    },
  };
}

function set(item: NodeCodec): NodeCodec {
  return {
    plain: false,
    encode: (v) => Array.from(v as Set<unknown>, (x) => item.encode(x)),
    decode(wire, strict) {
      if (!Array.isArray(wire)) return FAIL;
      const out = new Set<unknown>();
      for (const x of wire) {
        const v = item.decode(x, strict);
        if (v === FAIL) return FAIL;
        out.add(v);
      }
      return out;
    },
  };
}

function plainUnion(options: NodeCodec[]): NodeCodec {
  return {
    plain: true,
    encode: (value) => value,
    decode: (wire, strict) => {
      for (const option of options) if (option.decode(wire, strict) !== FAIL) return wire;
      return FAIL;
    },
  };
}

// ---- fingerprint ------------------------------------------------------------------------------

/**
 * A stable description of a schema: its defs, with child schemas described in place, functions
 * (refinements, default factories, transforms) by their source and regexes by their text.
 */
export function describeSchema(schema: unknown): string {
  const seen = new Set<unknown>();
  const describe = (node: unknown): unknown => {
    if (typeof node === "function") return `fn:${String(node)}`;
    if (node instanceof RegExp) return `re:${String(node)}`;
    if (typeof node === "bigint") return `bigint:${node}`;
    if (typeof node !== "object" || node === null) return node;
    if (seen.has(node)) return "[cycle]";
    seen.add(node);
    let out: unknown;
    if ("_zod" in node) out = describe((node as ZodNode)._zod.def);
    else if (Array.isArray(node)) out = node.map(describe);
    else if (node instanceof Date) out = `date:${node.getTime()}`;
    else {
      const record: Record<string, unknown> = {};
      for (const key of Object.keys(node).sort())
        record[key] = describe((node as Record<string, unknown>)[key]);
      out = record;
    }
    seen.delete(node);
    return out;
  };
  return JSON.stringify(describe(schema));
}

/** FNV-1a 32-bit of the description, base 36: short enough to ride in every token. */
export function schemaFingerprint(schema: unknown): string {
  const text = describeSchema(schema);
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(36);
}

// ---- the session codec ------------------------------------------------------------------------

/** An envelope read back, and whether its data needs migrations and zod. */
export interface ReadEnvelope {
  envelope: Envelope;
  /**
   * Written under this exact schema version and fingerprint, and structurally checked: the data is
   * final (no migrations, no zod).
   */
  trusted: boolean;
  /**
   * Trusted, and encoding the decoded envelope gives back exactly this text (no superjson parts, no
   * flash or messages): the text itself can be the change-detection snapshot.
   */
  canonical: boolean;
}

/** One cookie session's encoder and decoder. */
export interface SessionCodec {
  /** The schema fingerprint written into every token. */
  readonly fingerprint: string;
  /** Envelope → format-2 text. @throws SatchelError when a superjson part refuses the data. */
  encode(envelope: Envelope): string;
  /**
   * Text (format 2, or an older superjson token) → envelope.
   * @throws SatchelError when the text is neither (treat as malformed).
   */
  decode(text: string): ReadEnvelope;
}

const codecs = new WeakMap<ResolvedSession, SessionCodec>();

/** The codec of a session definition, compiled on first use and cached. */
export function codecFor(session: ResolvedSession): SessionCodec {
  let codec = codecs.get(session);
  if (codec === undefined) {
    codec = compileSessionCodec(session.schema, session.version);
    codecs.set(session, codec);
  }
  return codec;
}

/** Compiles the codec of a session schema at a data version. */
export function compileSessionCodec(schema: z.ZodType, version: number): SessionCodec {
  superjsonParts = 0;
  const data = compile(schema);
  const exact = superjsonParts === 0;
  const fingerprint = schemaFingerprint(schema);
  const head = `[${COMPACT_FORMAT},${version},${JSON.stringify(fingerprint)},`;
  return {
    fingerprint,
    encode(envelope) {
      const body = JSON.stringify(data.encode(envelope.data));
      if (envelope.flash === undefined && envelope.messages === undefined) return `${head}${body}]`;
      const flash = envelope.flash === undefined ? 0 : superjsonWire(envelope.flash);
      const messages = envelope.messages === undefined ? 0 : superjsonWire(envelope.messages);
      return `${head}${body},${JSON.stringify(flash)},${JSON.stringify(messages)}]`;
    },
    decode(text) {
      if (text.charCodeAt(0) !== 91 /* [ */) {
        return { envelope: decodeEnvelope(text), trusted: false, canonical: false };
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (cause) {
        throw new SatchelError("satchel: session envelope is not valid JSON.", { cause });
      }
      if (
        !Array.isArray(parsed) ||
        (parsed.length !== 4 && parsed.length !== 6) ||
        parsed[0] !== COMPACT_FORMAT ||
        !Number.isInteger(parsed[1]) ||
        typeof parsed[2] !== "string"
      ) {
        throw new SatchelError("satchel: session envelope has an unknown layout.");
      }
      const [, storedVersion, storedFingerprint, wire] = parsed as [number, number, string, unknown];
      const envelope: Envelope = { version: storedVersion, data: wire };
      let trusted = false;
      if (storedVersion === version) {
        const strict = storedFingerprint === fingerprint;
        const value = data.decode(wire, strict);
        if (value !== FAIL) {
          envelope.data = value;
          trusted = strict;
        } else if (strict) {
          throw new SatchelError("satchel: session data does not have the structure its schema writes.");
        }
      }
      if (parsed.length === 6) {
        const flash = parsed[4] === 0 ? undefined : SUPERJSON.decode(parsed[4], false);
        const messages = parsed[5] === 0 ? undefined : SUPERJSON.decode(parsed[5], false);
        if (flash === FAIL || !isFlashRecord(flash)) {
          throw new SatchelError("satchel: session envelope has a malformed flash field.");
        }
        if (messages === FAIL || (messages !== undefined && !Array.isArray(messages))) {
          throw new SatchelError("satchel: session envelope has a malformed messages field.");
        }
        if (flash !== undefined) envelope.flash = flash;
        if (messages !== undefined) envelope.messages = messages as Message[];
      }
      return { envelope, trusted, canonical: trusted && exact && parsed.length === 4 };
    },
  };
}

function isFlashRecord(value: unknown): value is Record<string, unknown[]> | undefined {
  if (value === undefined) return true;
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  return Object.values(value).every(Array.isArray);
}
