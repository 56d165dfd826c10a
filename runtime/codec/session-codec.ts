/**
 * A session's codec: what cookie sessions seal (and store sessions may store), in whichever format
 * this build writes for the session, and every format a token of it may be in.
 *
 * Format 4, positional with one key: `[4, version, key, data]`, or with pending flash / messages
 * `[4, version, key, data, flash, messages]`. `data` is positional (no key names), as the session's
 * plan lays it out (plan.ts); `key` is `positionalKey(layout, checks)`: one hash of the plan's layout
 * hash and the live schema's `checksHash` (functions as bare markers, so minifying cannot change it;
 * fingerprint.ts). Written only when every later build can find the plan under `key`:
 * - through the codec the generator emitted for the session, while it is up to date (layout,
 *   version) and its `key` is the live schema's (the generator keeps that key in the snapshot, so
 *   later modules carry its plan in their history). A module from before format 4 (no `key`) or
 *   one generated for other checks writes format 3 instead: its key is in no snapshot.
 * - without an up-to-date generated codec, through the plan interpreter once the satchel's
 *   `LayoutSource` has recorded the plan under `key` (session/layout-history.ts).
 *
 * Format 3, positional: `[3, version, layout, checks, data]` (or `…, flash, messages]`), the same
 * data with the layout hash and the checks hash apart. Written through a generated codec without
 * a `key` or with stale checks; tokens of earlier builds are in users' browsers and read as ever.
 *
 * Reading formats 3 and 4: a token of the current layout (format 3) or key (format 4) is read by the
 * generated decode (or the plan interpreter, when the generated codec is stale or missing); any
 * other hash by the interpreter over the plan kept under it in the generated codec's history
 * (which holds every hash a token may carry: layout hashes and keys) or found by the `LayoutSource`;
 * a hash none knows is malformed (`UnknownLayoutError`).
 *
 * Format 2, keyed (keyed-format.ts): written when there is no up-to-date generated codec and the
 * layout is not recorded (yet, or ever: a store that keeps nothing past the process). Flash and
 * messages ride as superjson parts in formats 2 to 4 (`0` when absent). Format 1 (superjson text,
 * envelope.ts) is still read.
 *
 * Trust, formats 2 to 4: when the token was authenticated (sealed by this app), its version is the
 * session's and its fingerprint / layout and checks / key are the ones this build writes, the data
 * was validated under this very schema, so decoding only checks its structure instead of running
 * zod, unless the schema runs the app's functions (checks.ts: then zod runs on every read). Any
 * other token (older version, other checks, older layout, format 1, store records) is decoded, then
 * runs through migrations and full zod. Migrations get positional data typed (Dates as Dates).
 */
import type { z } from "zod";
import type { ResolvedSession } from "../define.ts";
import { SatchelError } from "../errors.ts";
import type { Message } from "../types.ts";
import { runsUserCode } from "./checks.ts";
import {
  decodeEnvelope,
  decodeSuperjsonPart,
  type Envelope,
  encodeEnvelope,
  encodeSuperjsonPart,
  isFlashRecord,
} from "./envelope.ts";
import { checksHash, schemaFingerprint } from "./fingerprint.ts";
import { KEYED_FORMAT, type KeyedFormat, keyedFormat } from "./keyed-format.ts";
import {
  type GeneratedCodec,
  hasSuperjsonPart,
  layoutHash,
  type Plan,
  planOf,
  positionalKey,
} from "./plan.ts";
import { type PlanCodec, planCodec } from "./plan-interpreter.ts";

/** The format tag of positional envelopes with a layout hash and a checks hash. */
const POSITIONAL_FORMAT = 3;
/** The format tag of positional envelopes with one key for layout and checks (`positionalKey`). */
const KEY_FORMAT = 4;

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
  /**
   * The format `encode` writes: positional through the session's up-to-date generated codec (4, or 3
   * for a module without the live key), or the plan interpreter once the session's plan is recorded
   * (4: see `LayoutSource`); else keyed (2).
   */
  readonly format: typeof KEYED_FORMAT | typeof POSITIONAL_FORMAT | typeof KEY_FORMAT;
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
   * Text (format 4, 3, 2, or an older superjson token) → envelope.
   * @param authenticated `true` only for text this app sealed and AES-GCM authenticated (a cookie
   *   token): only such text can be trusted. Default `false` (e.g. a store record): the data always
   *   goes through migrations and zod.
   * @throws SatchelError when the text is none of them (treat as malformed); `UnknownLayoutError`
   *   when it is format 3 or 4 of a layout (key) this build does not know.
   */
  decode(text: string, authenticated?: boolean): ReadEnvelope;
  /**
   * The generated codec's constraint check, when it may replace zod on write: the codec is up to
   * date (layout, version and checks hash equal the live schema's) and the schema runs none of the
   * app's functions. True: the data is valid and already what zod would return. False: ask zod.
   */
  readonly accepts?: (data: unknown) => boolean;
}

/**
 * A format-3 or 4 token written under a layout this build has no plan for (not current, not history).
 * `layout` is the hash the token carries: a layout hash (format 3) or a positional key (format 4).
 */
export class UnknownLayoutError extends SatchelError {
  override name = "UnknownLayoutError";
  /** For the onInvalid report. */
  readonly detail: string;
  constructor(readonly layout: string) {
    const detail =
      `the token was written under layout "${layout}", which this build does not know ` +
      "(not the session's current layout, not in its generated history, not recorded in the app's " +
      "store); the session starts fresh. Keep generated/sessions.snapshot.json committed so " +
      "npm run gen carries earlier layouts, and give satchel a store that keeps records";
    super(`satchel: ${detail}.`);
    this.detail = detail;
  }
}

/** What a session schema compiles to at runtime; the same for every satchel over the schema. */
interface CompiledSchema {
  readonly keyed: KeyedFormat;
  readonly fingerprint: string;
  /** `checksHash(schema)`: what format-3 tokens carry and generated codecs are compared by. */
  readonly checks: string;
  /** The schema runs the app's functions: zod runs on every read (see checks.ts). */
  readonly userCode: boolean;
  readonly plan: Plan;
  readonly layout: string;
  /** `positionalKey(layout, checks)`: what format-4 tokens carry. */
  readonly key: string;
  /** The plan has no superjson parts. */
  readonly planExact: boolean;
  /** The interpreter of `plan`, built on first use. */
  planCodec(): PlanCodec;
}

const compiledSchemas = new WeakMap<object, CompiledSchema>();

function compileSchema(schema: z.ZodType): CompiledSchema {
  let compiled = compiledSchemas.get(schema);
  if (compiled !== undefined) return compiled;
  const plan = planOf(schema);
  let interpreter: PlanCodec | undefined;
  const layout = layoutHash(plan);
  const checks = checksHash(schema);
  compiled = {
    keyed: keyedFormat(schema),
    fingerprint: schemaFingerprint(schema),
    checks,
    userCode: runsUserCode(schema),
    plan,
    layout,
    key: positionalKey(layout, checks),
    planExact: !hasSuperjsonPart(plan),
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
 * What a satchel knows of a session's layouts beyond its schema and generated codec (kept where the
 * codec layer does not reach: session/layout-history.ts keeps them in the app's store).
 */
export interface LayoutSource {
  /**
   * The session may write format 4 without an up-to-date generated codec: its current plan is
   * recorded under its positional key where every later build can read it.
   */
  positional(session: ResolvedSession): boolean;
  /**
   * The recorded plan under `hash`, a layout hash (format 3) or a positional key (format 4), already
   * checked (its shape is valid and it hashes to `hash`); else undefined.
   */
  plan(session: ResolvedSession, hash: string): Plan | undefined;
}

/** A session's runtime codecs, keyed (format 2) and positional (format 4, made on first use). */
interface RuntimeCodecs {
  readonly keyed: SessionCodec;
  positional?: SessionCodec;
}

/**
 * Resolves each session's codec once, for one satchel: the generated one when it was generated from
 * this very schema (layout) and version, else the runtime codec, warning once per session through
 * `warn` that the generated one is stale. With `layouts`, every codec also reads the plans it
 * records, and a session without an up-to-date generated codec writes format 4 through the plan
 * interpreter while `layouts.positional(session)` says so (format 2 otherwise).
 */
export function createCodecResolver(
  generated: Readonly<Record<string, GeneratedCodec>> | undefined,
  warn: (message: string) => void,
  layouts?: LayoutSource,
): (session: ResolvedSession) => SessionCodec {
  /** Codecs that never change: up-to-date generated ones, or every one without `layouts`. */
  const fixed = new Map<ResolvedSession, SessionCodec>();
  const runtimeCodecs = new Map<ResolvedSession, RuntimeCodecs>();
  /** The session's generated codec, up to date or not; an own property only (a name may be "constructor"). */
  const generatedOf = (session: ResolvedSession): GeneratedCodec | undefined =>
    generated !== undefined && Object.hasOwn(generated, session.name) ? generated[session.name] : undefined;
  const compile = (session: ResolvedSession): SessionCodec => {
    const own = generatedOf(session);
    const recorded =
      layouts === undefined ? undefined : { plan: (layout: string) => layouts.plan(session, layout) };
    if (own === undefined) {
      return recorded === undefined
        ? codecFor(session)
        : compileSessionCodec(session.schema, session.version, undefined, undefined, undefined, recorded);
    }
    return compileSessionCodec(
      session.schema,
      session.version,
      own,
      () =>
        warn(
          `satchel: the generated codec of session "${session.name}" does not match sessions.schema.ts ` +
            "(run npm run gen); using the slower runtime codec until then.",
        ),
      () => {
        if (globalThis.process?.env?.NODE_ENV === "production") return;
        warn(
          `satchel: the generated codec of session "${session.name}" was generated for other checks ` +
            "than sessions.schema.ts declares (run npm run gen); until then zod validates its writes " +
            "and every cookie this build did not write.",
        );
      },
      recorded,
    );
  };
  const runtimeCodecOf = (session: ResolvedSession, source: LayoutSource): SessionCodec => {
    let codecs = runtimeCodecs.get(session);
    if (codecs === undefined) {
      const codec = compile(session);
      if (codec.format !== KEYED_FORMAT) {
        fixed.set(session, codec);
        return codec;
      }
      codecs = { keyed: codec };
      runtimeCodecs.set(session, codecs);
    }
    if (!source.positional(session)) return codecs.keyed;
    codecs.positional ??= compileSessionCodec(
      session.schema,
      session.version,
      generatedOf(session),
      undefined,
      undefined,
      { positional: true, plan: (layout) => source.plan(session, layout) },
    );
    return codecs.positional;
  };
  return (session) => {
    // The hot path of up-to-date generated codecs: one lookup.
    let codec = fixed.get(session);
    if (codec !== undefined) return codec;
    if (layouts !== undefined) return runtimeCodecOf(session, layouts);
    codec = compile(session);
    fixed.set(session, codec);
    return codec;
  };
}

/** What `compileSessionCodec` takes from a satchel's `LayoutSource` for one session. */
interface RecordedLayouts {
  /** Write format 4 through the plan interpreter (there is no up-to-date generated codec). */
  readonly positional?: boolean;
  /** A checked plan under a layout hash or key neither the schema nor the generated history has. */
  plan(hash: string): Plan | undefined;
}

/**
 * Compiles the codec of a session schema at a data version. With a `generated` codec of the same
 * layout and version, it writes format 4 through it (format 3 when the module has no `key` or its
 * key is not the live schema's); with a stale one it writes format 2, calls `onStale`, and still
 * reads the stale codec's layout and history. A generated codec of the same layout whose checks hash
 * is not the live schema's stays in use for the wire, but its constraint check is not: zod
 * validates writes, and `onChecksStale` is called. `recorded` (from a satchel's `LayoutSource`) adds
 * plans recorded outside the generated module and, with `positional`, has a session without an
 * up-to-date generated codec write format 4 through the plan interpreter: the same text the
 * generated codec would write.
 */
export function compileSessionCodec(
  schema: z.ZodType,
  version: number,
  generated?: GeneratedCodec,
  onStale?: () => void,
  onChecksStale?: () => void,
  recorded?: RecordedLayouts,
): SessionCodec {
  const compiled = compileSchema(schema);
  const { keyed, fingerprint, layout, key } = compiled;
  const fresh = generated !== undefined && generated.layout === layout && generated.version === version;
  if (generated !== undefined && !fresh) onStale?.();
  const checksCurrent = fresh && generated.checks === compiled.checks;
  if (fresh && !checksCurrent) onChecksStale?.();
  /**
   * Format 4 needs every later build to find the plan under `key`: a generated module's key is kept
   * in the snapshot only when it is the live one (the module was generated from these checks), and
   * the `LayoutSource` says `positional` only once it recorded the plan under it. A fresh module
   * without that key still writes positional data, in format 3, whose layout hash its snapshot keeps.
   */
  const format = fresh
    ? generated.key === key
      ? KEY_FORMAT
      : POSITIONAL_FORMAT
    : recorded?.positional === true
      ? KEY_FORMAT
      : KEYED_FORMAT;
  /**
   * Checks a trusted format-3 token carries (and format-4 keys are made of): the live schema's hash,
   * recomputed here, never the generated constant (a stale module must not vouch for a tightened schema).
   */
  const checks = compiled.checks;
  const accepts =
    checksCurrent && !compiled.userCode && generated.check !== undefined ? generated.check : undefined;
  const head =
    format === KEY_FORMAT
      ? `[${KEY_FORMAT},${version},${JSON.stringify(key)},`
      : format === POSITIONAL_FORMAT
        ? `[${POSITIONAL_FORMAT},${version},${JSON.stringify(layout)},${JSON.stringify(checks)},`
        : `[${KEYED_FORMAT},${version},${JSON.stringify(fingerprint)},`;
  const encodeData: (value: unknown) => unknown = fresh
    ? (value) => generated.encode(value)
    : format === KEY_FORMAT
      ? compiled.planCodec().encode
      : keyed.encode;
  const decoderOf = positionalDecoders(compiled, generated, recorded);

  /** Keys a positional root must have (`undefined` there would read back as `null` or not at all). */
  const required =
    format !== KEYED_FORMAT && typeof compiled.plan !== "string" && compiled.plan[0] === "object"
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
    ...(accepts === undefined ? {} : { accepts }),
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
      let read: { envelope: Envelope; trusted: boolean };
      let tail: number;
      if (parsed[0] === KEY_FORMAT && (parsed.length === 4 || parsed.length === 6)) {
        // The app's functions run on every read: a schema with any is never trusted (checks.ts).
        const live = authenticated && storedVersion === version && parsed[2] === key && !compiled.userCode;
        read = readPositional(decoderOf, parsed[2], parsed[3], storedVersion, version, live);
        tail = 4;
      } else if (parsed[0] === POSITIONAL_FORMAT && (parsed.length === 5 || parsed.length === 7)) {
        if (typeof parsed[3] !== "string") {
          throw new SatchelError("satchel: session envelope has an unknown layout.");
        }
        const live =
          authenticated &&
          storedVersion === version &&
          parsed[2] === layout &&
          parsed[3] === checks &&
          !compiled.userCode;
        read = readPositional(decoderOf, parsed[2], parsed[4], storedVersion, version, live);
        tail = 5;
      } else if (parsed[0] === KEYED_FORMAT && (parsed.length === 4 || parsed.length === 6)) {
        if (typeof parsed[2] !== "string") {
          throw new SatchelError("satchel: session envelope has an unknown layout.");
        }
        const wire: unknown = parsed[3];
        read = { envelope: { version: storedVersion, data: wire }, trusted: false };
        // Another version's data is its migrations' business, in its stored form.
        if (storedVersion === version) {
          read.trusted = authenticated && parsed[2] === fingerprint && !compiled.userCode;
          read.envelope.data = read.trusted ? decodeTrustedKeyed(keyed, wire) : keyed.decodeUntrusted(wire);
        }
        tail = 4;
      } else {
        throw new SatchelError("satchel: session envelope has an unknown layout.");
      }
      const { envelope, trusted } = read;
      if (parsed.length > tail) readPending(envelope, parsed[tail], parsed[tail + 1]);
      const exact = parsed[0] === KEYED_FORMAT ? keyed.exact : compiled.planExact;
      return {
        envelope,
        trusted,
        canonical: trusted && exact && parsed.length === tail && parsed[0] === format,
      };
    },
  };
}

/**
 * The data of a format-3 or 4 token carrying `hash` (its layout hash or key), decoded by the plan
 * kept under it; `live`: the token is authenticated, of this version, its hash is the live schema's
 * and the schema runs no app function, so the data is trusted.
 * @throws UnknownLayoutError for a hash none knows, unless the token is a newer deploy's (then its
 *   data is left undefined, for migrateData to report).
 */
function readPositional(
  decoderOf: (hash: string) => ((wire: unknown) => unknown) | undefined,
  hash: unknown,
  wire: unknown,
  storedVersion: number,
  version: number,
  live: boolean,
): { envelope: Envelope; trusted: boolean } {
  if (typeof hash !== "string") throw new SatchelError("satchel: session envelope has an unknown layout.");
  const decoder = decoderOf(hash);
  if (decoder === undefined) {
    if (storedVersion > version)
      return { envelope: { version: storedVersion, data: undefined }, trusted: false };
    throw new UnknownLayoutError(hash);
  }
  let data: unknown;
  try {
    data = decoder(wire);
  } catch (cause) {
    throw new SatchelError("satchel: session data does not have the structure its layout writes.", { cause });
  }
  return { envelope: { version: storedVersion, data }, trusted: live };
}

/**
 * The decoders of positional tokens, by the hash they carry (layout hash or key): the current one's
 * (the generated decode, or the plan interpreter when the generated codec is stale or missing), a
 * stale generated codec's own, then plans of earlier layouts from the generated history or
 * `recorded`, built on first use; undefined for a hash none knows.
 */
function positionalDecoders(
  compiled: CompiledSchema,
  generated: GeneratedCodec | undefined,
  recorded: RecordedLayouts | undefined,
): (hash: string) => ((wire: unknown) => unknown) | undefined {
  const { layout, key } = compiled;
  const history = generated?.history ?? {};
  /** The generated decode, for tokens of its layout (the current one unless it is stale). */
  const generatedDecode =
    generated?.layout === layout ? (wire: unknown) => generated.decode(wire) : undefined;
  const older = new Map<string, (wire: unknown) => unknown>();
  return (hash) => {
    if (hash === layout || hash === key) return generatedDecode ?? compiled.planCodec().decode;
    let decoder = older.get(hash);
    if (decoder === undefined) {
      // A generated codec reads its own layout and key (stale, or generated for other checks); the
      // history reads the ones before.
      if (generated !== undefined && (generated.layout === hash || generated.key === hash)) {
        decoder = (wire) => generated.decode(wire);
      } else if (Object.hasOwn(history, hash)) decoder = planCodec(history[hash] as Plan).decode;
      else {
        // A plan a build without generated codecs recorded (checked by whoever found it).
        const plan = recorded?.plan(hash);
        if (plan === undefined) return undefined;
        decoder = planCodec(plan).decode;
      }
      older.set(hash, decoder);
    }
    return decoder;
  };
}

/** Trusted format-2 data; a wire its schema would not write is malformed (the cause says where). */
function decodeTrustedKeyed(keyed: KeyedFormat, wire: unknown): unknown {
  try {
    return keyed.decodeTrusted(wire);
  } catch (cause) {
    throw new SatchelError("satchel: session data does not have the structure its schema writes.", { cause });
  }
}

/** Flash and messages of a format-2 or 3 envelope: superjson parts, or `0` when absent. */
function readPending(envelope: Envelope, flashWire: unknown, messagesWire: unknown): void {
  const flash = flashWire === 0 ? undefined : pendingPart(flashWire);
  const messages = messagesWire === 0 ? undefined : pendingPart(messagesWire);
  if (flash === MALFORMED || (flash !== undefined && !isFlashRecord(flash))) {
    throw new SatchelError("satchel: session envelope has a malformed flash field.");
  }
  if (messages === MALFORMED || (messages !== undefined && !Array.isArray(messages))) {
    throw new SatchelError("satchel: session envelope has a malformed messages field.");
  }
  if (flash !== undefined) envelope.flash = flash;
  if (messages !== undefined) envelope.messages = messages as Message[];
}

const MALFORMED: unique symbol = Symbol("satchel.codec.malformed");

/** A pending part's value, or `MALFORMED` when the wire is not a superjson part. */
function pendingPart(wire: unknown): unknown {
  try {
    return decodeSuperjsonPart(wire);
  } catch {
    return MALFORMED;
  }
}
