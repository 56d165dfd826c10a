/**
 * Splitting a large cookie value over `name.0 … name.n-1` and putting it back together.
 *
 * Browsers cap one cookie at about 4096 bytes, and the safe reading of RFC 6265 §6.1 counts the
 * name, value and attributes together, so the whole serialized `Set-Cookie` value is measured.
 * Whenever the shape changes (plain ↔ chunked, more ↔ fewer chunks) the cookies no longer used
 * are expired, so a stale chunk can never be glued onto a new value.
 *
 * The first chunk starts with the chunk count (`name.0 = "3~…"`): satchel reads exactly the chunks it
 * wrote and expires only those. Another application's cookie named like a chunk (`auth.7`, or an
 * `auth.0` without the count) is ignored and reported, never glued in, never deleted.
 */

import { SatchelError, SessionTooLargeError } from "../errors.ts";
import {
  type CookieAttributes,
  type CookieJar,
  type CookieWrite,
  expiredAttributes,
  isSafeCookieValue,
  serializeCookie,
} from "./header.ts";

/** Largest serialized `Set-Cookie` value, in bytes. */
export const COOKIE_BYTE_LIMIT = 4096;
/** Default largest number of chunks of one session. */
const DEFAULT_MAX_CHUNKS = 4;
/** Chunks beyond this index are never read back, whatever the request sends. */
const MAX_READ_CHUNKS = 64;

/** Input of `planCookieWrites`. */
interface PlanCookieWritesOptions {
  /** Session name, for the size error. */
  session: string;
  /** Base cookie name; chunks are `name.0`, `name.1`, … */
  name: string;
  /**
   * The new value (cookie-safe text, e.g. a sealed token), or `null` to delete: the plain cookie
   * is always expired, chunks when the jar has them.
   */
  value: string | null;
  /** Attributes of every cookie written (expiries reuse path and domain). */
  attributes: CookieAttributes;
  /** The request's cookies, to find chunks to expire. */
  jar: CookieJar;
  /** Largest number of chunks. Default 4. */
  maxChunks?: number;
  /** Byte cap per `Set-Cookie` value. Default 4096. */
  byteLimit?: number;
  /**
   * The value is a token satchel sealed (base64url, cookie-safe by construction), and `name` with
   * these attributes was written before (so they were validated): the value's characters are not
   * checked again, and a value well under the limit is written whole without measuring the
   * `Set-Cookie`. The writes carry `safe`, so the jar does not check them either.
   */
  checked?: boolean;
}

/**
 * More than the name's `=` and every attribute can add to a `Set-Cookie` besides the path and
 * domain texts: Max-Age (at most 23 digits), Expires (29 characters), Secure, HttpOnly,
 * SameSite=Strict, Partitioned, Priority=Medium and their `; ` separators come to 154 bytes.
 */
const ATTRIBUTES_ROOM = 160;

/**
 * The cookie writes that store `value` under `name` (whole or chunked) and expire every cookie of
 * the old shape that the jar still has.
 * @throws SessionTooLargeError when more than `maxChunks` chunks would be needed.
 * @throws SatchelError when `value` contains characters that would need %-encoding.
 */
export function planCookieWrites(options: PlanCookieWritesOptions): CookieWrite[] {
  const { session, name, value, attributes, jar } = options;
  const maxChunks = options.maxChunks ?? DEFAULT_MAX_CHUNKS;
  const limit = options.byteLimit ?? COOKIE_BYTE_LIMIT;
  const present = ownChunkIndices(jar, name);
  const writes: CookieWrite[] = [];

  if (value === null) {
    // The plain cookie is expired even when this request did not send it: a deletion must not
    // depend on the browser having sent the cookie on this particular path.
    expire(writes, name, attributes);
    for (const index of present) expire(writes, `${name}.${index}`, attributes);
    return writes;
  }
  const safe = options.checked === true;
  if (safe) {
    // Most session cookies are far from the limit: no chunk planning, no measuring. The attributes
    // were validated (and so are ASCII) when this cookie was first written.
    const room =
      name.length + ATTRIBUTES_ROOM + (attributes.path?.length ?? 0) + (attributes.domain?.length ?? 0);
    if (value.length + room <= limit) {
      writes.push({ name, value, attributes, safe });
      for (const index of present) expire(writes, `${name}.${index}`, attributes);
      return writes;
    }
  } else if (!isSafeCookieValue(value)) {
    throw new SatchelError(
      `satchel: the cookie value of session "${session}" has characters that need escaping; only cookie-safe text can be chunked.`,
    );
  }

  // A safe value is ASCII, one byte per character, and goes on the wire unchanged: measure the
  // name and attributes (validated here as before) and add its length, instead of building and
  // scanning the whole Set-Cookie string.
  const whole = byteLength(serializeCookie(name, "", attributes)) + value.length;
  if (whole <= limit) {
    writes.push(safe ? { name, value, attributes, safe } : { name, value, attributes });
    for (const index of present) expire(writes, `${name}.${index}`, attributes);
    return writes;
  }

  // Size every chunk for the widest index it could have, so no chunk can overflow.
  const widest = `${name}.${"9".repeat(String(Math.max(maxChunks - 1, 0)).length)}`;
  const overhead = byteLength(serializeCookie(widest, "", attributes));
  const room = limit - overhead;
  const count = room > 0 ? chunkCount(value.length, room) : Number.POSITIVE_INFINITY;
  if (count > maxChunks) {
    const needed = Number.isFinite(count) ? value.length + count * overhead : value.length + overhead;
    throw new SessionTooLargeError(session, needed, maxChunks * limit);
  }
  const marked = `${count}${COUNT_MARK}${value}`;
  for (let index = 0; index < count; index++) {
    const chunk: CookieWrite = {
      name: `${name}.${index}`,
      value: marked.slice(index * room, (index + 1) * room),
      attributes,
    };
    if (safe) chunk.safe = true;
    writes.push(chunk);
  }
  if (jar.get(name) !== undefined) expire(writes, name, attributes);
  for (const index of present) if (index >= count) expire(writes, `${name}.${index}`, attributes);
  return writes;
}

/**
 * Adds the write that expires `cookieName` (same path and domain as `attributes`). A function of the
 * module rather than a closure of `planCookieWrites`: that one ran, and was allocated, on every write.
 */
function expire(writes: CookieWrite[], cookieName: string, attributes: CookieAttributes): void {
  writes.push({ name: cookieName, value: "", attributes: expiredAttributes(attributes) });
}

/** What was wrong with a session's chunk cookies, filled in by `readChunkedCookie`. */
export interface ChunkProblems {
  /** Cookies named like chunks that satchel did not write: ignored. */
  foreign: string[];
  /** The first chunk satchel counted but the request did not send: the value is incomplete. */
  missing?: string;
}

/**
 * The value stored under `name`: the plain cookie, or the chunks satchel wrote joined in order.
 * `undefined` when absent or incomplete. Chunk-like cookies satchel did not write are left out; pass
 * `problems` to learn about them (and about a missing chunk) for a report.
 */
export function readChunkedCookie(
  jar: CookieJar,
  name: string,
  problems?: ChunkProblems,
): string | undefined {
  return jar.get(name) ?? readChunks(jar, name, problems);
}

/** A cookie's value in each of its two forms, as a request sent them. */
export interface CookieForms {
  /** The plain `name` cookie. */
  plain: string | undefined;
  /** The chunks satchel wrote, joined; `undefined` when absent or incomplete. */
  chunked: string | undefined;
}

/**
 * Both forms of the cookie `name`, read apart. Satchel never leaves both in a browser (writing one
 * form expires the other), so a request carrying both carries one that another site planted; the
 * caller decides which, if any, to trust.
 */
export function readCookieForms(jar: CookieJar, name: string, problems?: ChunkProblems): CookieForms {
  const plain = jar.get(name);
  // The common read: a plain cookie and no first chunk beside it; skip scanning for chunks.
  if (plain !== undefined && jar.get(firstChunkName(name)) === undefined)
    return { plain, chunked: undefined };
  return { plain, chunked: readChunks(jar, name, problems) };
}

/** The chunks satchel wrote under `name`, joined (see `readChunkedCookie`). */
function readChunks(jar: CookieJar, name: string, problems?: ChunkProblems): string | undefined {
  const count = writtenCount(jar, name);
  if (problems !== undefined) {
    for (const index of chunkIndices(jar, name))
      if (index >= count) problems.foreign.push(`${name}.${index}`);
  }
  if (count === 0) return undefined;
  let out = "";
  for (let index = 0; index < count; index++) {
    const part = jar.get(`${name}.${index}`);
    if (part === undefined) {
      if (problems !== undefined) problems.missing = `${name}.${index}`;
      return undefined;
    }
    out += part;
  }
  return out.slice(out.indexOf(COUNT_MARK) + 1);
}

/** Separates the chunk count from the value in the first chunk; never part of a sealed token. */
const COUNT_MARK = "~";
const COUNT_PREFIX = /^([1-9]\d{0,2})~/;

/** How many chunks satchel wrote under `name`, from the count in `name.0`; 0 when it wrote none. */
function writtenCount(jar: CookieJar, name: string): number {
  const first = jar.get(firstChunkName(name));
  if (first === undefined) return 0;
  const match = COUNT_PREFIX.exec(first);
  const count = match === null ? 0 : Number(match[1]);
  return count <= MAX_READ_CHUNKS ? count : 0;
}

/** `firstChunkName`'s names made so far, by base name (the sessions' cookie names: a handful). */
const firstChunkNames = new Map<string, string>();
/** Names kept at most: a name from elsewhere than the config cannot grow the map without bound. */
const FIRST_CHUNK_NAMES_KEPT = 256;

/**
 * `name.0`, the name of a cookie's first chunk, which every read and write of a session looks up:
 * kept per name, so a session's requests look up the same string, its hash computed once, also when
 * a request touches several sessions (keeping only the last name made a new string for each of them).
 */
export function firstChunkName(name: string): string {
  let first = firstChunkNames.get(name);
  if (first === undefined) {
    first = `${name}.0`;
    if (firstChunkNames.size < FIRST_CHUNK_NAMES_KEPT) firstChunkNames.set(name, first);
  }
  return first;
}

/** No chunk indices: shared, as most writes have none (nothing ever adds to it). */
const NO_INDICES: readonly number[] = Object.freeze([]);

/** Indices of the chunks satchel wrote that the jar still has: the only ones it may expire. */
function ownChunkIndices(jar: CookieJar, name: string): readonly number[] {
  const count = writtenCount(jar, name);
  // The common write (a plain cookie, or none yet) has no counted first chunk: nothing to list.
  if (count === 0) return NO_INDICES;
  return chunkIndices(jar, name).filter((index) => index < count);
}

/**
 * The number of chunks of `room` characters holding a value of `length` plus its count prefix: the
 * smallest `n` whose own prefix (`"n~"`) still fits in `n` chunks.
 */
function chunkCount(length: number, room: number): number {
  let count = Math.ceil((length + 2) / room);
  while (Math.ceil((length + String(count).length + COUNT_MARK.length) / room) > count) count++;
  return count;
}

/** Sorted indices N of the `name.N` cookies present (N without leading zeros). */
function chunkIndices(jar: CookieJar, name: string): number[] {
  const prefix = `${name}.`;
  const out: number[] = [];
  for (const cookie of jar.names()) {
    if (!cookie.startsWith(prefix)) continue;
    const digits = cookie.slice(prefix.length);
    if (digits.length > 3 || !/^(?:0|[1-9]\d*)$/.test(digits)) continue;
    out.push(Number(digits));
  }
  return out.sort((a, b) => a - b);
}

/** UTF-8 length; cookie strings are almost always ASCII, so skip the encoder when they are. */
export function byteLength(text: string): number {
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) > 127) return new TextEncoder().encode(text).length;
  }
  return text.length;
}
