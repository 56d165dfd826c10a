/**
 * What goes inside a sealed token or a store record: the envelope as superjson text (so Date, Map,
 * Set, BigInt and undefined survive), packed for a cookie with optional deflate, and validated
 * with the session's zod schema on the way in and out.
 */
import type * as NodeZlib from "node:zlib";
import superjson from "superjson";
import type { z } from "zod";
import { SatchelError, SessionValidationError } from "./errors.ts";
import type { Message } from "./types.ts";

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
}

/** Envelope → superjson text. */
export function encodeEnvelope(envelope: Envelope): string {
  return superjson.stringify(envelope);
}

/**
 * superjson text → envelope.
 * @throws SatchelError when the text is not superjson or not an envelope (treat as malformed).
 */
export function decodeEnvelope(text: string): Envelope {
  let value: unknown;
  try {
    value = superjson.parse(text);
  } catch (cause) {
    throw new SatchelError("satchel: session envelope is not valid superjson text.", { cause });
  }
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
  return envelope;
}

function isFlashRecord(value: unknown): value is Record<string, unknown[]> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  return Object.values(value).every(Array.isArray);
}

// ---- packing for cookies ---------------------------------------------------------------------

/** First byte of a packed payload. */
const FLAG_RAW = 0;
const FLAG_DEFLATE = 1;

/** Options of `packForCookie`. */
export interface PackOptions {
  /**
   * Texts shorter than this many UTF-8 bytes are not even tried with deflate: below it the saving
   * is small and a zlib round costs more CPU than the whole seal. Default 512.
   */
  minCompressBytes?: number;
}

/** Options of `unpackFromCookie`. */
export interface UnpackOptions {
  /** Largest unpacked text accepted, in bytes: a guard against decompression bombs. Default 1 MiB. */
  maxBytes?: number;
}

const DEFAULT_MAX_UNPACKED = 1024 * 1024;
const DEFAULT_MIN_COMPRESS = 512;
const encoder = new TextEncoder();
const strictDecoder = new TextDecoder("utf-8", { fatal: true });

/** node:zlib when the runtime has it (sync, fast); else `undefined` and CompressionStream is used. */
function loadZlib(): typeof NodeZlib | undefined {
  try {
    const mod = globalThis.process?.getBuiltinModule?.("node:zlib") as typeof NodeZlib | undefined;
    return mod && typeof mod.deflateRawSync === "function" ? mod : undefined;
  } catch {
    return undefined;
  }
}
const zlib = loadZlib();

/** Which compressor `packForCookie` uses here. */
export const compressor: "node:zlib" | "CompressionStream" = zlib ? "node:zlib" : "CompressionStream";

/**
 * Text → bytes for sealing: one flag byte, then the UTF-8 text, deflate-raw compressed only when
 * that makes it smaller.
 */
export async function packForCookie(text: string, options: PackOptions = {}): Promise<Uint8Array> {
  const raw = encoder.encode(text);
  if (raw.length >= (options.minCompressBytes ?? DEFAULT_MIN_COMPRESS)) {
    const packed = await deflate(raw);
    if (packed.length < raw.length) return withFlag(FLAG_DEFLATE, packed);
  }
  return withFlag(FLAG_RAW, raw);
}

/**
 * The inverse of `packForCookie`.
 * @throws SatchelError on an unknown flag, corrupt deflate data, invalid UTF-8, or output past
 *   `maxBytes` (treat as malformed).
 */
export async function unpackFromCookie(packed: Uint8Array, options: UnpackOptions = {}): Promise<string> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_UNPACKED;
  const flag = packed[0];
  const body = packed.subarray(1);
  let raw: Uint8Array;
  if (flag === FLAG_RAW) {
    raw = body;
  } else if (flag === FLAG_DEFLATE) {
    raw = await inflate(body, maxBytes);
  } else {
    throw new SatchelError(`satchel: packed session payload has unknown format flag ${String(flag)}.`);
  }
  if (raw.length > maxBytes) {
    throw new SatchelError(`satchel: session payload is larger than the ${maxBytes}-byte limit.`);
  }
  try {
    return strictDecoder.decode(raw);
  } catch (cause) {
    throw new SatchelError("satchel: session payload is not valid UTF-8.", { cause });
  }
}

function withFlag(flag: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.length + 1);
  out[0] = flag;
  out.set(body, 1);
  return out;
}

async function deflate(raw: Uint8Array): Promise<Uint8Array> {
  return zlib ? zlib.deflateRawSync(raw) : deflateWithStream(raw);
}

async function inflate(body: Uint8Array, maxBytes: number): Promise<Uint8Array> {
  if (zlib) {
    try {
      return zlib.inflateRawSync(body, { maxOutputLength: maxBytes });
    } catch (cause) {
      throw new SatchelError(
        `satchel: session payload could not be inflated (corrupt, or over the ${maxBytes}-byte limit).`,
        { cause },
      );
    }
  }
  return inflateWithStream(body, maxBytes);
}

/** CompressionStream fallback for runtimes without node:zlib; exported for tests. */
export async function inflateWithStream(body: Uint8Array, maxBytes: number): Promise<Uint8Array> {
  try {
    const stream = new Blob([body as Uint8Array<ArrayBuffer>])
      .stream()
      .pipeThrough(new DecompressionStream("deflate-raw"));
    return await readAll(stream, maxBytes);
  } catch (cause) {
    if (cause instanceof SatchelError) throw cause;
    throw new SatchelError("satchel: session payload could not be inflated (corrupt deflate data).", {
      cause,
    });
  }
}

/** CompressionStream fallback for runtimes without node:zlib; exported for tests. */
export function deflateWithStream(raw: Uint8Array): Promise<Uint8Array> {
  return readAll(
    new Blob([raw as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream("deflate-raw")),
    Infinity,
  );
}

async function readAll(stream: ReadableStream<Uint8Array>, maxBytes: number): Promise<Uint8Array> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > maxBytes) {
      // Stop inflating at once: the rest of a bomb is never produced.
      await reader.cancel().catch(() => {});
      throw new SatchelError(`satchel: session payload inflates past the ${maxBytes}-byte limit.`);
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

// ---- validation ------------------------------------------------------------------------------

/** A zod issue path as people write it: `items[0].qty`; the root is `(root)`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out === "" ? "(root)" : out;
}

/**
 * Validates data before it is written.
 * @returns the parsed data (zod output: defaults applied, unknown keys stripped per the schema).
 * @throws SessionValidationError naming the first invalid field.
 */
export function validateForWrite<S extends z.ZodType>(
  session: string,
  schema: S,
  data: unknown,
): z.output<S> {
  let result: ReturnType<S["safeParse"]>;
  try {
    result = schema.safeParse(data) as ReturnType<S["safeParse"]>;
  } catch (cause) {
    // Async refinements throw in a sync parse: a schema problem, not a data problem.
    throw new SatchelError(
      `satchel: session "${session}" schema could not validate synchronously; session schemas must not use async refinements.`,
      { cause },
    );
  }
  if (result.success) return result.data as z.output<S>;
  const issue = result.error.issues[0];
  throw new SessionValidationError(session, formatPath(issue?.path ?? []), issue?.message ?? "invalid value");
}

/** Result of `validateForRead`. */
export type ReadValidation<T> = { ok: true; data: T } | { ok: false; detail: string };

/**
 * Validates data that was read back (cookie or store). Never throws: an invalid value means the
 * session starts fresh and `onInvalid` hears `detail` (field paths and messages, no values).
 */
export function validateForRead<S extends z.ZodType>(schema: S, data: unknown): ReadValidation<z.output<S>> {
  try {
    const result = schema.safeParse(data);
    if (result.success) return { ok: true, data: result.data as z.output<S> };
    const issues = result.error.issues;
    const shown = issues.slice(0, 3).map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
    if (issues.length > 3) shown.push(`and ${issues.length - 3} more`);
    return { ok: false, detail: shown.join("; ") };
  } catch (error) {
    return { ok: false, detail: `schema threw: ${error instanceof Error ? error.message : String(error)}` };
  }
}
