/**
 * Splitting a large cookie value over `name.0 … name.n-1` and putting it back together.
 *
 * Browsers cap one cookie at about 4096 bytes, and the safe reading of RFC 6265 §6.1 counts the
 * name, value and attributes together, so the whole serialized `Set-Cookie` value is measured.
 * Whenever the shape changes (plain ↔ chunked, more ↔ fewer chunks) the cookies no longer used
 * are expired, so a stale chunk can never be glued onto a new value.
 */
import {
  type CookieAttributes,
  type CookieJar,
  type CookieWrite,
  expiredAttributes,
  isSafeCookieValue,
  serializeCookie,
} from "./cookies.ts";
import { SatchelError, SessionTooLargeError } from "./errors.ts";

/** Largest serialized `Set-Cookie` value, in bytes. */
export const COOKIE_BYTE_LIMIT = 4096;
/** Default largest number of chunks of one session. */
export const DEFAULT_MAX_CHUNKS = 4;
/** Chunks beyond this index are never read back, whatever the request sends. */
const MAX_READ_CHUNKS = 64;

/** Input of `planCookieWrites`. */
export interface PlanCookieWritesOptions {
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
}

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
  const present = chunkIndices(jar, name);
  const writes: CookieWrite[] = [];
  const expire = (cookieName: string) =>
    writes.push({ name: cookieName, value: "", attributes: expiredAttributes(attributes) });

  if (value === null) {
    // The plain cookie is expired even when this request did not send it: a deletion must not
    // depend on the browser having sent the cookie on this particular path.
    expire(name);
    for (const index of present) expire(`${name}.${index}`);
    return writes;
  }
  if (!isSafeCookieValue(value)) {
    throw new SatchelError(
      `satchel: the cookie value of session "${session}" has characters that need escaping; only cookie-safe text can be chunked.`,
    );
  }

  const whole = byteLength(serializeCookie(name, value, attributes));
  if (whole <= limit) {
    writes.push({ name, value, attributes });
    for (const index of present) expire(`${name}.${index}`);
    return writes;
  }

  // Size every chunk for the widest index it could have, so no chunk can overflow.
  const widest = `${name}.${"9".repeat(String(Math.max(maxChunks - 1, 0)).length)}`;
  const overhead = byteLength(serializeCookie(widest, "", attributes));
  const room = limit - overhead;
  const count = room > 0 ? Math.ceil(value.length / room) : Number.POSITIVE_INFINITY;
  if (count > maxChunks) {
    const needed = Number.isFinite(count) ? value.length + count * overhead : value.length + overhead;
    throw new SessionTooLargeError(session, needed, maxChunks * limit);
  }
  for (let index = 0; index < count; index++) {
    writes.push({
      name: `${name}.${index}`,
      value: value.slice(index * room, (index + 1) * room),
      attributes,
    });
  }
  if (jar.get(name) !== undefined) expire(name);
  for (const index of present) if (index >= count) expire(`${name}.${index}`);
  return writes;
}

/**
 * The value stored under `name`: the plain cookie, or its chunks joined in order. `undefined`
 * when absent or when the chunks are incomplete (a gap, or no `name.0`).
 */
export function readChunkedCookie(jar: CookieJar, name: string): string | undefined {
  const plain = jar.get(name);
  if (plain !== undefined) return plain;
  const indices = chunkIndices(jar, name);
  if (indices.length === 0 || indices.length > MAX_READ_CHUNKS) return undefined;
  let out = "";
  for (let index = 0; index < indices.length; index++) {
    // Sorted and unique, so a gap shows as indices[i] !== i.
    if (indices[index] !== index) return undefined;
    const part = jar.get(`${name}.${index}`);
    if (part === undefined) return undefined;
    out += part;
  }
  return out;
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
