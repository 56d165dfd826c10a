/**
 * Everything superjson in a session's text: the envelope as superjson text (store records, format-1
 * tokens; so Date, Map, Set, BigInt and undefined survive) with fast paths to and from it, and the
 * superjson parts formats 2 and 3 embed for what the schema cannot type (and for flash and messages).
 */
import superjson from "superjson";
import { SatchelError } from "../errors.ts";
import type { Message } from "../types.ts";

/** The serialized state of one session. */
export interface Envelope {
  /** The data version (the schema's `version`), for migrations. */
  version: number;
  /** The session data, as the schema's output type. */
  data: unknown;
  /** Pending flash values by channel. */
  flash?: Record<string, unknown[]>;
  /** Pending leveled messages. */
  messages?: Message[];
  /** Store sessions: when the record was created and last written, and the device it was made on. */
  info?: RecordInfo;
}

/** What a store record says about itself, for a user's list of sessions. Epoch milliseconds. */
export interface RecordInfo {
  createdAt: number;
  updatedAt: number;
  /** A short description of the device (e.g. its user agent), when the app records one. */
  device?: string;
  /** The lifetime `$expire()` chose (seconds; idle `null`: none); absent: the definition's. */
  lifetime?: { absolute: number; idle: number | null; persistent: boolean };
}

/**
 * Envelope → superjson text.
 * @throws SatchelError when superjson refuses the data (e.g. a key named `constructor`).
 */
export function encodeEnvelope(envelope: Envelope): string {
  const fast = fastSuperjsonStringify(envelope);
  if (fast !== undefined) return fast;
  try {
    return superjson.stringify(envelope);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new SatchelError(
      `satchel: session data cannot be serialized (${reason}); rename or remove that field.`,
      {
        cause,
      },
    );
  }
}

// ---- a fast path to superjson text ------------------------------------------------------------
//
// superjson.stringify costs ~20 µs for a small session, more than sealing it. Session data is
// nearly always plain objects, arrays, strings, numbers, booleans, null, Dates, undefined and
// BigInts; for those we emit the exact text superjson would (JSON plus `meta.values`
// annotations), and hand anything else (Map, Set, class instances, shared references, odd
// keys) to superjson itself. A test checks byte equality with superjson on generated values.

type Annotation = "Date" | "undefined" | "bigint" | "number";
/** Annotations of a subtree keyed by escaped relative path, built level by level as superjson does. */
type Annotations = Record<string, [Annotation]>;
const FALLBACK = Symbol("fallback");
type WalkResult = Annotation | Annotations | undefined | typeof FALLBACK;
const MAX_FAST_DEPTH = 64;

/** State of one fast stringify. */
interface WalkState {
  /** Everything superjson tracks for referential equality (objects, NaN, BigInts). */
  seen: Set<unknown>;
  /** True once an annotation other than Date appears (Dates need no replacer: Date#toJSON). */
  needsReplacer: boolean;
}

/** superjson text for `value`, or `undefined` when superjson itself must do it. */
export function fastSuperjsonStringify(value: unknown): string | undefined {
  const parts = fastSuperjsonParts(value);
  return parts === undefined ? undefined : superjsonText(parts.json, parts.meta);
}

/** The two parts of superjson text: `json` as JSON text and `meta` (`undefined`: none). */
interface SuperjsonParts {
  json: string;
  meta: string | undefined;
}

const superjsonText = (json: string, meta: string | undefined): string =>
  meta === undefined ? `{"json":${json}}` : `{"json":${json},"meta":${meta}}`;

/** superjson's `json` and `meta` for `value` as text, or `undefined` when superjson itself must do it. */
function fastSuperjsonParts(value: unknown): SuperjsonParts | undefined {
  // Only containers at the root: superjson annotates a bare root value differently.
  if (typeof value !== "object" || value === null || value instanceof Date) return undefined;
  const state: WalkState = { seen: new Set(), needsReplacer: false };
  const annotations = walk(value, 0, state);
  if (annotations === FALLBACK) return undefined;
  if (annotations === undefined) return { json: JSON.stringify(value), meta: undefined };
  const json = state.needsReplacer ? JSON.stringify(value, replaceAnnotated) : JSON.stringify(value);
  return { json, meta: `{"values":${JSON.stringify(annotations)},"v":1}` };
}

/**
 * `encodeEnvelope` of `envelope` with `info` added as its last key, byte for byte, for a store
 * record. The envelope goes through the fast path without `info`, whose JSON is written here: its
 * two epoch-millisecond doubles cost JSON.stringify more than the rest of a small record, and an
 * info of finite numbers and a string needs no superjson annotation. `info` must have its keys in
 * `RecordInfo`'s order (as `StoreSession` builds it); one with a lifetime, or numbers superjson
 * would annotate, takes the general way.
 * @throws SatchelError as `encodeEnvelope` does.
 */
export function encodeEnvelopeWithInfo(envelope: Envelope, info: RecordInfo): string {
  const infoJson = envelope.info === undefined ? plainInfoJson(info) : undefined;
  if (infoJson === undefined) return encodeEnvelope(keyByKey(envelope, info));
  const infoKey = `,"info":${infoJson}`;
  if (envelope.flash === undefined && envelope.messages === undefined) {
    const parts = dataOnlyParts(envelope.version, envelope.data, infoKey);
    return parts === undefined
      ? encodeEnvelope(keyByKey(envelope, info))
      : superjsonText(parts.json, parts.meta);
  }
  const parts = fastSuperjsonParts(keyByKey(envelope, undefined));
  if (parts === undefined) return encodeEnvelope(keyByKey(envelope, info));
  // The envelope's JSON is an object: its closing brace makes way for the info key.
  return superjsonText(`${parts.json.slice(0, -1)}${infoKey}}`, parts.meta);
}

/**
 * `fastSuperjsonParts({ version, data })` for data that is an object, with `tail` (JSON text of
 * further keys, from a comma on) written before the envelope's closing brace: the data is walked and
 * stringified on its own and the envelope's keys written around it, which spares JSON.stringify an
 * object level (the envelope), the walk a Set entry, and the text a slice to make way for `tail`.
 */
function dataOnlyParts(version: number, data: unknown, tail: string): SuperjsonParts | undefined {
  if (typeof data !== "object" || data === null || data instanceof Date || !plainNumber(version))
    return undefined;
  // Depth 1 and annotations under "data": what the walk from the envelope finds for this key.
  const state: WalkState = { seen: new Set(), needsReplacer: false };
  const annotations = walk(data, 1, state);
  if (annotations === FALLBACK) return undefined;
  const dataJson = state.needsReplacer ? JSON.stringify(data, replaceAnnotated) : JSON.stringify(data);
  const json = `{"version":${version},"data":${dataJson}${tail}}`;
  if (annotations === undefined) return { json, meta: undefined };
  return { json, meta: `{"values":${JSON.stringify(addAnnotation(undefined, "data", annotations))},"v":1}` };
}

/**
 * The object the superjson walk reads: `envelope`'s keys in their order, flash and messages only when
 * present, then `info` when given. Built key by key: a spread makes an object slower to walk.
 */
function keyByKey(envelope: Envelope, info: RecordInfo | undefined): Envelope {
  const record: Envelope = { version: envelope.version, data: envelope.data };
  if (envelope.flash !== undefined) record.flash = envelope.flash;
  if (envelope.messages !== undefined) record.messages = envelope.messages;
  if (info !== undefined) record.info = info;
  return record;
}

/** JSON of an info without lifetime whose numbers JSON writes as superjson does; else undefined. */
function plainInfoJson(info: RecordInfo): string | undefined {
  const { createdAt, updatedAt, device } = info;
  if (info.lifetime !== undefined || !plainNumber(createdAt) || !plainNumber(updatedAt)) return undefined;
  // Written as JSON.stringify writes a finite number (Number#toString).
  const times = `{"createdAt":${timeText(createdAt)},"updatedAt":${timeText(updatedAt)}`;
  return device === undefined ? `${times}}` : `${times},"device":${JSON.stringify(device)}}`;
}

/**
 * `String(n)` of a finite number. An epoch-millisecond time (an integer of 9 to 16 digits) is written
 * as two small integers, its digits above and below the eighth: each is a small-integer conversion,
 * where the whole 13-digit double is a double-to-text conversion in the runtime (~1k instructions a
 * write: every write has a new `updatedAt`).
 */
function timeText(n: number): string {
  if (!(n >= 1e8 && n <= Number.MAX_SAFE_INTEGER && Number.isInteger(n))) return `${n}`;
  const high = Math.floor(n / 1e8);
  // 1e8 + the low digits keeps their leading zeros, behind a "1" that slice drops.
  return `${high}${`${n - high * 1e8 + 1e8}`.slice(1)}`;
}

/** A number superjson leaves unannotated: finite and not -0. */
const plainNumber = (n: number): boolean => Number.isFinite(n) && !Object.is(n, -0);

function replaceAnnotated(_key: string, v: unknown): unknown {
  switch (typeof v) {
    case "undefined":
      return null;
    case "bigint":
      return v.toString();
    case "number":
      if (Number.isNaN(v)) return "NaN";
      if (v === Number.POSITIVE_INFINITY) return "Infinity";
      if (v === Number.NEGATIVE_INFINITY) return "-Infinity";
      if (Object.is(v, -0)) return "-0";
      return v;
    default:
      return v; // Dates arrive here already as ISO strings (Date#toJSON runs first)
  }
}

const escapeKey = (key: string): string =>
  key.indexOf("\\") < 0 && key.indexOf(".") < 0 ? key : key.replace(/\\/g, "\\\\").replace(/\./g, "\\.");

/** Adds a child's annotations under `key`, as superjson nests them. */
function addAnnotation(
  inner: Annotations | undefined,
  key: string,
  result: Annotation | Annotations,
): Annotations {
  const out = inner ?? (Object.create(null) as Annotations);
  if (typeof result === "string") out[key] = [result];
  else for (const k in result) out[`${key}.${k}`] = result[k] as [Annotation];
  return out;
}

function walk(v: unknown, depth: number, state: WalkState): WalkResult {
  switch (typeof v) {
    case "string":
    case "boolean":
      return undefined;
    case "number":
      if (Number.isFinite(v) && !Object.is(v, -0)) return undefined;
      if (Number.isNaN(v)) {
        if (state.seen.has(v)) return FALLBACK;
        state.seen.add(v);
      }
      state.needsReplacer = true;
      return "number";
    case "undefined":
      state.needsReplacer = true;
      return "undefined";
    case "bigint":
      if (state.seen.has(v)) return FALLBACK;
      state.seen.add(v);
      state.needsReplacer = true;
      return "bigint";
    case "object": {
      if (v === null) return undefined;
      const seen = state.seen;
      if (seen.has(v) || depth > MAX_FAST_DEPTH) return FALLBACK;
      seen.add(v);
      const proto: unknown = Object.getPrototypeOf(v);
      let inner: Annotations | undefined;
      if (proto === Object.prototype || proto === null) {
        const record = v as Record<string, unknown>;
        const keys = Object.keys(record);
        for (let i = 0; i < keys.length; i++) {
          const key = keys[i] as string;
          const child = record[key];
          // Primitives inline: the common case costs one typeof.
          const type = typeof child;
          if (
            type === "string" ||
            type === "boolean" ||
            (type === "number" && Number.isFinite(child) && !Object.is(child, -0))
          ) {
            continue;
          }
          const result = walk(child, depth + 1, state);
          if (result === FALLBACK) return FALLBACK;
          if (result !== undefined) inner = addAnnotation(inner, escapeKey(key), result);
        }
        // superjson refuses these keys even with primitive values; let it say so.
        if (Object.hasOwn(record, "constructor") || Object.hasOwn(record, "prototype")) return FALLBACK;
        if (Object.hasOwn(record, "__proto__")) return FALLBACK;
        return inner;
      }
      if (proto === Array.prototype) {
        const list = v as unknown[];
        for (let i = 0; i < list.length; i++) {
          const item = list[i];
          const type = typeof item;
          if (
            type === "string" ||
            type === "boolean" ||
            (type === "number" && Number.isFinite(item) && !Object.is(item, -0))
          ) {
            continue;
          }
          if (item === undefined && !(i in list)) return FALLBACK; // a hole: superjson skips it, JSON writes null
          const result = walk(item, depth + 1, state);
          if (result === FALLBACK) return FALLBACK;
          if (result !== undefined) inner = addAnnotation(inner, String(i), result);
        }
        return inner;
      }
      if (proto === Date.prototype) return Number.isNaN((v as Date).getTime()) ? FALLBACK : "Date";
      return FALLBACK; // Map, Set, class instances, boxed values, typed arrays, …
    }
    default:
      return FALLBACK; // functions, symbols
  }
}

// ---- a fast path from superjson text -------------------------------------------------------------
//
// superjson.parse is several times JSON.parse once `meta` is present. When the meta holds only
// leaf annotations we write ourselves (Date, undefined, bigint, number), we apply them directly;
// anything else goes to superjson.deserialize.

const LEAF_TYPES = new Set(["Date", "undefined", "bigint", "number"]);
const UNSAFE_SEGMENTS = new Set(["__proto__", "constructor", "prototype"]);

/** superjson text → value, with superjson's semantics. @throws on invalid text. */
export function fastSuperjsonParse(text: string): unknown {
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    return superjson.deserialize(parsed as never);
  const { json, meta } = parsed as { json?: unknown; meta?: unknown };
  if (meta === undefined) return json;
  if (!applyLeafAnnotations(json, meta)) return superjson.deserialize(JSON.parse(text));
  return json;
}

/** Applies simple meta in place; false (nothing changed) when superjson must handle it. */
function applyLeafAnnotations(json: unknown, meta: unknown): boolean {
  if (typeof meta !== "object" || meta === null) return false;
  const m = meta as Record<string, unknown>;
  for (const key in m) if (key !== "values" && key !== "v") return false;
  if (m.v !== 1 || typeof m.values !== "object" || m.values === null || Array.isArray(m.values)) return false;
  if (typeof json !== "object" || json === null) return false;
  const targets: [Record<string, unknown>, string, string][] = [];
  const values = m.values as Record<string, unknown>;
  for (const path in values) {
    const annotation = values[path];
    if (!Array.isArray(annotation) || annotation.length !== 1 || !LEAF_TYPES.has(annotation[0])) return false;
    const segments = splitPath(path);
    if (segments === undefined || segments.length === 0) return false;
    let node: unknown = json;
    for (let i = 0; i < segments.length - 1; i++) {
      const segment = segments[i] as string;
      if (UNSAFE_SEGMENTS.has(segment) || typeof node !== "object" || node === null) return false;
      node = (node as Record<string, unknown>)[segment];
    }
    const last = segments[segments.length - 1] as string;
    if (UNSAFE_SEGMENTS.has(last) || typeof node !== "object" || node === null) return false;
    targets.push([node as Record<string, unknown>, last, annotation[0] as string]);
  }
  // Checked everything first, so a refusal above leaves the value untouched for superjson.
  for (const [node, key, type] of targets) {
    const raw = node[key];
    switch (type) {
      case "Date":
        node[key] = new Date(raw as string);
        break;
      case "undefined":
        node[key] = undefined;
        break;
      case "bigint":
        node[key] = BigInt(raw as string);
        break;
      default:
        node[key] = Number(raw);
    }
  }
  return true;
}

/** superjson's path syntax: segments joined by ".", with "\\." and "\\\\" escapes. */
function splitPath(path: string): string[] | undefined {
  if (path.indexOf("\\") < 0) return path.split(".");
  const out: string[] = [];
  let segment = "";
  for (let i = 0; i < path.length; i++) {
    const char = path[i];
    if (char === "\\") {
      const next = path[i + 1];
      if (next !== "." && next !== "\\") return undefined;
      segment += next;
      i++;
    } else if (char === ".") {
      out.push(segment);
      segment = "";
    } else {
      segment += char;
    }
  }
  out.push(segment);
  return out;
}

/**
 * superjson text → envelope.
 * @throws SatchelError when the text is not superjson or not an envelope (treat as malformed).
 */
export function decodeEnvelope(text: string): Envelope {
  let value: unknown;
  try {
    value = fastSuperjsonParse(text);
  } catch (cause) {
    throw new SatchelError("satchel: session envelope is not valid superjson text.", { cause });
  }
  return envelopeOf(value);
}

/** The envelope in a superjson value, checked. @throws SatchelError as `decodeEnvelope` says. */
function envelopeOf(value: unknown): Envelope {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new SatchelError("satchel: session envelope is not an object.");
  }
  const record = value as Record<string, unknown>;
  if (typeof record.version !== "number" || !Number.isInteger(record.version) || !("data" in record)) {
    throw new SatchelError("satchel: session envelope lacks an integer version or data.");
  }
  const envelope: Envelope = { version: record.version, data: record.data };
  if (record.flash !== undefined) {
    if (!isFlashRecord(record.flash))
      throw new SatchelError("satchel: session envelope has a malformed flash field.");
    envelope.flash = record.flash;
  }
  if (record.messages !== undefined) {
    if (!Array.isArray(record.messages)) {
      throw new SatchelError("satchel: session envelope has a malformed messages field.");
    }
    envelope.messages = record.messages as Message[];
  }
  // Descriptive only: a malformed info is dropped, never fatal.
  const info = record.info as Partial<RecordInfo> | undefined;
  if (typeof info?.createdAt === "number" && typeof info.updatedAt === "number") {
    envelope.info = { createdAt: info.createdAt, updatedAt: info.updatedAt };
    if (typeof info.device === "string") envelope.info.device = info.device;
    const lifetime = info.lifetime;
    if (
      typeof lifetime?.absolute === "number" &&
      (typeof lifetime.idle === "number" || lifetime.idle === null) &&
      typeof lifetime.persistent === "boolean"
    )
      envelope.info.lifetime = {
        absolute: lifetime.absolute,
        idle: lifetime.idle,
        persistent: lifetime.persistent,
      };
  }
  return envelope;
}

// ---- a fast path from a store record's own text -----------------------------------------------

/**
 * `decodeEnvelope` of a store record's text (`encodeEnvelopeWithInfo`'s): its own data-only frame
 * read the fast way below, anything else the general way. Cookies never hold that frame, so their
 * decode does not look for it.
 * @throws SatchelError as `decodeEnvelope` does.
 */
export function decodeRecordEnvelope(text: string): Envelope {
  return decodeDataOnlyRecord(text) ?? decodeEnvelope(text);
}
//
// A store read's JSON.parse of its whole record built four objects (the superjson wrapper, the
// envelope, the data, the info) and parsed two 13-digit epoch doubles: ~11k instructions for a
// small session, more than the rest of the read's own JavaScript. The text encodeEnvelopeWithInfo
// writes for an envelope without flash or messages has a fixed frame around the data:
//
//   {"json":{"version":V,"data":DATA,"info":{"createdAt":C,"updatedAt":U[,"device":"…"]}}[,"meta":META]}
//
// Read in that frame, only DATA (and META) go through JSON.parse (~3.5k instructions instead of
// ~11.5k). The frame is matched exactly and DATA must parse as one JSON value, so a text read here
// is valid JSON whose value is what JSON.parse of the whole text gives: the result is the general
// way's. Anything else (flash, messages, a lifetime, fractional times, text written by hand) takes
// the general way.
//
// The frame is scanned by hand, not with regular expressions: their two matches with their capture
// substrings (~2.6k instructions) and a Number() of each 13-digit time (a runtime call each, ~0.8k:
// they are no array indices) were half of this function's cost. The scan accepts exactly the texts
// these accepted, and reads the same numbers:
//
//   head  ^\{"json":\{"version":(-?(?:0|[1-9]\d{0,14})),"data":
//   tail  ,"info":\{"createdAt":(0|[1-9]\d{0,14}),"updatedAt":(0|[1-9]\d{0,14})
//         (?:,"device":("(?:[^"\\]|\\.)*"))?\}\}(?:\}$|,"meta":([\s\S]*)\}$)
//
// (envelope.test.ts keeps them, and checks the scan against them on changed texts).

const FRAME_HEAD = '{"json":{"version":';
const FRAME_DATA = ',"data":';
/** Where the info starts: the envelope's last key, after the data. */
const FRAME_INFO = ',"info":{"createdAt":';
const FRAME_UPDATED = ',"updatedAt":';
const FRAME_DEVICE = ',"device":"';
const FRAME_META = ',"meta":';
/** Digits of a frame's integer: at most 15, so their value is exact in a double, as Number() reads it. */
const MAX_DIGITS = 15;

/**
 * Whether `text` has `literal` at `at`. A cut compared with `===`, not `startsWith`: optimized code
 * inlines startsWith as a loop that loads both strings' characters one at a time (~45 instructions
 * a character on a sliced record text), where string equality compares the cut in a builtin.
 */
const hasAt = (text: string, literal: string, at: number): boolean =>
  text.slice(at, at + literal.length) === literal;

/**
 * Where the frame's integer (`0|[1-9]\d{0,14}`) starting at `at` ends, its value left in
 * `scanned.value`; -1 when there is none. Digit by digit: below 10^15 every step is exact.
 */
function scanInteger(text: string, at: number, scanned: { value: number }): number {
  const first = text.charCodeAt(at) - 48;
  if (!(first >= 0 && first <= 9)) return -1;
  if (first === 0) {
    scanned.value = 0;
    return at + 1;
  }
  let value = first;
  let end = at + 1;
  for (; end < text.length; end++) {
    const digit = text.charCodeAt(end) - 48;
    if (!(digit >= 0 && digit <= 9)) break;
    value = value * 10 + digit;
  }
  // A longer run matches no prefix either: the frame's next character is never a digit.
  if (end - at > MAX_DIGITS) return -1;
  scanned.value = value;
  return end;
}

/**
 * Where the JSON string (the device's: `"(?:[^"\\]|\\.)*"`) that opens at `at` (its quote) ends,
 * after its closing quote; -1 when it does not. An escape and the character after it are skipped as
 * the expression's `\\.` does (which refuses a line terminator there: JSON.parse refuses those
 * escapes too, so the text goes the general way all the same).
 */
function scanString(text: string, at: number): number {
  for (let i = at + 1; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 34) return i + 1;
    if (code === 92) i++;
  }
  return -1;
}

/**
 * The envelope of a record in satchel's own data-only frame (see above), or `undefined`: take the
 * general way, which reads (or refuses) the text. Throws only where the general way throws for the
 * same value: meta that leaves no envelope. Exported for its tests; callers use `decodeRecordEnvelope`.
 */
export function decodeDataOnlyRecord(text: string): Envelope | undefined {
  if (!hasAt(text, FRAME_HEAD, 0)) return undefined;
  const scanned = { value: 0 };
  const negative = text.charCodeAt(FRAME_HEAD.length) === 45;
  const versionEnd = scanInteger(text, FRAME_HEAD.length + (negative ? 1 : 0), scanned);
  if (versionEnd < 0 || !hasAt(text, FRAME_DATA, versionEnd)) return undefined;
  const version = negative ? -scanned.value : scanned.value;
  const dataStart = versionEnd + FRAME_DATA.length;
  // The info's frame is the last one in the text: a string inside the data or the meta cannot hold
  // it (its quotes are escaped there), and a data key "info" comes before the envelope's own.
  const infoAt = text.lastIndexOf(FRAME_INFO);
  if (infoAt < dataStart) return undefined;
  const createdEnd = scanInteger(text, infoAt + FRAME_INFO.length, scanned);
  if (createdEnd < 0 || !hasAt(text, FRAME_UPDATED, createdEnd)) return undefined;
  const createdAt = scanned.value;
  let at = scanInteger(text, createdEnd + FRAME_UPDATED.length, scanned);
  if (at < 0) return undefined;
  const info: RecordInfo = { createdAt, updatedAt: scanned.value };
  let deviceText: string | undefined;
  if (text.charCodeAt(at) === 44 && hasAt(text, FRAME_DEVICE, at)) {
    const quote = at + FRAME_DEVICE.length - 1;
    at = scanString(text, quote);
    if (at < 0) return undefined;
    deviceText = text.slice(quote, at);
  }
  // The info's and the envelope's closing braces, then the wrapper's, or the meta and it.
  if (text.charCodeAt(at) !== 125 || text.charCodeAt(at + 1) !== 125) return undefined;
  at += 2;
  let metaText: string | undefined;
  if (at !== text.length - 1 || text.charCodeAt(at) !== 125) {
    if (!hasAt(text, FRAME_META, at) || text.charCodeAt(text.length - 1) !== 125) return undefined;
    metaText = text.slice(at + FRAME_META.length, text.length - 1);
  }
  const dataText = text.slice(dataStart, infoAt);
  // An envelope with flash or messages has them between data and info: the general way reads it
  // (cheaper than a JSON.parse of DATA that throws). A data key of that name goes that way too.
  if (dataText.includes('"flash":') || dataText.includes('"messages":')) return undefined;
  let data: unknown;
  let meta: unknown;
  try {
    if (deviceText !== undefined) info.device = JSON.parse(deviceText) as string;
    data = JSON.parse(dataText);
    if (metaText !== undefined) meta = JSON.parse(metaText);
  } catch {
    return undefined;
  }
  if (metaText === undefined) return { version, data, info };
  // The value JSON.parse of the whole text gives; annotated as fastSuperjsonParse does.
  const json = { version, data, info };
  try {
    if (!applyLeafAnnotations(json, meta)) return undefined;
  } catch {
    return undefined;
  }
  return envelopeOf(json);
}

// ---- the same envelope in two records ---------------------------------------------------------

/**
 * Whether two store records hold the same envelope, whatever their info (which changes with every
 * write): their texts are equal before the envelope's info and after it. `written` is text
 * `encodeEnvelopeWithInfo` wrote (its last `,"info":{"createdAt":` is the envelope's info, as
 * `decodeDataOnlyRecord` relies on too); `other` may be any text that parsed as JSON, a record
 * read from the store included. True only when `other` is `written` with another single JSON object
 * as the info's value, in the same place: the same envelope, so not writing it loses nothing.
 * False for a record in any other frame (another build's key order, an info not last): the caller
 * writes, once, in this build's frame.
 */
export function sameRecordEnvelope(written: string, other: string): boolean {
  const at = written.lastIndexOf(FRAME_INFO);
  if (at < 0 || !hasAt(other, FRAME_INFO, at) || written.slice(0, at) !== other.slice(0, at)) return false;
  const open = at + INFO_OPEN;
  const writtenEnd = objectEnd(written, open);
  const otherEnd = objectEnd(other, open);
  return writtenEnd > 0 && otherEnd > 0 && written.slice(writtenEnd) === other.slice(otherEnd);
}

/** Offset of the info's opening brace in `FRAME_INFO`. */
const INFO_OPEN = FRAME_INFO.indexOf("{");

/**
 * Where the JSON object that opens at `open` (its brace) ends, after its closing brace; -1 when it
 * does not. Braces inside strings are skipped; in JSON, brackets nest within braces, so counting
 * braces finds the object's own end.
 */
function objectEnd(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 34) {
      const end = scanString(text, i);
      if (end < 0) return -1;
      i = end - 1;
    } else if (code === 123) depth++;
    else if (code === 125 && --depth === 0) return i + 1;
  }
  return -1;
}

/** Flash as an envelope holds it: channel name → array of pending values. */
export function isFlashRecord(value: unknown): value is Record<string, unknown[]> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  return Object.values(value).every(Array.isArray);
}

// ---- superjson parts (exported from "satchel" for generated codecs) ---------------------------

/**
 * A value the schema cannot type → its superjson wire, `[json]` or `[json, meta]`. Generated codecs
 * call it for `"superjson"` plan nodes (the app itself need not depend on superjson).
 * @throws SatchelError when superjson refuses the value (e.g. a key named `constructor`).
 */
export function encodeSuperjsonPart(value: unknown): unknown[] {
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

/**
 * The superjson wire `[json]` / `[json, meta]` → the value.
 * @throws SatchelError when the wire is not one.
 */
export function decodeSuperjsonPart(wire: unknown): unknown {
  if (Array.isArray(wire) && (wire.length === 1 || wire.length === 2)) {
    try {
      return superjson.deserialize(
        (wire.length === 1 ? { json: wire[0] } : { json: wire[0], meta: wire[1] }) as never,
      );
    } catch {
      // reported below, as any other wire that is not a superjson part
    }
  }
  throw new SatchelError("satchel: session data has a malformed superjson part.");
}
