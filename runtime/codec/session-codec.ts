/**
 * A session's codec: what cookie sessions seal (and store sessions may store).
 *
 * Format 3 (written through the codec the generator emitted for the session, see plan.ts):
 * `[3, version, layout, checks, data]`, or with pending flash / messages
 * `[3, version, layout, checks, data, flash, messages]`. `data` is positional (no key names), as the
 * session's plan lays it out; `layout` is the plan's hash and `checks` the schema fingerprint the
 * generator computed (a constant in the generated module, so minifying cannot change it). A token of
 * the current layout is read by the generated decode (or the plan interpreter, when the generated
 * codec is stale or missing); one of an earlier layout by the interpreter over the plan kept in the
 * generated codec's history; one of a layout neither knows is malformed (`UnknownLayoutError`).
 *
 * Format 2 (the runtime codec, compiled once per session definition by walking its zod 4 schema;
 * still written when there is no up-to-date generated codec):
 * `[2, version, fingerprint, data]`, or `[2, version, fingerprint, data, flash, messages]`.
 *
 * - `data` is JSON shaped like the data itself (keys kept, so older versions stay readable by
 *   migrations and a field added later simply is absent), with only what JSON cannot say converted
 *   where the schema puts it: Date → epoch ms, BigInt → decimal string, Map → `[[k, v], …]`,
 *   Set → `[…]`. A schema of JSON types only is written by one `JSON.stringify` of the data.
 * - Parts the schema cannot type (`z.any()`, `z.unknown()`, transforms, lazy, custom, loose objects,
 *   optional array items) are written as superjson `[json]` / `[json, meta]`; so are flash and
 *   messages in both formats (`0` when absent).
 * - `fingerprint` hashes the schema (types, checks, defaults, refinement sources).
 *
 * Trust, both formats: when the token was authenticated (sealed by this app), its version is the
 * session's and its fingerprint / checks are the ones this build writes, the data was validated
 * under this very schema, so decoding only checks its structure instead of running zod. Any other
 * token (older version, other checks, older layout, store records) is decoded, then runs through
 * migrations and full zod. Older tokens (superjson text, format 1) are still read, by `decodeEnvelope`.
 *
 * Limits, documented: `-0` is written as `0`; an optional field that is present as `undefined` reads
 * back as absent; migrations from a format-2 token receive the data in its stored JSON form (Dates as
 * epoch ms, BigInts as strings, Maps as pair arrays, Sets as arrays); from a format-3 token, typed.
 */
import type { z } from "zod";
import type { ResolvedSession } from "../define.ts";
import { SatchelError } from "../errors.ts";
import type { Message } from "../types.ts";
import { decodeEnvelope, type Envelope, encodeEnvelope } from "./compress.ts";
import { acceptsUndefined, type GeneratedCodec, layoutHash, type Plan, planOf, shortHash } from "./plan.ts";
import { decodeSuperjsonPart, encodeSuperjsonPart, type PlanCodec, planCodec } from "./plan-interpreter.ts";

/** The format tag of the runtime codec's envelopes. */
export const COMPACT_FORMAT = 2;
/** The format tag of envelopes written through a generated codec (positional data). */
export const PLAN_FORMAT = 3;

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
  encode: encodeSuperjsonPart,
  decode: (wire) => {
    try {
      return decodeSuperjsonPart(wire);
    } catch {
      return FAIL;
    }
  },
};

/** How many superjson parts the schema being compiled has (compiling is synchronous). */
let superjsonParts = 0;
function fallback(): NodeCodec {
  superjsonParts++;
  return SUPERJSON;
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

/** A short hash of the schema's description: short enough to ride in every token. */
export function schemaFingerprint(schema: unknown): string {
  return shortHash(describeSchema(schema));
}

// ---- the session codec ------------------------------------------------------------------------

/** An envelope read back, and whether its data needs migrations and zod. */
export interface ReadEnvelope {
  envelope: Envelope;
  /**
   * Authenticated, written under this exact schema version and checks fingerprint, and structurally
   * checked: the data is final (no migrations, no zod).
   */
  trusted: boolean;
  /**
   * Trusted, and encoding the decoded envelope gives back exactly this text (same format, no
   * superjson parts, no flash or messages): the text itself can be the change-detection snapshot.
   */
  canonical: boolean;
}

/** One session's encoder and decoder. */
export interface SessionCodec {
  /** The runtime schema fingerprint format-2 tokens carry. */
  readonly fingerprint: string;
  /** The format `encode` writes: 3 through the session's generated codec, else 2. */
  readonly format: typeof COMPACT_FORMAT | typeof PLAN_FORMAT;
  /**
   * Envelope of validated data → the text to seal or store.
   * @throws SatchelError when a superjson part refuses the data.
   */
  encode(envelope: Envelope): string;
  /**
   * The text change detection compares, for data in any state a handle can hold (a fresh session
   * missing required fields, a value of the wrong type set a moment ago): `encode`'s text when the
   * data fits the layout, else a superjson text that still tells states apart. Never written: a
   * write validates first, and valid data gets `encode`'s text here too.
   */
  snapshot(envelope: Envelope): string;
  /**
   * Text (format 3, 2, or an older superjson token) → envelope.
   * @param authenticated `true` only for text this app sealed and AES-GCM authenticated (a cookie
   *   token): only such text can be trusted. Default `false` (e.g. a store record): the data always
   *   goes through migrations and zod.
   * @throws SatchelError when the text is none of them (treat as malformed); `UnknownLayoutError`
   *   when it is format 3 of a layout this build does not know.
   */
  decode(text: string, authenticated?: boolean): ReadEnvelope;
}

/** A format-3 token written under a layout this build has no plan for (not current, not history). */
export class UnknownLayoutError extends SatchelError {
  override name = "UnknownLayoutError";
  /** For the onInvalid report. */
  readonly detail: string;
  constructor(readonly layout: string) {
    const detail =
      `the token was written under layout "${layout}", which this build does not know ` +
      "(neither the session's current layout nor one in its generated history)";
    super(`satchel: ${detail}.`);
    this.detail = detail;
  }
}

/** What a session schema compiles to at runtime; the same for every satchel over the schema. */
interface CompiledSchema {
  /** Format-2 data codec. */
  readonly data: NodeCodec;
  /** Format 2 has no superjson parts: decoded data re-encodes to the same text. */
  readonly exact: boolean;
  readonly fingerprint: string;
  readonly plan: Plan;
  readonly layout: string;
  /** The plan has no superjson parts. */
  readonly planExact: boolean;
  /** The interpreter of `plan`, built on first use. */
  planCodec(): PlanCodec;
}

const compiledSchemas = new WeakMap<object, CompiledSchema>();

function compileSchema(schema: z.ZodType): CompiledSchema {
  let compiled = compiledSchemas.get(schema);
  if (compiled !== undefined) return compiled;
  superjsonParts = 0;
  const data = compile(schema);
  const exact = superjsonParts === 0;
  const plan = planOf(schema);
  let interpreter: PlanCodec | undefined;
  compiled = {
    data,
    exact,
    fingerprint: schemaFingerprint(schema),
    plan,
    layout: layoutHash(plan),
    planExact: !JSON.stringify(plan).includes('"superjson"'),
    planCodec: () => {
      interpreter ??= planCodec(plan);
      return interpreter;
    },
  };
  compiledSchemas.set(schema, compiled);
  return compiled;
}

const codecs = new WeakMap<ResolvedSession, SessionCodec>();

/**
 * The runtime codec of a session definition (format 2 out; formats 1, 2 and 3 of the current
 * layout in), compiled on first use and cached. A satchel with generated codecs resolves its
 * sessions' codecs with `createCodecResolver` instead.
 */
export function codecFor(session: ResolvedSession): SessionCodec {
  let codec = codecs.get(session);
  if (codec === undefined) {
    codec = compileSessionCodec(session.schema, session.version);
    codecs.set(session, codec);
  }
  return codec;
}

/**
 * Resolves each session's codec once, for one satchel: the generated codec when it was generated
 * from this very schema (layout) and version, else the runtime codec, warning once per session
 * through `warn` that the generated one is stale.
 */
export function createCodecResolver(
  generated: Readonly<Record<string, GeneratedCodec>> | undefined,
  warn: (message: string) => void,
): (session: ResolvedSession) => SessionCodec {
  const resolved = new Map<ResolvedSession, SessionCodec>();
  return (session) => {
    let codec = resolved.get(session);
    if (codec === undefined) {
      const own = generated !== undefined && Object.hasOwn(generated, session.name);
      codec = own
        ? compileSessionCodec(session.schema, session.version, generated[session.name], () =>
            warn(
              `satchel: the generated codec of session "${session.name}" does not match sessions.schema.ts ` +
                "(run npm run gen); using the slower runtime codec until then.",
            ),
          )
        : codecFor(session);
      resolved.set(session, codec);
    }
    return codec;
  };
}

/**
 * Compiles the codec of a session schema at a data version. With a `generated` codec of the same
 * layout and version, it writes format 3 through it; with a stale one it writes format 2, calls
 * `onStale`, and still reads the stale codec's layout and history.
 */
export function compileSessionCodec(
  schema: z.ZodType,
  version: number,
  generated?: GeneratedCodec,
  onStale?: () => void,
): SessionCodec {
  const compiled = compileSchema(schema);
  const { data, fingerprint, layout } = compiled;
  const fresh = generated !== undefined && generated.layout === layout && generated.version === version;
  if (generated !== undefined && !fresh) onStale?.();
  const format = fresh ? PLAN_FORMAT : COMPACT_FORMAT;
  const history = generated?.history ?? {};
  /** Checks a trusted format-3 token carries: the generator's constant (minifying cannot change it). */
  const checks = fresh ? generated.checks : fingerprint;
  const head = fresh
    ? `[${PLAN_FORMAT},${version},${JSON.stringify(layout)},${JSON.stringify(checks)},`
    : `[${COMPACT_FORMAT},${version},${JSON.stringify(fingerprint)},`;
  const encodeData: (value: unknown) => unknown = fresh
    ? (value) => generated.encode(value)
    : (value) => data.encode(value);
  /** The generated decode, for tokens of its layout (the current one unless it is stale). */
  const generatedDecode =
    generated?.layout === layout ? (wire: unknown) => generated.decode(wire) : undefined;
  /** Layout hash → decoder of earlier layouts, built on first use. */
  const older = new Map<string, (wire: unknown) => unknown>();
  const decoderOf = (tokenLayout: string): ((wire: unknown) => unknown) | undefined => {
    if (tokenLayout === layout) return generatedDecode ?? compiled.planCodec().decode;
    let decoder = older.get(tokenLayout);
    if (decoder === undefined) {
      // A stale generated codec still reads its own layout; the history reads the ones before.
      if (generated?.layout === tokenLayout) decoder = (wire) => generated.decode(wire);
      else if (Object.hasOwn(history, tokenLayout)) decoder = planCodec(history[tokenLayout] as Plan).decode;
      else return undefined;
      older.set(tokenLayout, decoder);
    }
    return decoder;
  };

  /** Keys a positional root must have (`undefined` there would read back as `null` or not at all). */
  const required =
    fresh && typeof compiled.plan !== "string" && compiled.plan[0] === "object"
      ? compiled.plan[1].filter(([, , optional]) => !optional).map(([key]) => key)
      : [];
  const encode = (envelope: Envelope): string => {
    const body = JSON.stringify(encodeData(envelope.data));
    if (envelope.flash === undefined && envelope.messages === undefined) return `${head}${body}]`;
    const flash = envelope.flash === undefined ? 0 : encodeSuperjsonPart(envelope.flash);
    const messages = envelope.messages === undefined ? 0 : encodeSuperjsonPart(envelope.messages);
    return `${head}${body},${JSON.stringify(flash)},${JSON.stringify(messages)}]`;
  };

  return {
    fingerprint,
    format,
    encode,
    snapshot(envelope) {
      const record = envelope.data as Record<string, unknown> | null;
      let fits = typeof record === "object" && record !== null;
      for (let i = 0; fits && i < required.length; i++) {
        fits = (record as Record<string, unknown>)[required[i] as string] !== undefined;
      }
      if (fits) {
        try {
          return encode(envelope);
        } catch {
          // A value of the wrong type (a Date field set to text): compared as superjson below.
        }
      }
      return encodeEnvelope(envelope);
    },
    decode(text, authenticated = false) {
      if (text.charCodeAt(0) !== 91 /* [ */) {
        return { envelope: decodeEnvelope(text), trusted: false, canonical: false };
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (cause) {
        throw new SatchelError("satchel: session envelope is not valid JSON.", { cause });
      }
      if (!Array.isArray(parsed) || !Number.isInteger(parsed[1])) {
        throw new SatchelError("satchel: session envelope has an unknown layout.");
      }
      const storedVersion = parsed[1] as number;
      let envelope: Envelope;
      let trusted = false;
      let tail: number;
      if (parsed[0] === PLAN_FORMAT && (parsed.length === 5 || parsed.length === 7)) {
        const [, , tokenLayout, tokenChecks, wire] = parsed as [number, number, unknown, unknown, unknown];
        if (typeof tokenLayout !== "string" || typeof tokenChecks !== "string") {
          throw new SatchelError("satchel: session envelope has an unknown layout.");
        }
        const decoder = decoderOf(tokenLayout);
        if (decoder === undefined) {
          // A newer deploy's token is left to migrateData to report (and its cookie kept).
          if (storedVersion > version) envelope = { version: storedVersion, data: undefined };
          else throw new UnknownLayoutError(tokenLayout);
        } else {
          let value: unknown;
          try {
            value = decoder(wire);
          } catch (cause) {
            throw new SatchelError("satchel: session data does not have the structure its layout writes.", {
              cause,
            });
          }
          envelope = { version: storedVersion, data: value };
          trusted =
            authenticated && tokenLayout === layout && storedVersion === version && tokenChecks === checks;
        }
        tail = 5;
      } else if (parsed[0] === COMPACT_FORMAT && (parsed.length === 4 || parsed.length === 6)) {
        if (typeof parsed[2] !== "string") {
          throw new SatchelError("satchel: session envelope has an unknown layout.");
        }
        const wire: unknown = parsed[3];
        envelope = { version: storedVersion, data: wire };
        if (storedVersion === version) {
          const strict = authenticated && parsed[2] === fingerprint;
          const value = data.decode(wire, strict);
          if (value !== FAIL) {
            envelope.data = value;
            trusted = strict;
          } else if (strict) {
            throw new SatchelError("satchel: session data does not have the structure its schema writes.");
          }
        }
        tail = 4;
      } else {
        throw new SatchelError("satchel: session envelope has an unknown layout.");
      }
      if (parsed.length > tail) readPending(envelope, parsed[tail], parsed[tail + 1]);
      const exact = parsed[0] === PLAN_FORMAT ? compiled.planExact : compiled.exact;
      return {
        envelope,
        trusted,
        canonical: trusted && exact && parsed.length === tail && parsed[0] === format,
      };
    },
  };
}

/** Flash and messages of a format-2 or 3 envelope: superjson wires, or `0` when absent. */
function readPending(envelope: Envelope, flashWire: unknown, messagesWire: unknown): void {
  const flash = flashWire === 0 ? undefined : SUPERJSON.decode(flashWire, false);
  const messages = messagesWire === 0 ? undefined : SUPERJSON.decode(messagesWire, false);
  if (flash === FAIL || !isFlashRecord(flash)) {
    throw new SatchelError("satchel: session envelope has a malformed flash field.");
  }
  if (messages === FAIL || (messages !== undefined && !Array.isArray(messages))) {
    throw new SatchelError("satchel: session envelope has a malformed messages field.");
  }
  if (flash !== undefined) envelope.flash = flash;
  if (messages !== undefined) envelope.messages = messages as Message[];
}

function isFlashRecord(value: unknown): value is Record<string, unknown[]> | undefined {
  if (value === undefined) return true;
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  return Object.values(value).every(Array.isArray);
}
