/**
 * A session's codec: what cookie sessions seal (and store sessions may store), in whichever format
 * this build writes for the session, and every format a token of it may be in.
 *
 * Format 3, positional (written through the codec the generator emitted for the session, see plan.ts,
 * or without one through the plan interpreter once the satchel's `LayoutSource` has recorded the layout):
 * `[3, version, layout, checks, data]`, or with pending flash / messages
 * `[3, version, layout, checks, data, flash, messages]`. `data` is positional (no key names), as the
 * session's plan lays it out; `layout` is the plan's hash and `checks` the live schema's `checksHash`
 * (functions as bare markers, so minifying cannot change it; fingerprint.ts). A token of
 * the current layout is read by the generated decode (or the plan interpreter, when the generated
 * codec is stale or missing); one of an earlier layout by the interpreter over the plan kept in the
 * generated codec's history or found by the `LayoutSource`; one of a layout none knows is malformed
 * (`UnknownLayoutError`).
 *
 * Format 2, keyed (keyed-format.ts): written when there is no up-to-date generated codec and the
 * layout is not recorded (yet, or ever: a store that keeps nothing past the process). Flash and
 * messages ride as superjson parts in both formats (`0` when absent). Format 1 (superjson text,
 * envelope.ts) is still read.
 *
 * Trust, formats 2 and 3: when the token was authenticated (sealed by this app), its version is the
 * session's and its fingerprint / checks are the ones this build writes, the data was validated
 * under this very schema, so decoding only checks its structure instead of running zod, unless the
 * schema runs the app's functions (checks.ts: then zod runs on every read). Any other
 * token (older version, other checks, older layout, format 1, store records) is decoded, then runs
 * through migrations and full zod. Migrations get format-3 data typed (Dates as Dates).
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
import { type GeneratedCodec, hasSuperjsonPart, layoutHash, type Plan, planOf } from "./plan.ts";
import { type PlanCodec, planCodec } from "./plan-interpreter.ts";

/** The format tag of envelopes written through a generated codec (positional data). */
const POSITIONAL_FORMAT = 3;

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
   * The format `encode` writes: positional through the session's up-to-date generated codec (or the
   * plan interpreter, once the session's layout is recorded: see `LayoutSource`), else keyed.
   */
  readonly format: typeof KEYED_FORMAT | typeof POSITIONAL_FORMAT;
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
  /**
   * The generated codec's constraint check, when it may replace zod on write: the codec is up to
   * date (layout, version and checks hash equal the live schema's) and the schema runs none of the
   * app's functions. True: the data is valid and already what zod would return. False: ask zod.
   */
  readonly accepts?: (data: unknown) => boolean;
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
  readonly keyed: KeyedFormat;
  readonly fingerprint: string;
  /** `checksHash(schema)`: what format-3 tokens carry and generated codecs are compared by. */
  readonly checks: string;
  /** The schema runs the app's functions: zod runs on every read (see checks.ts). */
  readonly userCode: boolean;
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
  const plan = planOf(schema);
  let interpreter: PlanCodec | undefined;
  compiled = {
    keyed: keyedFormat(schema),
    fingerprint: schemaFingerprint(schema),
    checks: checksHash(schema),
    userCode: runsUserCode(schema),
    plan,
    layout: layoutHash(plan),
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
   * The session may write format 3 without an up-to-date generated codec: its current layout is
   * recorded where every later build can read it.
   */
  positional(session: ResolvedSession): boolean;
  /** A recorded plan of `layout`, already checked (its hash is `layout`, its shape valid); else undefined. */
  plan(session: ResolvedSession, layout: string): Plan | undefined;
}

/** A session's runtime codecs, keyed (format 2) and positional (format 3, made on first use). */
interface RuntimeCodecs {
  readonly keyed: SessionCodec;
  positional?: SessionCodec;
}

/**
 * Resolves each session's codec once, for one satchel: the generated one when it was generated from
 * this very schema (layout) and version, else the runtime codec, warning once per session through
 * `warn` that the generated one is stale. With `layouts`, every codec also reads the plans it
 * records, and a session without an up-to-date generated codec writes format 3 through the plan
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
      if (codec.format === POSITIONAL_FORMAT) {
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
  /** Write format 3 through the plan interpreter (there is no up-to-date generated codec). */
  readonly positional?: boolean;
  /** A checked plan of a layout neither the schema nor the generated history has. */
  plan(layout: string): Plan | undefined;
}

/**
 * Compiles the codec of a session schema at a data version. With a `generated` codec of the same
 * layout and version, it writes format 3 through it; with a stale one it writes format 2, calls
 * `onStale`, and still reads the stale codec's layout and history. A generated codec of the same
 * layout whose checks hash is not the live schema's stays in use for the wire, but its constraint
 * check is not: zod validates writes, and `onChecksStale` is called. `recorded` (from a satchel's
 * `LayoutSource`) adds plans of layouts recorded outside the generated module and, with `positional`,
 * has a session without an up-to-date generated codec write format 3 through the plan interpreter:
 * the same text the generated codec would write.
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
  const { keyed, fingerprint, layout } = compiled;
  const fresh = generated !== undefined && generated.layout === layout && generated.version === version;
  if (generated !== undefined && !fresh) onStale?.();
  const checksCurrent = fresh && generated.checks === compiled.checks;
  if (fresh && !checksCurrent) onChecksStale?.();
  /** Format 3 out: through the generated codec, else (its layout recorded) through the plan interpreter. */
  const positional = fresh || recorded?.positional === true;
  const format = positional ? POSITIONAL_FORMAT : KEYED_FORMAT;
  const history = generated?.history ?? {};
  /**
   * Checks a trusted format-3 token carries: the live schema's hash, recomputed here, never the
   * generated constant (a stale module must not vouch for a tightened schema).
   */
  const checks = compiled.checks;
  const accepts =
    checksCurrent && !compiled.userCode && generated.check !== undefined ? generated.check : undefined;
  const head = positional
    ? `[${POSITIONAL_FORMAT},${version},${JSON.stringify(layout)},${JSON.stringify(checks)},`
    : `[${KEYED_FORMAT},${version},${JSON.stringify(fingerprint)},`;
  const encodeData: (value: unknown) => unknown = fresh
    ? (value) => generated.encode(value)
    : positional
      ? compiled.planCodec().encode
      : keyed.encode;
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
      else {
        // A layout a build without generated codecs recorded (checked by whoever found it).
        const plan = recorded?.plan(tokenLayout);
        if (plan === undefined) return undefined;
        decoder = planCodec(plan).decode;
      }
      older.set(tokenLayout, decoder);
    }
    return decoder;
  };

  /** Keys a positional root must have (`undefined` there would read back as `null` or not at all). */
  const required =
    positional && typeof compiled.plan !== "string" && compiled.plan[0] === "object"
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
      let envelope: Envelope;
      let trusted = false;
      let tail: number;
      if (parsed[0] === POSITIONAL_FORMAT && (parsed.length === 5 || parsed.length === 7)) {
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
          // The app's functions run on every read: a schema with any is never trusted (checks.ts).
          trusted =
            authenticated &&
            tokenLayout === layout &&
            storedVersion === version &&
            tokenChecks === checks &&
            !compiled.userCode;
        }
        tail = 5;
      } else if (parsed[0] === KEYED_FORMAT && (parsed.length === 4 || parsed.length === 6)) {
        if (typeof parsed[2] !== "string") {
          throw new SatchelError("satchel: session envelope has an unknown layout.");
        }
        const wire: unknown = parsed[3];
        envelope = { version: storedVersion, data: wire };
        // Another version's data is its migrations' business, in its stored form.
        if (storedVersion === version) {
          trusted = authenticated && parsed[2] === fingerprint && !compiled.userCode;
          envelope.data = trusted ? decodeTrustedKeyed(keyed, wire) : keyed.decodeUntrusted(wire);
        }
        tail = 4;
      } else {
        throw new SatchelError("satchel: session envelope has an unknown layout.");
      }
      if (parsed.length > tail) readPending(envelope, parsed[tail], parsed[tail + 1]);
      const exact = parsed[0] === POSITIONAL_FORMAT ? compiled.planExact : keyed.exact;
      return {
        envelope,
        trusted,
        canonical: trusted && exact && parsed.length === tail && parsed[0] === format,
      };
    },
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
