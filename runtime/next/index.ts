/**
 * `satchel/next`: typed sessions in a Next.js 16 App Router app. The generated module calls
 * `createNextSessions(satchel)` and exports `getSession`, `withRouteSessions`, `withActionSessions`
 * and `sessionProxy`; apps import those from the generated module, not from here.
 *
 * ## Where sessions can be read and written
 * - Route handlers and server actions: read and write. Wrap them (`withRouteSessions`,
 *   `withActionSessions`) and every changed session is saved when the function returns, or when it
 *   ends with `redirect()`/`notFound()` (saved, then rethrown); after any other error nothing is saved.
 *   Unwrapped, `save()`/`update()` still work, and in development a change left unsaved at the end of
 *   the request is reported on the console.
 * - Server Components: read. A write throws a `satchel:` error saying to use a server action or
 *   route handler (a Server Component cannot set cookies). `flash.<channel>.read()`/`peek()` and
 *   `messages.read()`/`peek()` never throw there: they return what this render may show (what the
 *   proxy handed off, and `now()` values) and leave stored values for the next request's proxy. So a
 *   server action that flashes without redirecting (Next re-renders the page in its response, with
 *   read-only cookies) renders fine, and the flash shows on the next page view, once.
 * - `proxy.ts`: read and write inside `sessionProxy({ proxy })`. Cookies it sets are what the page or
 *   route handler of the same request sees.
 *
 * ## A store that is down
 * `getSession(name)` rejects with `SessionStoreUnavailableError`: a wrapped route handler answers 503,
 * a server action gets the typed error, a page shows its `error.tsx`. A page that would rather
 * render degraded asks `getSession(name, { unavailable: "empty" })`: a read-only handle holding the
 * schema defaults, with `$unavailable: true` (every write to it throws the same error).
 *
 * ## Flash and messages across a redirect, shown exactly once by a Server Component
 * A flash (or a leveled message, `messages: true`) added in a server action that then calls
 * `redirect()` is saved with the session. The next request passes through `sessionProxy()` in
 * `proxy.ts`, which
 * 1. deletes any `x-satchel-flash` header the client sent;
 * 2. reads (consumes) the pending flash and messages of every session the request carries (messages
 *    past their `life` are dropped), and forwards the values to the render in an `x-satchel-flash`
 *    request header, sealed (AES-GCM, a key of its own), bound to the Cookie header it forwards and
 *    valid for five seconds;
 * 3. writes the sessions back without them, in this same response (and forwards the rewritten
 *    cookies to the render).
 * The page's `getSession()` opens the header and puts the values back for this request only
 * (`flash.<channel>.now()` values, and messages), so `flash.notice.read()` and `messages.read()`
 * return them for this render only. The session no longer holds them: a reload shows nothing. A
 * forged header, or one replayed with other cookies or after five seconds, is ignored, on every path
 * (the proxy also strips a client's copy from rewrites), so a client cannot inject flash or messages.
 * With a store down, the proxy goes on without that store session (its flash waits in the store).
 *
 * Next renders a server action's redirect target inside the action's own response and drops the
 * `Set-Cookie` of that inner render. So when the proxy sees that inner request (it carries
 * `x-action-redirect`) while flash or messages are pending, it answers 204 without consuming anything; Next then
 * has the browser load the target itself, and that request hands the flash off and clears it.
 * Keep prefetches out of the proxy's matcher (see the example app's `proxy.ts`): a prefetch must
 * not consume flash.
 *
 * ## CSRF for route handlers
 * Server actions are protected by Next (it checks their Origin). A route handler that accepts form
 * posts gets `withRouteSessions(handler, { csrf: true })`: Origin (or Referer) must match scheme, host
 * and port, and the form must echo the session-bound, per-render masked token from `csrfToken()` in a
 * `_csrf` field (or `x-csrf-token` header), else 403. `sessionProxy({ csrf: true })` creates the token
 * cookie before pages render. A store outage in a wrapped route handler answers 503.
 */

export type { GetSessionOptions } from "../types.ts";
export { createNextSessions, type NextSessions, type NextSessionsOptions } from "./create.ts";
export { CSRF_COOKIE, CSRF_FIELD, CSRF_HEADER, CsrfError, type CsrfOptions } from "./csrf.ts";
export { FLASH_HANDOFF_HEADER } from "./handoff.ts";
export { createInspector, type Inspector, type InspectorOptions } from "./inspector/handler.ts";
export { isNavigationSignal } from "./navigation.ts";
export type { ProxyFunction, SessionProxyOptions } from "./proxy.ts";
export type { RouteSessionsOptions } from "./route-handler.ts";
