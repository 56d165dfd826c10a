/**
 * Cookies per RFC 6265: a tolerant, bounded parser; a strict serializer with every attribute;
 * and the `CookieJar` seam through which a request's cookies come in and go out.
 */
import { SatchelError } from "./errors.ts";

/** Attributes of a `Set-Cookie`. Absent (or `undefined`) means "not sent". */
export interface CookieAttributes {
  /** Seconds until the cookie expires; `0` deletes it. Rounded down. */
  maxAge?: number | undefined;
  /** Absolute expiry, for old clients that ignore Max-Age. */
  expires?: Date | undefined;
  /** Send to this domain and its subdomains. Absent: this host only. */
  domain?: string | undefined;
  /** Send only under this path. */
  path?: string | undefined;
  /** Send only over HTTPS (browsers also allow http://localhost). */
  secure?: boolean | undefined;
  /** Hide from `document.cookie`. */
  httpOnly?: boolean | undefined;
  /** Cross-site sending policy. */
  sameSite?: "lax" | "strict" | "none" | undefined;
  /** CHIPS: partitioned by top-level site (requires Secure). */
  partitioned?: boolean | undefined;
  /** Chrome's eviction priority. */
  priority?: "low" | "medium" | "high" | undefined;
}

/** One cookie to set (or, with value `""` and `maxAge: 0`, to delete). */
export interface CookieWrite {
  name: string;
  value: string;
  attributes: CookieAttributes;
}

/** Where a request's cookies come from and go to (Fetch, Next, tests). */
export interface CookieJar {
  /** The cookie's value as the request sent it (or as last set in this request). */
  get(name: string): string | undefined;
  /** Names of all cookies present. */
  names(): string[];
  /** Records a write; a value of `""` with `maxAge: 0` deletes. */
  set(write: CookieWrite): void;
}

/** Bounds of `parseCookies`, so a hostile header costs little. */
export interface ParseLimits {
  /** Characters of the header looked at; the rest is ignored. Default 65536. */
  maxHeaderLength?: number;
  /** Cookies kept; later ones are ignored. Default 512. */
  maxCookies?: number;
}

/**
 * Parses a `Cookie` header. Never throws: malformed pairs are skipped, the first occurrence of a
 * name wins (the most specific path, per RFC 6265 §5.4), `%xx` escapes are decoded when valid,
 * and one pair of surrounding double quotes is removed.
 */
export function parseCookies(
  header: string | null | undefined,
  limits: ParseLimits = {},
): Map<string, string> {
  const out = new Map<string, string>();
  if (typeof header !== "string" || header === "") return out;
  const maxLength = limits.maxHeaderLength ?? 65_536;
  const maxCookies = limits.maxCookies ?? 512;
  let text = header;
  if (text.length > maxLength) {
    // Drop the pair cut in half by the limit rather than read a truncated value.
    const cut = text.lastIndexOf(";", maxLength);
    text = cut < 0 ? "" : text.slice(0, cut);
  }
  let start = 0;
  let seen = 0;
  while (start < text.length && seen < maxCookies) {
    let end = text.indexOf(";", start);
    if (end < 0) end = text.length;
    const eq = text.indexOf("=", start);
    if (eq > start && eq < end) {
      const name = text.slice(start, eq).trim();
      if (name !== "" && !out.has(name) && !CONTROL.test(name)) {
        seen++;
        out.set(name, decodeValue(text.slice(eq + 1, end).trim()));
      }
    }
    start = end + 1;
  }
  return out;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\x00-\x1f\x7f]/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** cookie-octet (RFC 6265 §4.1.1) minus `%`, which we reserve for escapes. */
const SAFE_VALUE = /^[\x21\x23\x24\x26-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*$/;
const DOMAIN = /^\.?[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;
// biome-ignore lint/suspicious/noControlCharactersInRegex: see above
const PATH_VALUE = /^[^\x00-\x1f\x7f;]*$/;

function decodeValue(raw: string): string {
  let value = raw;
  if (value.length >= 2 && value.charCodeAt(0) === 34 && value.charCodeAt(value.length - 1) === 34) {
    value = value.slice(1, -1);
  }
  if (value.indexOf("%") < 0) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value; // a stray "%" is kept as sent
  }
}

/** True when `name` is a valid cookie name (an RFC 6265 token). */
export function isValidCookieName(name: string): boolean {
  return TOKEN.test(name);
}

/** True when `value` is sent as is (only cookie-octets and no `%`); else it is %-encoded. */
export function isSafeCookieValue(value: string): boolean {
  return SAFE_VALUE.test(value);
}

/** The value as it goes on the wire: unchanged when safe, else %-encoded (parseCookies decodes it). */
export function encodeCookieValue(value: string): string {
  if (SAFE_VALUE.test(value)) return value;
  try {
    return encodeURIComponent(value);
  } catch (cause) {
    throw new SatchelError(
      "satchel: cookie value is not valid Unicode (a lone surrogate); pass a well-formed string.",
      {
        cause,
      },
    );
  }
}

/**
 * Serializes a `Set-Cookie` header value.
 * @throws SatchelError for an invalid name, domain or path, or a `__Host-`/`__Secure-` name
 *   whose attributes break the prefix rules.
 */
export function serializeCookie(name: string, value: string, attributes: CookieAttributes = {}): string {
  if (!TOKEN.test(name)) {
    throw new SatchelError(
      `satchel: ${JSON.stringify(name)} is not a valid cookie name; use letters, digits and !#$%&'*+-.^_\`|~ only.`,
    );
  }
  const a = attributes;
  if (name.startsWith("__Host-") && (a.secure !== true || a.path !== "/" || a.domain !== undefined)) {
    throw new SatchelError(
      `satchel: cookie "${name}" has the __Host- prefix, which needs Secure, Path=/ and no Domain.`,
    );
  }
  if (name.startsWith("__Secure-") && a.secure !== true) {
    throw new SatchelError(`satchel: cookie "${name}" has the __Secure- prefix, which needs Secure.`);
  }
  let out = `${name}=${encodeCookieValue(value)}`;
  if (a.maxAge !== undefined) {
    if (!Number.isFinite(a.maxAge))
      throw new SatchelError(`satchel: cookie "${name}" maxAge must be a finite number.`);
    out += `; Max-Age=${Math.floor(a.maxAge)}`;
  }
  if (a.expires !== undefined) {
    if (!(a.expires instanceof Date) || Number.isNaN(a.expires.getTime())) {
      throw new SatchelError(`satchel: cookie "${name}" expires must be a valid Date.`);
    }
    out += `; Expires=${a.expires.toUTCString()}`;
  }
  if (a.domain !== undefined) {
    if (!DOMAIN.test(a.domain)) {
      throw new SatchelError(
        `satchel: cookie "${name}" domain ${JSON.stringify(a.domain)} is not a valid host name.`,
      );
    }
    out += `; Domain=${a.domain}`;
  }
  if (a.path !== undefined) {
    if (!PATH_VALUE.test(a.path)) {
      throw new SatchelError(`satchel: cookie "${name}" path must not contain ";" or control characters.`);
    }
    out += `; Path=${a.path}`;
  }
  if (a.secure) out += "; Secure";
  if (a.httpOnly) out += "; HttpOnly";
  if (a.sameSite !== undefined) out += `; SameSite=${SAME_SITE[a.sameSite]}`;
  if (a.partitioned) out += "; Partitioned";
  if (a.priority !== undefined) out += `; Priority=${PRIORITY[a.priority]}`;
  return out;
}

const SAME_SITE = { lax: "Lax", strict: "Strict", none: "None" } as const;
const PRIORITY = { low: "Low", medium: "Medium", high: "High" } as const;

/** The attributes that expire a cookie at once (same path/domain, so it hits the same cookie). */
export function expiredAttributes(attributes: CookieAttributes): CookieAttributes {
  return { ...attributes, maxAge: 0, expires: new Date(0) };
}

/** True when this write removes the cookie from the browser. */
export function isDeletion(write: CookieWrite): boolean {
  const { maxAge, expires } = write.attributes;
  if (maxAge !== undefined && maxAge <= 0) return true;
  return expires !== undefined && expires.getTime() <= Date.now() && maxAge === undefined;
}

/** A `CookieJar` in memory that also remembers what was written. */
export interface MemoryCookieJar extends CookieJar {
  /** Every write, in order. */
  writes(): CookieWrite[];
  /**
   * `Set-Cookie` values to send: the last write per (name, domain, path), in the order of those
   * last writes.
   */
  setCookieHeaders(): string[];
}

/**
 * A cookie jar for tests and the Fetch adapter.
 * @param initial a `Cookie` header, or a map of name → value.
 */
export function memoryCookieJar(initial?: string | ReadonlyMap<string, string> | null): MemoryCookieJar {
  const values = typeof initial === "string" || initial == null ? parseCookies(initial) : new Map(initial);
  const log: CookieWrite[] = [];
  return {
    get: (name) => values.get(name),
    names: () => [...values.keys()],
    set(write) {
      // Validate now, so a bad write fails where it is made rather than when headers are sent.
      serializeCookie(write.name, write.value, write.attributes);
      const copy: CookieWrite = { name: write.name, value: write.value, attributes: { ...write.attributes } };
      log.push(copy);
      if (isDeletion(copy)) values.delete(copy.name);
      else values.set(copy.name, copy.value);
    },
    writes: () => log.map((w) => ({ name: w.name, value: w.value, attributes: { ...w.attributes } })),
    setCookieHeaders() {
      const last = new Map<string, CookieWrite>();
      for (const write of log) {
        const key = `${write.name}\0${write.attributes.domain ?? ""}\0${write.attributes.path ?? ""}`;
        last.delete(key); // re-insert so the order is that of the last writes
        last.set(key, write);
      }
      return [...last.values()].map((w) => serializeCookie(w.name, w.value, w.attributes));
    },
  };
}
