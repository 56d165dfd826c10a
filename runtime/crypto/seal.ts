/**
 * Sealed tokens: AES-256-GCM over a small binary header (the sealed expiry) and the payload.
 *
 * token = base64url( keyId[4] ‖ iv[12] ‖ AES-256-GCM(header ‖ payload) ‖ tag[16] )
 *
 * - The key is HKDF-SHA256(secret, fixed salt, "satchel/v1/" + session name), derived once per
 *   (secret, session) and cached: a seal costs one AES-GCM call, never a key derivation.
 * - keyId is 4 bytes derived from the secret (not the secret itself), so unseal goes straight to
 *   the right key during rotation.
 * - The associated data binds format version, session name and keyId, so a `cart` token is
 *   worthless as `auth`, and no part of the token is trusted before the tag verifies.
 * - The header carries createdAt, absoluteExpiresAt and optionally idleExpiresAt (epoch seconds),
 *   so a replayed old cookie is rejected by its own sealed expiry; optionally a random binding (what
 *   CSRF tokens are bound to) and the lifetime chosen at run time (`$expire()`), so both travel with
 *   the session and nobody but the app can set them.
 */

import { SatchelConfigError, SatchelError } from "../errors.ts";
import {
  type BackendChoice,
  type BackendKey,
  base64urlDecode,
  base64urlEncode,
  base64urlOfStart,
  type CryptoBackend,
  IV_LENGTH,
  selectBackend,
  TAG_LENGTH,
  utf8,
} from "./backend.ts";

/** Lifetimes sealed into a token, in epoch seconds. */
export interface SealTimes {
  /** When the session was first created. */
  createdAt: number;
  /** Hard end of the session; never extended. */
  absoluteExpiresAt: number;
  /** Rolling end since the last touch; `null` when the session has no idle limit. */
  idleExpiresAt: number | null;
  /**
   * 16 random bytes drawn when the session starts and again on `regenerate()`: what CSRF tokens are
   * bound to. Absent in tokens sealed before satchel wrote it.
   */
  binding?: Uint8Array;
  /** The lifetime `$expire()` chose: absolute seconds, and whether the cookie outlives the browser. */
  lifetime?: SealedLifetime;
}

/** A session's lifetime chosen at run time (`$expire()`), sealed with it. */
export interface SealedLifetime {
  /** Seconds from the session's (re)start to its absolute end. */
  absolute: number;
  /** Its idle limit in seconds; `null`: none. */
  idle: number | null;
  /** `false`: a browser-session cookie (no Max-Age). */
  persistent: boolean;
}

/** Result of `unseal`: never an exception for bad input. */
export type UnsealResult =
  | {
      ok: true;
      plaintext: Uint8Array;
      times: SealTimes;
      /** Sealed by a secret other than the first: re-seal on the next write. */
      staleKey: boolean;
    }
  | { ok: false; reason: "malformed" | "tampered" | "expired" | "unknown-key" };

/** Seals and unseals payloads for named sessions with one list of secrets. */
export interface Sealer {
  /** The crypto backend in use. */
  readonly backend: CryptoBackend;
  /**
   * Encrypts `plaintext` for `session` with the first secret. The token comes at once (no promise)
   * when the session's key is derived and the backend encrypts synchronously; a failure always
   * rejects. `plaintext` is read before seal() returns: the caller may reuse its memory after.
   */
  seal(session: string, plaintext: Uint8Array, times: SealTimes): string | Promise<string>;
  /**
   * Decrypts and checks a token of `session` against the clock `nowMs` (epoch ms); at once (no
   * promise) when the key is derived and the backend decrypts synchronously.
   */
  unseal(session: string, token: string, nowMs: number): UnsealResult | Promise<UnsealResult>;
}

interface SealerOptions {
  /** Crypto implementation. Default `"auto"`: node:crypto when present, else WebCrypto. */
  backend?: BackendChoice;
  /** Longest token text accepted by `unseal`, in characters. Default 65536. */
  maxTokenLength?: number;
}

/** Format version, bound into every key derivation and the associated data. */
const FORMAT = "satchel/v1";
const KEY_SALT = utf8(`${FORMAT} seal key`);
const KEY_ID_SALT = utf8(`${FORMAT} key id`);
const KEY_ID_INFO = utf8(`${FORMAT}/key-id`);
const KEY_ID_LENGTH = 4;
const PREFIX_LENGTH = KEY_ID_LENGTH + IV_LENGTH;
/**
 * flags[1] ‖ createdAt[4] ‖ absoluteExpiresAt[4] ‖ (idleExpiresAt[4] when flags & 1)
 * ‖ (binding[16] when flags & 2) ‖ (lifetime[4] ‖ lifetimeIdle[4] when flags & 4, 2^32-1: no idle
 * limit; flags & 8: not persistent)
 */
const HEADER_BASE = 9;
const FLAG_IDLE = 1;
const FLAG_BINDING = 2;
const FLAG_LIFETIME = 4;
const FLAG_TRANSIENT = 8;
const KNOWN_FLAGS = FLAG_IDLE | FLAG_BINDING | FLAG_LIFETIME | FLAG_TRANSIENT;
const MAX_UINT32 = 0xffff_ffff;
/** A chosen lifetime's idle limit of "none". */
const NO_IDLE = MAX_UINT32;
/** Bytes of a session's random binding. */
export const BINDING_BYTES = 16;
const MIN_TOKEN_BYTES = PREFIX_LENGTH + HEADER_BASE + TAG_LENGTH;
/** The reused buffer of a sealer (see `scratchOf`): room for a cookie-sized token's bytes. */
const SCRATCH_BYTES = 4096;

interface KeyEntry {
  /** keyId as an unsigned 32-bit number, for a quick match. */
  readonly id: number;
  /** Position of the secret in the list: 0 seals, others only unseal. */
  readonly index: number;
  readonly key: BackendKey;
  readonly aad: Uint8Array;
  readonly keyId: Uint8Array;
}

const MALFORMED = Object.freeze({ ok: false, reason: "malformed" }) as UnsealResult;
const TAMPERED = Object.freeze({ ok: false, reason: "tampered" }) as UnsealResult;
const EXPIRED = Object.freeze({ ok: false, reason: "expired" }) as UnsealResult;
const UNKNOWN_KEY = Object.freeze({ ok: false, reason: "unknown-key" }) as UnsealResult;

/**
 * Creates a sealer for a list of secrets (already checked, see `resolveSecrets`): the first one
 * seals, all of them unseal.
 */
export function createSealer(secrets: readonly string[], options: SealerOptions = {}): Sealer {
  if (secrets.length === 0) {
    throw new SatchelConfigError("satchel: createSealer needs at least one secret; see resolveSecrets().");
  }
  const backend = selectBackend(options.backend);
  const maxTokenLength = options.maxTokenLength ?? 65_536;
  const secretBytes = secrets.map(utf8);
  let keyIds: Promise<Uint8Array[]> | undefined;
  const resolved = new Map<string, KeyEntry[]>();
  const pending = new Map<string, Promise<KeyEntry[]>>();

  const getKeyIds = (): Promise<Uint8Array[]> => {
    keyIds ??= Promise.all(
      secretBytes.map((secret) => backend.deriveBits(secret, KEY_ID_SALT, KEY_ID_INFO, KEY_ID_LENGTH)),
    );
    return keyIds;
  };

  const deriveSession = async (session: string): Promise<KeyEntry[]> => {
    const ids = await getKeyIds();
    const info = utf8(`${FORMAT}/${session}`);
    const aadBase = utf8(`${FORMAT}\0${session}\0`);
    const keys = await Promise.all(
      secretBytes.map((secret) => backend.deriveKey(secret, KEY_SALT, info, "aes-gcm")),
    );
    return keys.map((key, index) => {
      const keyId = ids[index] as Uint8Array;
      const aad = new Uint8Array(aadBase.length + KEY_ID_LENGTH);
      aad.set(aadBase, 0);
      aad.set(keyId, aadBase.length);
      return { id: readUint32(keyId, 0), index, key, aad, keyId };
    });
  };

  // Hot path: a resolved Map hit; the derivation runs once per session name (shared if concurrent).
  const keysFor = (session: string): KeyEntry[] | Promise<KeyEntry[]> => {
    const ready = resolved.get(session);
    if (ready) return ready;
    let inFlight = pending.get(session);
    if (!inFlight) {
      inFlight = deriveSession(session).then(
        (entries) => {
          resolved.set(session, entries);
          pending.delete(session);
          return entries;
        },
        (error: unknown) => {
          pending.delete(session); // let a later call retry
          throw error;
        },
      );
      pending.set(session, inFlight);
    }
    return inFlight;
  };

  // Random ivs drawn from a pooled buffer: one random call per 256 seals instead of one per seal.
  let ivPool: Uint8Array = new Uint8Array(0);
  let ivOffset = 0;
  /** Where the next iv starts in `ivPool` (read it before the next call: the pool may be replaced). */
  const nextIvAt = (): number => {
    if (ivOffset + IV_LENGTH > ivPool.length) {
      ivPool = backend.randomBytes(IV_LENGTH * 256);
      ivOffset = 0;
    }
    const at = ivOffset;
    ivOffset += IV_LENGTH;
    return at;
  };
  /** The next iv as bytes of its own pool: what a seal that waits keeps. */
  const nextIv = (): Uint8Array => {
    const at = nextIvAt();
    return ivPool.subarray(at, at + IV_LENGTH);
  };

  // A Uint8Array of a few hundred bytes is allocated outside the JS heap: about 2k instructions, and
  // work for the GC. Bytes a seal builds and has used up before it returns go through two reused
  // buffers instead: key id ‖ iv ‖ ciphertext ‖ tag on its way to base64url (where a synchronous
  // backend encrypts straight into it), and header ‖ plaintext where the backend encrypts synchronously.
  const scratch = new Uint8Array(SCRATCH_BYTES);
  const scratchText = base64urlOfStart(scratch);
  const scratchOf = reusedBytes(scratch);
  const bodyScratchOf = reusedBytes(new Uint8Array(SCRATCH_BYTES));
  /** Where a synchronous backend encrypts to: the scratch buffer after the room for key id ‖ iv. */
  const roomOf = reusedBytes(scratch, PREFIX_LENGTH);
  // A synchronous seal's or unseal's iv, copied here from the pool or the token: node:crypto copies
  // an iv when the cipher is made, and a 12-byte copy costs less than a view of its own (~100 bytes).
  const syncIv = new Uint8Array(IV_LENGTH);

  /** header ‖ plaintext, the bytes a token encrypts, in `into(length)`. */
  const bodyOf = (
    plaintext: Uint8Array,
    times: SealTimes,
    into: (length: number) => Uint8Array,
  ): Uint8Array => {
    const length = headerLength(times);
    const body = into(length + plaintext.length);
    writeHeader(body, times);
    body.set(plaintext, length);
    return body;
  };

  const tokenOf = (entry: KeyEntry, iv: Uint8Array, sealed: Uint8Array): string => {
    const token = scratchOf(PREFIX_LENGTH + sealed.length);
    token.set(sealed, PREFIX_LENGTH);
    token.set(entry.keyId, 0);
    token.set(iv, KEY_ID_LENGTH);
    return base64urlEncode(token);
  };

  const sealLater = async (session: string, plaintext: Uint8Array, times: SealTimes): Promise<string> => {
    // A body of its own, made before waiting: other seals may use the scratch buffer meanwhile, and
    // the caller may reuse `plaintext` once seal() returns.
    const body = bodyOf(plaintext, times, (length) => new Uint8Array(length));
    const entry = (await keysFor(session))[0] as KeyEntry;
    const iv = nextIv();
    return tokenOf(entry, iv, await backend.encrypt(entry.key, iv, body, entry.aad));
  };

  /** The checks after `match`'s key decrypted `body`: the sealed header and its expiry. */
  const opened = (body: Uint8Array, match: KeyEntry, nowMs: number): UnsealResult => {
    const decoded = decodeHeader(body);
    if (decoded === null) return MALFORMED;
    const { times, length } = decoded;
    if (nowMs >= times.absoluteExpiresAt * 1000) return EXPIRED;
    if (times.idleExpiresAt !== null && nowMs >= times.idleExpiresAt * 1000) return EXPIRED;
    return { ok: true, plaintext: body.subarray(length), times, staleKey: match.index !== 0 };
  };

  const unsealLater = async (
    raw: Uint8Array,
    nowMs: number,
    ready: KeyEntry[] | Promise<KeyEntry[]>,
  ): Promise<UnsealResult> => {
    const entries = await ready;
    const id = readUint32(raw, 0);
    const iv = raw.subarray(KEY_ID_LENGTH, PREFIX_LENGTH);
    const sealed = raw.subarray(PREFIX_LENGTH);
    let known = false;
    // Usually exactly one entry matches; a 4-byte keyId collision between two secrets just
    // means trying both.
    for (const entry of entries) {
      if (entry.id !== id) continue;
      known = true;
      const body = await backend.decrypt(entry.key, iv, sealed, entry.aad);
      if (body !== null) return opened(body, entry, nowMs);
    }
    return known ? TAMPERED : UNKNOWN_KEY;
  };

  const encryptSync = backend.encryptSync?.bind(backend);
  const decryptSync = backend.decryptSync?.bind(backend);

  return {
    backend,
    seal(session, plaintext, times) {
      const entries = resolved.get(session);
      // The key derived and a synchronous backend (node:crypto): the token at once, no microtask.
      if (entries === undefined || encryptSync === undefined) return sealLater(session, plaintext, times);
      try {
        const entry = entries[0] as KeyEntry;
        const body = bodyOf(plaintext, times, bodyScratchOf);
        const iv = syncIv;
        copyInto(iv, ivPool, nextIvAt());
        // GCM's ciphertext is as long as its plaintext: the backend writes ciphertext ‖ tag into the
        // scratch buffer after the room for key id ‖ iv (a backend that made its own array, or a
        // token too long for the buffer, has it copied into a token's bytes).
        const length = PREFIX_LENGTH + body.length + TAG_LENGTH;
        const room = length <= SCRATCH_BYTES ? roomOf(length - PREFIX_LENGTH) : undefined;
        const sealed = encryptSync(entry.key, iv, body, entry.aad, room);
        if (sealed !== room) return tokenOf(entry, iv, sealed);
        scratch.set(entry.keyId, 0);
        scratch.set(iv, KEY_ID_LENGTH);
        return scratchText(length);
      } catch (error) {
        // Bad times fail the same way on both paths: a rejection, never a throw.
        return Promise.reject(error);
      }
    },
    unseal(session, token, nowMs) {
      if (typeof token !== "string" || token.length > maxTokenLength) return MALFORMED;
      const raw = base64urlDecode(token);
      if (raw === null || raw.length < MIN_TOKEN_BYTES) return MALFORMED;
      const ready = keysFor(session);
      if (Array.isArray(ready) && decryptSync !== undefined) {
        const id = readUint32(raw, 0);
        const iv = syncIv;
        copyInto(iv, raw, KEY_ID_LENGTH);
        const sealed = raw.subarray(PREFIX_LENGTH);
        let known = false;
        for (const entry of ready) {
          if (entry.id !== id) continue;
          known = true;
          const body = decryptSync(entry.key, iv, sealed, entry.aad);
          if (body !== null) return opened(body, entry, nowMs);
        }
        return known ? TAMPERED : UNKNOWN_KEY;
      }
      return unsealLater(raw, nowMs, ready);
    },
  };
}

/**
 * `length` bytes of `buffer` from `start`, reused by every call; a new array when it is too short.
 * The last view is kept: a session's seals are mostly of one length, and each view is an object.
 */
function reusedBytes(buffer: Uint8Array, start = 0): (length: number) => Uint8Array {
  let lastLength = -1;
  let last = buffer;
  return (length) => {
    if (length === lastLength) return last;
    if (start + length > buffer.length) return new Uint8Array(length);
    last = buffer.subarray(start, start + length);
    lastLength = length;
    return last;
  };
}

/** Fills `target` with the bytes of `source` from `offset`. */
function copyInto(target: Uint8Array, source: Uint8Array, offset: number): void {
  for (let i = 0; i < target.length; i++) target[i] = source[offset + i] as number;
}

/** Bytes of the header of `times`: only the parts a token carries take room. */
function headerLength(times: SealTimes): number {
  return (
    HEADER_BASE +
    (times.idleExpiresAt === null ? 0 : 4) +
    (times.binding === undefined ? 0 : BINDING_BYTES) +
    (times.lifetime === undefined ? 0 : 8)
  );
}

/** Writes the header of `times` (`headerLength(times)` bytes) at the start of `target`. */
function writeHeader(target: Uint8Array, times: SealTimes): void {
  const idle = times.idleExpiresAt === null ? null : toUint32(times.idleExpiresAt, "idleExpiresAt");
  const { binding, lifetime } = times;
  if (binding !== undefined && binding.length !== BINDING_BYTES) {
    throw new SatchelError(
      `satchel: seal() got a binding of ${binding.length} bytes; it must be ${BINDING_BYTES}.`,
    );
  }
  let flags = 0;
  if (idle !== null) flags |= FLAG_IDLE;
  if (binding !== undefined) flags |= FLAG_BINDING;
  if (lifetime !== undefined) flags |= FLAG_LIFETIME | (lifetime.persistent ? 0 : FLAG_TRANSIENT);
  target[0] = flags;
  writeUint32(target, 1, toUint32(times.createdAt, "createdAt"));
  writeUint32(target, 5, toUint32(times.absoluteExpiresAt, "absoluteExpiresAt"));
  let at = HEADER_BASE;
  if (idle !== null) {
    writeUint32(target, at, idle);
    at += 4;
  }
  if (binding !== undefined) {
    target.set(binding, at);
    at += BINDING_BYTES;
  }
  if (lifetime !== undefined) {
    writeUint32(target, at, toUint32(lifetime.absolute, "lifetime"));
    const idleLimit =
      lifetime.idle === null ? NO_IDLE : Math.min(toUint32(lifetime.idle, "lifetime idle"), NO_IDLE - 1);
    writeUint32(target, at + 4, idleLimit);
  }
}

/** The times a decrypted body starts with, and where its payload begins; `null` when malformed. */
function decodeHeader(body: Uint8Array): { times: SealTimes; length: number } | null {
  const flags = body[0] as number;
  // A transient flag without a lifetime is no header satchel writes.
  if ((flags & ~KNOWN_FLAGS) !== 0 || (flags & (FLAG_LIFETIME | FLAG_TRANSIENT)) === FLAG_TRANSIENT)
    return null;
  const length =
    HEADER_BASE +
    (flags & FLAG_IDLE ? 4 : 0) +
    (flags & FLAG_BINDING ? BINDING_BYTES : 0) +
    (flags & FLAG_LIFETIME ? 8 : 0);
  if (body.length < length) return null;
  const times: SealTimes = {
    createdAt: readUint32(body, 1),
    absoluteExpiresAt: readUint32(body, 5),
    idleExpiresAt: null,
  };
  let at = HEADER_BASE;
  if (flags & FLAG_IDLE) {
    times.idleExpiresAt = readUint32(body, at);
    at += 4;
  }
  // A copy: the binding outlives the decrypted buffer it was read from.
  if (flags & FLAG_BINDING) {
    times.binding = body.slice(at, at + BINDING_BYTES);
    at += BINDING_BYTES;
  }
  if (flags & FLAG_LIFETIME) {
    const idle = readUint32(body, at + 4);
    times.lifetime = {
      absolute: readUint32(body, at),
      idle: idle === NO_IDLE ? null : idle,
      persistent: (flags & FLAG_TRANSIENT) === 0,
    };
  }
  return { times, length };
}

function toUint32(value: number, field: string): number {
  const n = Math.floor(value);
  if (!(n >= 0 && n <= MAX_UINT32)) {
    throw new SatchelError(`satchel: seal() got ${field} = ${value}; it must be epoch seconds (0 … 2^32-1).`);
  }
  return n;
}

function writeUint32(target: Uint8Array, offset: number, value: number): void {
  target[offset] = value >>> 24;
  target[offset + 1] = (value >>> 16) & 255;
  target[offset + 2] = (value >>> 8) & 255;
  target[offset + 3] = value & 255;
}

function readUint32(source: Uint8Array, offset: number): number {
  return (
    (((source[offset] as number) << 24) |
      ((source[offset + 1] as number) << 16) |
      ((source[offset + 2] as number) << 8) |
      (source[offset + 3] as number)) >>>
    0
  );
}
