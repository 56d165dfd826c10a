/**
 * Cookie jars for the Next adapter. The session core reads and writes cookies only through a
 * `CookieJar`, so these two adapters are all it takes to run it inside Next:
 * - `nextCookieJar`: writes to what `await cookies()` returns (read-only in a Server Component,
 *   writable in a server action or route handler);
 * - `bufferedCookieJar`: holds writes until a route handler or the proxy has the response they go on.
 *
 * Both READ the raw `Cookie` header with satchel's own parser (first value wins, RFC 6265 order), as
 * the Fetch adapter does, never through Next's `RequestCookies`, which keeps the last of two
 * same-named cookies and decodes quotes, bad %-escapes and pairs without `=` differently. So a cookie
 * a sibling subdomain plants next to the real one means the same thing in every entry point.
 * @internal
 */
import {
  type CookieAttributes,
  type CookieJar,
  type CookieWrite,
  parseCookies,
  serializeCookie,
} from "../cookies/header.ts";
import { COOKIE_LIFETIME_LIMIT } from "../duration.ts";

/** The subset of Next's `RequestCookies`/`ResponseCookies` the jars use. */
export interface NextCookieStore {
  get(name: string): { value: string } | undefined;
  getAll(): { name: string; value: string }[];
  set(name: string, value: string, options: NextCookieOptions): unknown;
  delete?(name: string): unknown;
}

/** Cookie options as Next's `ResponseCookies.set` takes them. */
interface NextCookieOptions {
  maxAge?: number;
  expires?: Date;
  domain?: string;
  path?: string;
  secure?: boolean;
  httpOnly?: boolean;
  sameSite?: "lax" | "strict" | "none";
  partitioned?: boolean;
  priority?: "low" | "medium" | "high";
}

/**
 * True when Next handed out its sealed, read-only cookies (a Server Component render). Next seals
 * them by answering `set`, `delete` and `clear` with one shared throwing function, while the writable
 * cookies of a server action or route handler return a fresh function per access. Comparing the two
 * needs no call, so it has no side effect either way.
 */
export function isReadOnlyCookieStore(store: NextCookieStore): boolean {
  return typeof store.delete === "function" && store.set === store.delete;
}

/** Next's options object for one write; attributes left out stay out. */
function toNextOptions(attributes: CookieAttributes): NextCookieOptions {
  const options: NextCookieOptions = {};
  // serializeCookie checked it is whole; Next would send more than the 400 days browsers keep.
  if (attributes.maxAge !== undefined) options.maxAge = Math.min(attributes.maxAge, COOKIE_LIFETIME_LIMIT);
  if (attributes.expires !== undefined) options.expires = attributes.expires;
  if (attributes.domain !== undefined) options.domain = attributes.domain;
  if (attributes.path !== undefined) options.path = attributes.path;
  if (attributes.secure !== undefined) options.secure = attributes.secure;
  if (attributes.httpOnly !== undefined) options.httpOnly = attributes.httpOnly;
  if (attributes.sameSite !== undefined) options.sameSite = attributes.sameSite;
  if (attributes.partitioned !== undefined) options.partitioned = attributes.partitioned;
  if (attributes.priority !== undefined) options.priority = attributes.priority;
  return options;
}

/**
 * The cookies Next's `RequestCookies` shows for a raw header (a copy of its `parseCookie`: split on
 * `; `, a pair without `=` is `"true"`, the last of a name wins, a bad %-escape drops the pair). Only
 * used to tell which of the values `cookies()` shows came from the header and which from a write made
 * earlier in this request (a server action's writes, which Next merges into the re-render).
 */
function nextViewOfHeader(header: string | null | undefined): Map<string, string> {
  const map = new Map<string, string>();
  if (!header) return map;
  for (const pair of header.split(/; */)) {
    if (!pair) continue;
    const at = pair.indexOf("=");
    if (at === -1) {
      map.set(pair, "true");
      continue;
    }
    try {
      map.set(pair.slice(0, at), decodeURIComponent(pair.slice(at + 1)));
    } catch {
      // Next skips a value it cannot decode.
    }
  }
  return map;
}

/**
 * A jar writing to `await cookies()` and reading the request's `Cookie` header with satchel's parser.
 * Where `cookies()` shows something other than what Next itself reads from the header, a write made
 * earlier in this request put it there (Next merges a server action's writes into its re-render), so
 * that value wins; an empty value there is how Next shows a deleted cookie.
 */
export function nextCookieJar(store: NextCookieStore, header: string | null): CookieJar {
  const fromHeader = parseCookies(header);
  const nextView = nextViewOfHeader(header);
  const changedInRequest = (name: string): string | undefined | null => {
    const shown = store.get(name)?.value;
    if (shown === nextView.get(name)) return null; // unchanged: read the header ourselves
    return shown === "" ? undefined : shown;
  };
  return {
    get(name) {
      const changed = changedInRequest(name);
      return changed === null ? fromHeader.get(name) : changed;
    },
    names() {
      const names = new Set([...fromHeader.keys(), ...store.getAll().map((cookie) => cookie.name)]);
      return [...names].filter((name) => this.get(name) !== undefined);
    },
    set(write: CookieWrite) {
      // Next serializes the cookie itself: check it with satchel's serializer first, as the other jars do.
      serializeCookie(write.name, write.value, write.attributes);
      store.set(write.name, write.value, toNextOptions(write.attributes));
    },
  };
}

/** A jar whose writes wait in memory until they go on a response. */
export interface BufferedCookieJar extends CookieJar {
  /** Writes so far, last write per name. */
  pending(): CookieWrite[];
  /** True when at least one write waits. */
  hasPending(): boolean;
  /** The pending writes as `Set-Cookie` header values, in the order of `pending()`. */
  setCookieLines(): string[];
  /** Sets every pending write on `target` (a `NextResponse`'s cookies, or `cookies()`). */
  flushTo(target: Pick<NextCookieStore, "set">): void;
}

interface BufferedWrite {
  write: CookieWrite;
  /** The serialized `Set-Cookie` value, made when the write is recorded (that also validates it). */
  line: string;
}

/**
 * A jar reading the raw `Cookie` header `header`; writes are buffered (see `BufferedCookieJar`).
 * The header is parsed on the first read, so a request that reads no cookie does not pay for it.
 * A write is validated (and serialized) when it is made, as the Fetch adapter's jar does, so an
 * invalid name or attribute fails in the code that set it rather than after the handler returned.
 */
export function bufferedCookieJar(header: string | null): BufferedCookieJar {
  let fromHeader: Map<string, string> | undefined;
  const parsed = () => {
    fromHeader ??= parseCookies(header);
    return fromHeader;
  };
  const written = new Map<string, BufferedWrite>();
  const deleted = (write: CookieWrite) => write.value === "" || (write.attributes.maxAge ?? 1) <= 0;
  return {
    get(name) {
      const pending = written.get(name);
      if (pending !== undefined) return deleted(pending.write) ? undefined : pending.write.value;
      return parsed().get(name);
    },
    names() {
      const names = new Set(parsed().keys());
      for (const [name, { write }] of written) {
        if (deleted(write)) names.delete(name);
        else names.add(name);
      }
      return [...names];
    },
    set(write) {
      const copy = { name: write.name, value: write.value, attributes: { ...write.attributes } };
      const line = serializeCookie(copy.name, copy.value, copy.attributes, write.safe === true);
      written.delete(write.name); // keep the order of last writes
      written.set(write.name, { write: copy, line });
    },
    // Loops, not Array.from(values, fn): V8 takes its generic path for a mapped Map iterator, ~3.3k
    // instructions per call against ~0.35k (every route handler response with a write makes one).
    pending: () => {
      const writes: CookieWrite[] = [];
      for (const { write } of written.values()) writes.push(write);
      return writes;
    },
    hasPending: () => written.size > 0,
    setCookieLines: () => {
      const lines: string[] = [];
      for (const { line } of written.values()) lines.push(line);
      return lines;
    },
    flushTo(target) {
      for (const { write } of written.values())
        target.set(write.name, write.value, toNextOptions(write.attributes));
    },
  };
}
