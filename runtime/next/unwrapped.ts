/**
 * Calls outside the wrappers: a Server Component, or a server action or route handler not wrapped
 * with `withActionSessions`/`withRouteSessions`. Their `getSession()` calls share one scope per
 * request (keyed by the object `cookies()` returns), read-only in a Server Component.
 *
 * Nothing commits at the end of such a request, so a change without `save()`/`update()` would
 * silently vanish: it is reported once the response is finished, in development every time, in
 * production once per route (so logs show it without flooding).
 * @internal
 */
import type { NextCookieStore } from "./cookie-jar.ts";
import { isReadOnlyCookieStore, nextCookieJar } from "./cookie-jar.ts";
import type { NextHost } from "./host.ts";
import type { Scope } from "./scope.ts";

/** Why writes fail in a Server Component; the core puts it into its error message. */
const SERVER_COMPONENT =
  "a Server Component cannot set cookies; pages show flash and messages through sessionProxy() in proxy.ts, and changes belong in a server action or route handler";

/** The scope of the current request's unwrapped calls, opened on the first. */
export function unwrappedScopes<Types>(
  host: NextHost<Types>,
  warn: (message: string) => void,
): () => Promise<Scope<Types>> {
  const { api } = host;
  /** One per request: Next gives each request its own cookies object. */
  const perRequest = new WeakMap<object, Promise<Scope<Types>>>();
  /** Routes whose unsaved change production has reported already. */
  const reportedRoutes = new Set<string>();

  async function open(store: NextCookieStore): Promise<Scope<Types>> {
    const headers = await api.headers();
    // Sessions read the clock (expiry, the hand-off's age): in a Server Component under Cache
    // Components that must wait for request time, or `next dev` reports a prerender error.
    await api.connection();
    const jar = nextCookieJar(store, headers.get("cookie"));
    if (isReadOnlyCookieStore(store))
      return host.openScope(jar, headers, "Server Component", SERVER_COMPONENT);
    const scope = host.openScope(jar, headers, "request");
    const route = api.route();
    api.after(() => {
      const unsaved = scope.sessions.unsavedChanges();
      if (unsaved.length === 0) return;
      if (!inDevelopment()) {
        if (reportedRoutes.has(route ?? "")) return;
        reportedRoutes.add(route ?? "");
      }
      warn(unsavedMessage(unsaved, "request", route));
    });
    return scope;
  }

  return async () => {
    const store = await api.cookies();
    let scope = perRequest.get(store);
    if (scope === undefined) {
      scope = open(store);
      perRequest.set(store, scope);
    }
    return scope;
  };
}

/** True when warnings are wanted: `NODE_ENV` is `development` (what `next dev` sets). */
function inDevelopment(): boolean {
  return globalThis.process?.env?.NODE_ENV === "development";
}

/** The warning text for sessions `names` changed in `where` (to `route`, when known) and never saved. */
function unsavedMessage(names: readonly string[], where: string, route?: string): string {
  const list = names.map((n) => `"${n}"`).join(", ");
  return (
    `satchel: session${names.length > 1 ? "s" : ""} ${list} changed in this ${where}${route ? ` to ${route}` : ""} but ` +
    `${names.length > 1 ? "were" : "was"} never saved, so the change is lost. Wrap the function with ` +
    `withActionSessions() (server action) or withRouteSessions() (route handler), or call save()/update().`
  );
}
