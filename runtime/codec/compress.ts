/**
 * Text → bytes for sealing a cookie and back: one flag byte, then the UTF-8 text, deflate-raw
 * compressed when it is long enough to matter and that makes it smaller; node:zlib on reused streams
 * where that is sound, else its public API, else CompressionStream (edge runtimes).
 */
import type * as NodeZlib from "node:zlib";
import { COOKIE_BYTE_LIMIT } from "../cookies/chunking.ts";
import { SatchelError } from "../errors.ts";

/** First byte of a packed payload. */
const FLAG_RAW = 0;
const FLAG_DEFLATE = 1;

/**
 * Bytes sealing adds to a packed payload (crypto/seal.ts): key id 4, IV 12, sealed header up to 13 (with an
 * idle expiry), GCM tag 16.
 */
const SEAL_OVERHEAD = 4 + 12 + 13 + 16;
/**
 * Longest token sent uncompressed, in characters: the per-cookie limit minus 512 bytes for the
 * cookie's name and attributes (`__Host-name=` and `; Max-Age=…; Path=/; Secure; HttpOnly;
 * SameSite=Lax` take about 80; a long Domain or Path still fits).
 */
const RAW_TOKEN_BUDGET = COOKIE_BYTE_LIMIT - 512;
/**
 * Texts from this many UTF-8 bytes on are deflated (when that makes them smaller): below it the
 * sealed token — flag byte + text + sealing, base64url (4 characters per 3 bytes) — stays within
 * `RAW_TOKEN_BUDGET`, so the cookie fits one `Set-Cookie` without compression. 2643 bytes.
 *
 * Why not smaller: a compressed cookie is smaller on every request, but below this size it never
 * needs chunking, while deflate + inflate of a ~2 KB text, even on reused zlib streams, costs
 * ~285k instructions more than leaving it raw (327k against 42k for pack + unpack, callgrind,
 * bench/micro/pack.ts): about a third of a whole public-API read + write of a small session.
 * Above it, compression is what keeps one cookie from becoming two or more.
 */
export const COMPRESS_FROM_BYTES = Math.floor((RAW_TOKEN_BUDGET * 3) / 4) - SEAL_OVERHEAD - 1 /* flag */ + 1;

/** Options of `packForCookie`. */
interface PackOptions {
  /** Texts shorter than this many UTF-8 bytes are not even tried with deflate. Default `COMPRESS_FROM_BYTES`. */
  minCompressBytes?: number;
  /**
   * Memory to pack into when the text fits: the bytes then view it and hold only until the next pack
   * into it, so the caller seals them at once. Spares a write an array outside the JS heap.
   */
  scratch?: Uint8Array;
}

/** Options of `unpackFromCookie`. */
interface UnpackOptions {
  /** Largest unpacked text accepted, in bytes: a guard against decompression bombs. Default 1 MiB. */
  maxBytes?: number;
}

const DEFAULT_MAX_UNPACKED = 1024 * 1024;
const encoder = new TextEncoder();
const strictDecoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Synchronous raw deflate and inflate on node:zlib. Both results are used (or copied) before
 * anything else may call the same driver: they can share its scratch memory.
 */
export interface ZlibDriver {
  /** `reused-handle`: one zlib stream per direction, reset per call; `per-call`: the public *Sync API. */
  readonly kind: "reused-handle" | "per-call";
  /** `[FLAG_DEFLATE, …deflate-raw(raw)]` when that is shorter than `raw`, else `undefined`. */
  pack(raw: Uint8Array): Uint8Array | undefined;
  /**
   * Inflates `body`. The result may be a view of scratch memory: decode it before the next call.
   * @throws SatchelError on corrupt data or output past `maxBytes`.
   */
  inflate(body: Uint8Array, maxBytes: number): Uint8Array;
}

/** node:zlib when the runtime has it (sync, fast); else `undefined` and CompressionStream is used. */
function loadZlib(): typeof NodeZlib | undefined {
  try {
    const mod = globalThis.process?.getBuiltinModule?.("node:zlib") as typeof NodeZlib | undefined;
    return mod && typeof mod.deflateRawSync === "function" ? mod : undefined;
  } catch {
    return undefined;
  }
}

const inflateFailed = (maxBytes: number, cause?: unknown) =>
  new SatchelError(
    `satchel: session payload could not be inflated (corrupt, or over the ${maxBytes}-byte limit).`,
    { cause },
  );
const inflatesPastLimit = (maxBytes: number) =>
  new SatchelError(`satchel: session payload inflates past the ${maxBytes}-byte limit.`);

/**
 * The public API: `deflateRawSync` / `inflateRawSync`. Each call builds a zlib stream object and a
 * native zlib state (~290k + ~135k instructions per deflate + inflate of a few KB, mostly that set-up).
 */
export function perCallZlib(zlib: typeof NodeZlib): ZlibDriver {
  return {
    kind: "per-call",
    pack(raw) {
      // A window just big enough for the input compresses exactly as well as the default 32 KiB one
      // (no match can reach further back than the input's start) and allocates less; same for an
      // output buffer sized to the input instead of the default 16 KiB.
      const windowBits = Math.min(15, Math.max(9, Math.ceil(Math.log2(raw.length + 262))));
      const body = zlib.deflateRawSync(raw, { windowBits, chunkSize: Math.max(1024, raw.length + 64) });
      return body.length < raw.length ? withFlag(FLAG_DEFLATE, body) : undefined;
    },
    inflate(body, maxBytes) {
      try {
        // Small output chunks: session payloads are a few KiB, the 16 KiB default is mostly waste.
        return zlib.inflateRawSync(body, { maxOutputLength: maxBytes, chunkSize: 4096 });
      } catch (cause) {
        throw inflateFailed(maxBytes, cause);
      }
    },
  };
}

// ---- reused zlib streams ------------------------------------------------------------------------
//
// node:zlib has no public synchronous API over a long-lived stream: `deflateRawSync` builds and
// closes a stream per call, and `_processChunk` (which it uses) closes the stream too. The native
// handle under every zlib stream, though, has a synchronous `writeSync` and a `reset` (the same
// calls `zlibBufferSync` makes, and that undici and ws rely on as well). Driving it directly, one
// stream per direction lives for the whole process and a call costs a `deflateReset`/`inflateReset`
// plus the actual work. These are Node internals, so: only on Node itself (majors where the call
// shape was checked), only when the handle has the expected shape, only after a round trip with the
// public API agrees byte for byte; anything else uses `perCallZlib`. A zlib error retires the
// stream (a fresh one is made on the next call), as the stream's own error handling would.

/** The native handle of a node:zlib stream (`stream._handle`), as lib/zlib.js drives it. */
interface ZlibHandle {
  writeSync(
    flush: number,
    input: Uint8Array,
    inOffset: number,
    inLength: number,
    output: Uint8Array,
    outOffset: number,
    outLength: number,
  ): void;
  reset(): void;
  close(): void;
  onerror: (message: string, errno: number) => void;
}

/** One reusable stream: its handle, and the `[availOutAfter, availInAfter]` the handle writes to. */
interface ReusedStream {
  readonly handle: ZlibHandle;
  readonly state: Uint32Array;
  /** Set by the handle's error callback during a write. */
  error: string | undefined;
  /** Keeps the JS stream (the handle's owner) alive as long as the handle is used. */
  readonly owner: object;
}

/** Node majors whose lib/zlib.js drives `_handle.writeSync` with the argument order used here. */
const CHECKED_NODE_MAJORS = new Set([20, 21, 22, 23, 24]);
/** Inflate output goes through a scratch buffer this large; larger outputs continue in copies. */
const INFLATE_SCRATCH_BYTES = 32 * 1024;
/** Deflate scratch is kept between calls up to this size (a cookie's text is at most ~16 KB). */
const DEFLATE_SCRATCH_KEPT_BYTES = 64 * 1024;

function openReusedStream(create: () => object): ReusedStream | undefined {
  const owner = create() as { _handle?: unknown; _writeState?: unknown };
  const handle = owner._handle as Partial<ZlibHandle> | null | undefined;
  const state = owner._writeState;
  if (
    typeof handle?.writeSync !== "function" ||
    typeof handle.reset !== "function" ||
    typeof handle.close !== "function" ||
    !(state instanceof Uint32Array) ||
    state.length !== 2
  ) {
    return undefined;
  }
  const stream: ReusedStream = { handle: handle as ZlibHandle, state, error: undefined, owner };
  // Record instead of destroying the JS stream: the caller checks after each write.
  stream.handle.onerror = (message) => {
    stream.error = message;
  };
  return stream;
}

function closeStream(stream: ReusedStream): void {
  try {
    stream.handle.close();
  } catch {
    // already closed: nothing to release
  }
}

/**
 * Reused deflate and inflate streams on node:zlib's native handles, or `undefined` where that is
 * not known to be sound (another runtime, an unchecked Node major, a different internal shape, or
 * a self-check that disagrees with the public API).
 */
export function reusedZlib(zlib: typeof NodeZlib): ZlibDriver | undefined {
  const versions = globalThis.process?.versions as Record<string, string | undefined> | undefined;
  const major = Number(versions?.node?.split(".")[0]);
  if (versions?.bun !== undefined || versions?.deno !== undefined || !CHECKED_NODE_MAJORS.has(major)) {
    return undefined;
  }
  const Z_FINISH = zlib.constants.Z_FINISH;
  const newDeflate = () => openReusedStream(() => new zlib.DeflateRaw());
  const newInflate = () => openReusedStream(() => new zlib.InflateRaw());
  // Where a stream cannot be opened or zlib fails to deflate (neither happens once the self-check
  // below passed), a call goes to the public API rather than failing a session write.
  const fallback = perCallZlib(zlib);
  let deflater = newDeflate();
  let inflater = newInflate();
  if (deflater === undefined || inflater === undefined) return undefined;
  let deflateScratch = new Uint8Array(4096);
  const inflateScratch = new Uint8Array(INFLATE_SCRATCH_BYTES);

  /** One `writeSync` with Z_FINISH; false when zlib reported an error (the caller retires the stream). */
  const write = (
    stream: ReusedStream,
    input: Uint8Array,
    inOffset: number,
    output: Uint8Array,
    outOffset: number,
  ): boolean => {
    stream.error = undefined;
    stream.handle.writeSync(
      Z_FINISH,
      input,
      inOffset,
      input.length - inOffset,
      output,
      outOffset,
      output.length - outOffset,
    );
    return stream.error === undefined;
  };

  const driver: ZlibDriver = {
    kind: "reused-handle",
    pack(raw) {
      deflater ??= newDeflate();
      if (deflater === undefined) return fallback.pack(raw);
      const stream = deflater;
      // Room for the flag and raw.length bytes of deflate output: a result that fills it is not
      // smaller than the text, and deflate stops as soon as the room is full.
      const size = raw.length + 1;
      if (deflateScratch.length < size) deflateScratch = new Uint8Array(size);
      const out = deflateScratch.subarray(0, size);
      if (deflateScratch.length > DEFLATE_SCRATCH_KEPT_BYTES) deflateScratch = new Uint8Array(4096);
      stream.handle.reset();
      if (!write(stream, raw, 0, out, 1)) {
        closeStream(stream);
        deflater = undefined;
        return fallback.pack(raw);
      }
      // With Z_FINISH, room left over means the stream ended (zlib reports anything else as an
      // error); no room left means it did not pay.
      if (stream.state[0] === 0 || stream.state[1] !== 0) return undefined;
      const packed = out.slice(0, size - (stream.state[0] as number));
      packed[0] = FLAG_DEFLATE;
      return packed;
    },
    inflate(body, maxBytes) {
      inflater ??= newInflate();
      if (inflater === undefined) return fallback.inflate(body, maxBytes);
      const stream = inflater;
      stream.handle.reset();
      let chunks: Uint8Array[] | undefined;
      let total = 0;
      let inOffset = 0;
      for (;;) {
        if (!write(stream, body, inOffset, inflateScratch, 0)) {
          closeStream(stream);
          inflater = undefined;
          throw inflateFailed(maxBytes, new Error(stream.error));
        }
        const availOut = stream.state[0] as number;
        const availIn = stream.state[1] as number;
        const produced = inflateScratch.length - availOut;
        total += produced;
        // Checked per scratch-full: a bomb stops within 32 KiB past the limit, never inflated whole.
        if (total > maxBytes) throw inflatesPastLimit(maxBytes);
        if (availOut !== 0) {
          // Done: Z_FINISH with output space left means the stream ended (or zlib reported the
          // truncation above as "unexpected end of file").
          if (chunks === undefined) return inflateScratch.subarray(0, produced);
          chunks.push(inflateScratch.slice(0, produced));
          return concat(chunks, total);
        }
        chunks ??= [];
        chunks.push(inflateScratch.slice());
        inOffset = body.length - availIn;
      }
    },
  };

  // Self-check against the public API, both directions, before trusting the internals.
  try {
    const sample = encoder.encode(
      JSON.stringify(
        Array.from({ length: 40 }, (_, i) => ({ id: (i * 2654435761) % 99991, tag: `t${i % 7}` })),
      ),
    );
    const packed = driver.pack(sample);
    const expected = zlib.deflateRawSync(sample);
    if (packed === undefined || !sameBytes(packed.subarray(1), expected)) return undefined;
    if (!sameBytes(driver.inflate(expected, sample.length), sample)) return undefined;
    if (!sameBytes(zlib.inflateRawSync(packed.subarray(1)), sample)) return undefined;
    // A stream retired during the check means zlib reported an error: do not trust it.
    if (deflater === undefined || inflater === undefined) return undefined;
  } catch {
    return undefined;
  }
  return driver;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

const zlib = loadZlib();
/** Chosen on first use, so a process whose sessions never compress holds no zlib streams. */
let chosenDriver: ZlibDriver | undefined | null = null;
function zlibDriver(): ZlibDriver | undefined {
  if (chosenDriver === null) chosenDriver = zlib ? (reusedZlib(zlib) ?? perCallZlib(zlib)) : undefined;
  return chosenDriver;
}

/** Which compressor `packForCookie` uses here. */
export const compressor: "node:zlib" | "CompressionStream" = zlib ? "node:zlib" : "CompressionStream";
/** How node:zlib is driven here (`undefined` without node:zlib). */
export function zlibDriverKind(): ZlibDriver["kind"] | undefined {
  return zlibDriver()?.kind;
}

/**
 * Text → bytes for sealing: one flag byte, then the UTF-8 text, deflate-raw compressed when the
 * text is long enough to matter (`COMPRESS_FROM_BYTES`) and that makes it smaller.
 */
export async function packForCookie(text: string, options: PackOptions = {}): Promise<Uint8Array> {
  const packed = packForCookieSync(text, options);
  if (packed !== null) return packed;
  const raw = encoder.encode(text);
  const body = await deflateWithStream(raw);
  return body.length < raw.length ? withFlag(FLAG_DEFLATE, body) : withFlag(FLAG_RAW, raw);
}

/**
 * `packForCookie` without a promise, for a request's write: the same bytes, or `null` when only the
 * stream compressor could make them (a long text where node:zlib is missing).
 */
export function packForCookieSync(text: string, options: PackOptions = {}): Uint8Array | null {
  // Encode straight after the flag byte: exact for ASCII text (nearly always); else encode apart.
  const scratch = options.scratch;
  let packed: Uint8Array =
    scratch !== undefined && text.length < scratch.length
      ? scratch.subarray(0, text.length + 1)
      : new Uint8Array(text.length + 1);
  packed[0] = FLAG_RAW;
  let raw = packed.subarray(1);
  if (encoder.encodeInto(text, raw).read !== text.length) {
    packed = withFlag(FLAG_RAW, encoder.encode(text));
    raw = packed.subarray(1);
  }
  if (raw.length >= (options.minCompressBytes ?? COMPRESS_FROM_BYTES)) {
    const driver = zlibDriver();
    if (driver === undefined) return null;
    return driver.pack(raw) ?? packed;
  }
  return packed;
}

/**
 * The inverse of `packForCookie`.
 * @throws SatchelError on an unknown flag, corrupt deflate data, invalid UTF-8, or output past
 *   `maxBytes` (treat as malformed).
 */
export async function unpackFromCookie(packed: Uint8Array, options: UnpackOptions = {}): Promise<string> {
  const text = unpackFromCookieSync(packed, options);
  if (text !== null) return text;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_UNPACKED;
  return decodeUnpacked(await inflateWithStream(packed.subarray(1), maxBytes), maxBytes);
}

/**
 * `unpackFromCookie` without a promise, for a request's read: the same text (its errors thrown),
 * or `null` when only the stream inflater could unpack it (deflated, and node:zlib missing).
 */
export function unpackFromCookieSync(packed: Uint8Array, options: UnpackOptions = {}): string | null {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_UNPACKED;
  const flag = packed[0];
  const body = packed.subarray(1);
  if (flag === FLAG_RAW) return decodeUnpacked(body, maxBytes);
  if (flag !== FLAG_DEFLATE) {
    throw new SatchelError(`satchel: packed session payload has unknown format flag ${String(flag)}.`);
  }
  // A driver's inflate is decoded at once: its result may be scratch memory.
  const driver = zlibDriver();
  return driver === undefined ? null : decodeUnpacked(driver.inflate(body, maxBytes), maxBytes);
}

/** Unpacked bytes → text: at most `maxBytes` of strict UTF-8. */
function decodeUnpacked(raw: Uint8Array, maxBytes: number): string {
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
      throw inflatesPastLimit(maxBytes);
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  return concat(chunks, total);
}
