/**
 * Cookie jars over Next.js cookie objects. The session core reads and writes cookies only through a
 * `CookieJar`, so these two adapters are all it takes to run it inside Next:
 * - `nextCookieJar`: over what `await cookies()` returns (read-only in a Server Component, writable in a
 *   server action or route handler);
 * - `bufferedCookieJar`: over a proxy's `NextRequest`, holding writes until the proxy has built the
 *   response they go on.
 * @internal
 */
import type { CookieAttributes, CookieJar, CookieWrite } from "../cookies.ts";

/** The subset of Next's `RequestCookies`/`ResponseCookies` the jars use. */
export interface NextCookieStore {
  get(name: string): { value: string } | undefined;
  getAll(): { name: string; value: string }[];
  set(name: string, value: string, options: NextCookieOptions): unknown;
  delete?(name: string): unknown;
}

/** Cookie options as Next's `ResponseCookies.set` takes them. */
export interface NextCookieOptions {
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
export function toNextOptions(attributes: CookieAttributes): NextCookieOptions {
  const options: NextCookieOptions = {};
  if (attributes.maxAge !== undefined) options.maxAge = Math.floor(attributes.maxAge);
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
 * A jar over `await cookies()`. An empty value counts as absent: that is how Next shows a cookie that
 * a proxy or an earlier write in this request deleted.
 */
export function nextCookieJar(store: NextCookieStore): CookieJar {
  return {
    get(name) {
      const value = store.get(name)?.value;
      return value === undefined || value === "" ? undefined : value;
    },
    names: () =>
      store
        .getAll()
        .filter((cookie) => cookie.value !== "")
        .map((cookie) => cookie.name),
    set(write: CookieWrite) {
      store.set(write.name, write.value, toNextOptions(write.attributes));
    },
  };
}

/** A jar whose writes wait in memory until `flushTo` puts them on a response. */
export interface BufferedCookieJar extends CookieJar {
  /** Writes so far, last write per name. */
  pending(): CookieWrite[];
  /** Sets every pending write on `target` (a `NextResponse`'s cookies). */
  flushTo(target: Pick<NextCookieStore, "set">): void;
}

/** A jar reading the request's cookies; writes are buffered (see `BufferedCookieJar`). */
export function bufferedCookieJar(request: Pick<NextCookieStore, "get" | "getAll">): BufferedCookieJar {
  const written = new Map<string, CookieWrite>();
  const deleted = (write: CookieWrite) => write.value === "" || (write.attributes.maxAge ?? 1) <= 0;
  return {
    get(name) {
      const write = written.get(name);
      if (write !== undefined) return deleted(write) ? undefined : write.value;
      const value = request.get(name)?.value;
      return value === undefined || value === "" ? undefined : value;
    },
    names() {
      const names = new Set(request.getAll().map((cookie) => cookie.name));
      for (const [name, write] of written) {
        if (deleted(write)) names.delete(name);
        else names.add(name);
      }
      return [...names].filter((name) => this.get(name) !== undefined);
    },
    set(write) {
      written.delete(write.name); // keep the order of last writes
      written.set(write.name, { name: write.name, value: write.value, attributes: { ...write.attributes } });
    },
    pending: () => [...written.values()],
    flushTo(target) {
      for (const write of written.values())
        target.set(write.name, write.value, toNextOptions(write.attributes));
    },
  };
}
