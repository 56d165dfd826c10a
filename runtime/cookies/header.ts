/**
 * Cookies per RFC 6265: a tolerant, bounded parser; a strict serializer with every attribute;
 * and the `CookieJar` seam through which a request's cookies come in and go out.
 */
import { COOKIE_LIFETIME_LIMIT } from "../duration.ts";
import { SatchelError } from "../errors.ts";

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
  /**
   * The value is known to be cookie-safe: a base64url token satchel itself sealed (or a chunk of
   * one), so serializing does not check its characters again; and the write (its attributes too) is
   * never changed after it is set, so a jar may keep it without a copy.
   */
  safe?: boolean;
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
interface ParseLimits {
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
      // Trim by index and cut each part once (not a slice, then a trimmed slice of it).
      const name = trimmedSlice(text, start, eq);
      if (name !== "" && !out.has(name) && !CONTROL.test(name)) {
        seen++;
        out.set(name, decodeValue(trimmedSlice(text, eq + 1, end)));
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
/**
 * path-value (RFC 6265 §4.1.1: no CTLs, no ";") minus `"`, `<` and `>`: jshttp/cookie refuses `<`
 * (a path like `/x"><script>` is markup, not a path), and a URL path always %-encodes all three, so a
 * cookie path holding one raw would never match a request.
 */
const PATH_VALUE = /^[\x20\x21\x23-\x3a\x3d\x3f-\x7e]*$/;

/**
 * `text.slice(from, to)` without its leading and trailing spaces and tabs (RFC 6265's OWS).
 * `String.trim()` would also strip U+00A0 and other Unicode spaces, which are bytes of a
 * neighbour's value (C3 A0 is "à" read as latin1).
 */
function trimmedSlice(text: string, from: number, to: number): string {
  let start = from;
  let end = to;
  while (start < end && isOws(charCodeAt.call(text, start))) start++;
  while (end > start && isOws(charCodeAt.call(text, end - 1))) end--;
  return text.slice(start, end);
}

/**
 * Called as `charCodeAt.call(text, i)`: optimized code kept `text.charCodeAt` here as a generic
 * property load (callgrind: 10 LoadIC calls per request), likely because header strings of several
 * internal kinds (sliced, cons, flat) reach it; the builtin held in a constant is called directly.
 */
const charCodeAt = String.prototype.charCodeAt;

/** A space or a tab. */
const isOws = (code: number): boolean => code === 32 || code === 9;

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
function encodeCookieValue(value: string): string {
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
 * Serializes a `Set-Cookie` header value. Every attribute is checked at run time, because options
 * often come from untyped config: a wrong one is an error naming the cookie and the option, never a
 * `SameSite=undefined` that browsers silently ignore. jshttp/cookie's spellings are accepted
 * (`sameSite: true` is Strict, `false` is absent; SameSite and Priority in any case).
 * @param valueIsSafe the value is a token satchel produced (`CookieWrite.safe`): not checked again.
 * @throws SatchelError for an invalid name, value, attribute, or a `__Host-`/`__Secure-` name
 *   (matched in any case, as browsers do) whose attributes break the prefix rules.
 */
export function serializeCookie(
  name: string,
  value: string,
  attributes: CookieAttributes = {},
  valueIsSafe = false,
): string {
  const known = checkedCookies.get(name);
  // The same cookie written again (a session on every request; Max-Age aside, its attributes do
  // not change): only the lifetime is checked and made again. (Kept apart from the full check, so
  // this short function gets optimized soon; with the long one inlined it waited for many calls.)
  if (known !== undefined && sameChecked(known, attributes)) {
    const text = valueIsSafe ? value : encodeCookieValue(value);
    return `${name}=${text}${lifetimeOf(name, attributes)}${known.suffix}`;
  }
  return checkAndSerialize(name, value, attributes, valueIsSafe);
}

/** `serializeCookie` of a cookie other than the last one checked: every part checked. */
function checkAndSerialize(
  name: string,
  value: string,
  attributes: CookieAttributes,
  valueIsSafe: boolean,
): string {
  const a = attributes;
  if (typeof name !== "string" || !TOKEN.test(name)) {
    throw new SatchelError(
      `satchel: ${JSON.stringify(name)} is not a valid cookie name; use letters, digits and !#$%&'*+-.^_\`|~ only.`,
    );
  }
  for (const key of ["secure", "httpOnly", "partitioned"] as const) {
    if (a[key] !== undefined && typeof a[key] !== "boolean")
      throw badOption(name, key, "must be true or false.");
  }
  const sameSite = sameSiteOf(a.sameSite);
  if (sameSite === null)
    throw badOption(name, "sameSite", 'must be "lax", "strict", "none" (any case) or true/false.');
  const priority = priorityOf(a.priority);
  if (priority === null) throw badOption(name, "priority", 'must be "low", "medium" or "high" (any case).');
  // Browsers drop both without Secure: refuse them here, where the mistake is made.
  if (sameSite === "None" && a.secure !== true) {
    throw badOption(
      name,
      "sameSite",
      'is "none", but browsers drop a SameSite=None without Secure; set secure: true.',
    );
  }
  if (a.partitioned === true && a.secure !== true) {
    throw badOption(
      name,
      "partitioned",
      "is true, but browsers drop a Partitioned cookie without Secure; set secure: true.",
    );
  }
  const prefix = name.slice(0, 9).toLowerCase();
  if (prefix.startsWith("__host-") && (a.secure !== true || a.path !== "/" || a.domain !== undefined)) {
    throw new SatchelError(
      `satchel: cookie "${name}" has the __Host- prefix, which needs Secure, Path=/ and no Domain.`,
    );
  }
  if (prefix === "__secure-" && a.secure !== true) {
    throw new SatchelError(`satchel: cookie "${name}" has the __Secure- prefix, which needs Secure.`);
  }
  const head = `${name}=${valueIsSafe ? value : encodeCookieValue(value)}${lifetimeOf(name, a)}`;
  let suffix = "";
  if (a.domain !== undefined) {
    if (typeof a.domain !== "string" || !DOMAIN.test(a.domain)) {
      throw badOption(
        name,
        "domain",
        `${JSON.stringify(a.domain)} is not a valid ASCII host name (write an international domain in punycode).`,
      );
    }
    suffix += `; Domain=${a.domain}`;
  }
  if (a.path !== undefined) {
    if (typeof a.path !== "string" || !PATH_VALUE.test(a.path)) {
      throw badOption(
        name,
        "path",
        'must be printable ASCII without ";", \'"\', "<" or ">" (%-encode them).',
      );
    }
    suffix += `; Path=${a.path}`;
  }
  if (a.secure) suffix += "; Secure";
  if (a.httpOnly) suffix += "; HttpOnly";
  if (sameSite !== undefined) suffix += `; SameSite=${sameSite}`;
  if (a.partitioned) suffix += "; Partitioned";
  if (priority !== undefined) suffix += `; Priority=${priority}`;
  if (checkedCookies.size < CHECKED_COOKIES_KEPT || checkedCookies.has(name)) {
    checkedCookies.set(name, {
      domain: a.domain,
      path: a.path,
      secure: a.secure,
      httpOnly: a.httpOnly,
      sameSite: a.sameSite,
      partitioned: a.partitioned,
      priority: a.priority,
      suffix,
    });
  }
  return head + suffix;
}

/** Every attribute of a cookie `serializeCookie` checked but the lifetime, and the text they give. */
type CheckedCookie = Omit<CookieAttributes, "maxAge" | "expires"> & { suffix: string };

/**
 * The cookies `serializeCookie` checked, by name: every attribute but the lifetime (Max-Age,
 * Expires), all found valid, and the text they give (the last ones checked for that name). Whether
 * those are valid depends on nothing else, so a cookie with the same ones needs no second check. By
 * name, not only the last one: a request that writes several sessions' cookies would otherwise check
 * each of them in full every time.
 */
const checkedCookies = new Map<string, CheckedCookie>();
/** Names kept at most (a session's cookie and chunk names: a handful); later ones are checked every time. */
const CHECKED_COOKIES_KEPT = 256;

function sameChecked(known: CheckedCookie, a: CookieAttributes): boolean {
  return (
    known.path === a.path &&
    known.domain === a.domain &&
    known.secure === a.secure &&
    known.httpOnly === a.httpOnly &&
    known.sameSite === a.sameSite &&
    known.partitioned === a.partitioned &&
    known.priority === a.priority
  );
}

function badOption(name: string, key: string, why: string): SatchelError {
  return new SatchelError(`satchel: cookie "${name}" option ${key} ${why}`);
}

/** The Max-Age and Expires attributes of `a`, checked. */
function lifetimeOf(name: string, a: CookieAttributes): string {
  let out = "";
  if (a.maxAge !== undefined) {
    if (typeof a.maxAge !== "number" || !Number.isInteger(a.maxAge))
      throw badOption(name, "maxAge", `must be a whole number of seconds; got ${String(a.maxAge)}.`);
    // Browsers cap Max-Age at 400 days: send what they will keep, so the header says the truth.
    out += `; Max-Age=${Math.min(a.maxAge, COOKIE_LIFETIME_LIMIT)}`;
  }
  if (a.expires !== undefined) {
    if (!(a.expires instanceof Date) || Number.isNaN(a.expires.getTime())) {
      throw badOption(name, "expires", "must be a valid Date.");
    }
    out += `; Expires=${a.expires.toUTCString()}`;
  }
  return out;
}

const SAME_SITE: Record<string, string> = { lax: "Lax", strict: "Strict", none: "None" };
const PRIORITY: Record<string, string> = { low: "Low", medium: "Medium", high: "High" };

/** The SameSite value to send, `undefined` for none, `null` when the option is invalid. */
function sameSiteOf(option: unknown): string | undefined | null {
  if (option === undefined || option === false) return undefined;
  if (option === true) return "Strict";
  return typeof option === "string" ? (SAME_SITE[option.toLowerCase()] ?? null) : null;
}

/** The Priority value to send, `undefined` for none, `null` when the option is invalid. */
function priorityOf(option: unknown): string | undefined | null {
  if (option === undefined) return undefined;
  return typeof option === "string" ? (PRIORITY[option.toLowerCase()] ?? null) : null;
}

/** The attributes that expire a cookie at once (same path/domain, so it hits the same cookie). */
export function expiredAttributes(attributes: CookieAttributes): CookieAttributes {
  return { ...attributes, maxAge: 0, expires: new Date(0) };
}

/** True when this write removes the cookie from the browser. */
function isDeletion(write: CookieWrite): boolean {
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
  return new MemoryJar(
    typeof initial === "string" || initial == null ? parseCookies(initial) : new Map(initial),
  );
}

/**
 * `memoryCookieJar`'s jar. A class, so every request's jar shares its methods instead of making
 * them again.
 */
class MemoryJar implements MemoryCookieJar {
  /** Every write, with its `Set-Cookie` line made (and so validated) when it was recorded. */
  private readonly log: { write: CookieWrite; line: string }[] = [];

  constructor(private readonly values: Map<string, string>) {}

  get(name: string): string | undefined {
    return this.values.get(name);
  }

  names(): string[] {
    return [...this.values.keys()];
  }

  set(write: CookieWrite): void {
    // Validate now, so a bad write fails where it is made rather than when headers are sent.
    const line = serializeCookie(write.name, write.value, write.attributes, write.safe === true);
    // Another caller's write is copied, so changing its object later cannot change what was recorded.
    // A session token's write (`safe`: made by planCookieWrites for this call, attributes included,
    // and never touched again) is kept as it is: two objects fewer on every session write.
    const copy: CookieWrite =
      write.safe === true
        ? write
        : { name: write.name, value: write.value, attributes: { ...write.attributes } };
    this.log.push({ write: copy, line });
    if (isDeletion(copy)) this.values.delete(copy.name);
    else this.values.set(copy.name, copy.value);
  }

  writes(): CookieWrite[] {
    return this.log.map(({ write: w }) => ({
      name: w.name,
      value: w.value,
      attributes: { ...w.attributes },
    }));
  }

  setCookieHeaders(): string[] {
    const log = this.log;
    // None (a read) or one write (a session saved once) is the common response: nothing to de-duplicate.
    if (log.length === 0) return [];
    if (log.length === 1) return [(log[0] as { line: string }).line];
    return lastLines(log);
  }
}

/** The last `Set-Cookie` line per (name, domain, path), in the order of those last writes. */
function lastLines(log: readonly { write: CookieWrite; line: string }[]): string[] {
  // A few writes, each of its own cookie (several sessions saved once each): every line, in order,
  // without the keys and the map below.
  if (log.length <= FEW_WRITES && eachOfItsOwn(log)) return log.map(lineOf);
  const last = new Map<string, string>();
  for (const { write, line } of log) {
    const key = `${write.name}\0${write.attributes.domain ?? ""}\0${write.attributes.path ?? ""}`;
    last.delete(key); // re-insert so the order is that of the last writes
    last.set(key, line);
  }
  return [...last.values()];
}

/** Up to this many writes are compared pairwise for a cookie written twice. */
const FEW_WRITES = 8;

const lineOf = (entry: { line: string }): string => entry.line;

/** No two writes of `log` are of the same cookie (name, domain and path). */
function eachOfItsOwn(log: readonly { write: CookieWrite }[]): boolean {
  for (let i = 1; i < log.length; i++) {
    const a = (log[i] as { write: CookieWrite }).write;
    for (let j = 0; j < i; j++) {
      const b = (log[j] as { write: CookieWrite }).write;
      if (
        a.name === b.name &&
        (a.attributes.domain ?? "") === (b.attributes.domain ?? "") &&
        (a.attributes.path ?? "") === (b.attributes.path ?? "")
      )
        return false;
    }
  }
  return true;
}
