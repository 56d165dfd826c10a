/**
 * `createNextSessions(satchel)`: the Next.js App Router face of a satchel runtime. The generated
 * module calls it once and exports what it returns.
 *
 * Where `getSession(name)` finds the request's sessions:
 * - inside `withRouteSessions`, `withActionSessions` or `sessionProxy`: the scope the wrapper opened
 *   (AsyncLocalStorage), read and write, committed by the wrapper;
 * - anywhere else in a request: a scope kept per request (keyed by the object `cookies()` returns),
 *   read-only in a Server Component (a write throws and says where to write instead); in an unwrapped
 *   server action or route handler, writes are saved only by `save()`/`update()`, and in development
 *   a change left unsaved at the end of the request is reported on the console.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { NextRequest } from "next/server.js";
import { SessionStoreUnavailableError } from "../errors.ts";
import type { Satchel } from "../satchel.ts";
import { hostRuntimeOf } from "../session/host-runtime.ts";
import type { RequestSessions } from "../session/request-sessions.ts";
import {
  type BufferedCookieJar,
  bufferedCookieJar,
  isReadOnlyCookieStore,
  type NextCookieStore,
  nextCookieJar,
} from "./cookie-jar.ts";
import { CsrfError, type CsrfOptions, issueCsrfToken, nextCsrfContext, verifyCsrf } from "./csrf.ts";
import { decodeHandoff, FLASH_HANDOFF_HEADER, type Handoff, handoffSealer } from "./handoff.ts";
import { isNavigationSignal } from "./navigation.ts";
import { buildSessionProxy, type SessionProxyOptions, storeUnavailable } from "./proxy.ts";
import { type NextRequestApi, nextRequestApi } from "./request-api.ts";
import { createScope, type Scope } from "./scope.ts";
import { inDevelopment, unsavedMessage } from "./unwrapped.ts";

/** Why writes fail in a Server Component; the core puts it into its error message. */
const SERVER_COMPONENT =
  "a Server Component cannot set cookies; pages show flash and messages through sessionProxy() in proxy.ts, and changes belong in a server action or route handler";

/** Options of `withRouteSessions`. */
export interface RouteSessionsOptions extends CsrfOptions {
  /**
   * Check Origin and the CSRF token on POST, PUT, PATCH and DELETE before the handler runs, and
   * answer 403 when either is wrong. For handlers that accept form posts. Default `false`.
   */
  csrf?: boolean;
}

/** Options of `createNextSessions`. */
export interface NextSessionsOptions {
  /** Where development warnings go. Default `console.warn`. */
  warn?: (message: string) => void;
  /** @internal Replaces `next/headers` in unit tests. */
  requestApi?: NextRequestApi;
}

/** What the generated module exports for Next.js. */
export interface NextSessions<Types> {
  /**
   * The typed handle of session `name` in the current request: read and write in route handlers and
   * server actions, read in Server Components, read and write in `proxy.ts` under `sessionProxy()`.
   */
  getSession<N extends keyof Types & string>(name: N): Promise<Types[N]>;
  /**
   * Wraps a route handler: every changed session is saved when it returns, or when it ends with
   * `redirect()`/`notFound()` (saved, then rethrown); after any other error nothing is saved.
   * Header-borne sessions get their token header on the returned Response.
   */
  withRouteSessions<C>(
    handler: (request: NextRequest, context: C) => Response | Promise<Response>,
    options?: RouteSessionsOptions,
  ): (request: NextRequest, context: C) => Promise<Response>;
  /**
   * Wraps a server action: every changed session is saved when it returns, or when it ends with
   * `redirect()`/`notFound()` (saved, then rethrown); after any other error nothing is saved.
   */
  withActionSessions<A extends unknown[], R>(action: (...args: A) => Promise<R>): (...args: A) => Promise<R>;
  /** The `proxy.ts` helper: flash hand-off to the render, rolling expiry, sessions in your own proxy logic. */
  sessionProxy(options?: SessionProxyOptions): (request: NextRequest) => Promise<Response>;
  /**
   * The CSRF token for a form that posts to a route handler wrapped with `{ csrf: true }`; put it in
   * a hidden `_csrf` field. Created on first use (in a Server Component that needs `sessionProxy({ csrf: true })`).
   */
  csrfToken(): Promise<string>;
  /** The sessions of the current request as a whole: `commit()`, `unsavedChanges()`, plain `cookies`. */
  requestSessions(): Promise<RequestSessions<Types>>;
}

/** Creates the Next.js adapter for a satchel runtime. */
export function createNextSessions<Types extends Record<string, object>>(
  satchel: Satchel<Types>,
  options: NextSessionsOptions = {},
): NextSessions<Types> {
  const api = options.requestApi ?? nextRequestApi;
  const warn = options.warn ?? ((message: string) => console.warn(message));
  const storage = new AsyncLocalStorage<Scope<Types>>();
  /** Scopes of unwrapped calls, one per request (Next gives each request its own cookies object). */
  const perRequest = new WeakMap<object, Promise<Scope<Types>>>();
  /** Routes whose unsaved change production has reported already. */
  const reportedRoutes = new Set<string>();

  const runtime = hostRuntimeOf(satchel);
  const sealer = handoffSealer(() => runtime.sealer());
  /**
   * Only header-borne store sessions add response headers; without any, a response needs no look
   * at them (iterating a `Headers` sorts its list on every request).
   */
  const addsHeaders = Object.values(satchel.config.sessions).some((def) => def.header !== undefined);

  /**
   * The hand-off a request carries, bound to its own Cookie header (handoff.ts); `undefined` when it
   * carries no hand-off header, so there is nothing to decode or wait for.
   */
  const handoffIn = (headers: Headers): Promise<Handoff> | undefined =>
    headers.has(FLASH_HANDOFF_HEADER)
      ? decodeHandoff(headers.get(FLASH_HANDOFF_HEADER), headers.get("cookie"), sealer, Date.now())
      : undefined;

  async function openUnwrapped(store: NextCookieStore): Promise<Scope<Types>> {
    const headers = await api.headers();
    // Sessions read the clock (expiry, the hand-off's age): in a Server Component under Cache
    // Components that must wait for request time, or `next dev` reports a prerender error.
    await api.connection();
    const readOnly = isReadOnlyCookieStore(store);
    const jar = nextCookieJar(store, headers.get("cookie"));
    const sessions = satchel.open(jar, readOnly ? { headers, readOnly: SERVER_COMPONENT } : { headers });
    const scope = createScope(sessions, jar, readOnly ? "Server Component" : "request", handoffIn(headers));
    if (!readOnly) {
      const route = api.route();
      api.after(() => {
        const unsaved = sessions.unsavedChanges();
        if (unsaved.length === 0) return;
        // Development: every time. Production: once per route, so the logs show it without flooding.
        if (!inDevelopment()) {
          if (reportedRoutes.has(route ?? "")) return;
          reportedRoutes.add(route ?? "");
        }
        warn(unsavedMessage(unsaved, "request", route));
      });
    }
    return scope;
  }

  async function currentScope(): Promise<Scope<Types>> {
    const wrapped = storage.getStore();
    if (wrapped !== undefined) return wrapped;
    const store = await api.cookies();
    let scope = perRequest.get(store);
    if (scope === undefined) {
      scope = openUnwrapped(store);
      perRequest.set(store, scope);
    }
    return scope;
  }

  /** Runs `fn` in `scope`; commits on return and on redirect()/notFound(), never on other errors. */
  async function runAndCommit<R>(scope: Scope<Types>, fn: () => R | Promise<R>): Promise<R> {
    let result: R;
    try {
      result = await storage.run(scope, fn);
    } catch (error) {
      if (isNavigationSignal(error)) {
        await scope.sessions.commit();
        scope.sessions.close(`the ${scope.where} returned`);
      }
      throw error;
    }
    await scope.sessions.commit();
    // The cookies are on their way: a later write would be lost, so it throws instead.
    scope.sessions.close(`the ${scope.where} returned`);
    return result;
  }

  return {
    getSession(name) {
      // Inside a wrapper (the common case) the scope is at hand: no extra promise per call.
      const wrapped = storage.getStore();
      if (wrapped !== undefined) return wrapped.get(name);
      return currentScope().then((scope) => scope.get(name));
    },

    withRouteSessions(handler, routeOptions = {}) {
      return async (request, context) => {
        // Cookies come from the request's own Cookie header, read with satchel's parser (see
        // cookie-jar.ts). Writes wait in the jar until the response exists; nothing here touches
        // next/headers unless the handler throws (see below).
        const { headers } = request;
        const jar = bufferedCookieJar(headers.get("cookie"));
        // The request's own headers: sessions only read them, so no copy is needed.
        const sessions = satchel.open(jar, { headers });
        const scope = createScope(sessions, jar, "route handler", handoffIn(headers));
        let response: Response;
        try {
          if (routeOptions.csrf) {
            try {
              await verifyCsrf(request, nextCsrfContext(runtime, scope), routeOptions);
            } catch (error) {
              if (!(error instanceof CsrfError)) throw error;
              return withWrites(new Response(error.message, { status: 403 }), jar, undefined);
            }
          }
          try {
            response = await runAndCommit(scope, () => handler(request, context));
          } catch (error) {
            // A store the handler needed is down: 503 (retry later), not a 500.
            if (!(error instanceof SessionStoreUnavailableError)) throw error;
            response = storeUnavailable(error);
          }
        } catch (error) {
          // redirect()/notFound() and errors leave no Response to put cookies on: whatever save()/
          // update() or the commit wrote goes to `cookies()`, which Next adds to the response it
          // makes (the redirect's, the 404's, the 500's).
          if (jar.hasPending()) jar.flushTo(await api.cookies());
          throw error;
        }
        return withWrites(response, jar, addsHeaders ? sessions.responseHeaders : undefined);
      };
    },

    withActionSessions(action) {
      return async (...args) => {
        const store = await api.cookies();
        const headers = await api.headers();
        const jar = nextCookieJar(store, headers.get("cookie"));
        const sessions = satchel.open(jar, { headers });
        const scope = createScope(sessions, jar, "server action", handoffIn(headers));
        return runAndCommit(scope, () => action(...args));
      };
    },

    sessionProxy(proxyOptions) {
      return buildSessionProxy(satchel, runtime, sealer, (scope, fn) => storage.run(scope, fn), proxyOptions);
    },

    async csrfToken() {
      const scope = await currentScope();
      return issueCsrfToken(nextCsrfContext(runtime, scope), scope.where !== "Server Component");
    },

    async requestSessions() {
      return (await currentScope()).sessions;
    },
  };
}

/**
 * The writes of a wrapped route handler on its `response`: `Set-Cookie` headers made by satchel's own
 * serializer, and the header-borne sessions' headers. Written on the Response rather than through
 * `cookies()`, which costs Next a cookie store, and a header copy, a re-parse of every Set-Cookie
 * and a new Response when it merges them in. Same outcome: a cookie the handler put on its own
 * response wins over satchel's write of the same name, as when Next merges `cookies()` in. A
 * response with immutable headers (e.g. `Response.redirect()`) is copied.
 */
function withWrites(response: Response, jar: BufferedCookieJar, extra: Headers | undefined): Response {
  const hasWrites = jar.hasPending();
  const entries = extra === undefined ? [] : [...extra];
  if (!hasWrites && entries.length === 0) return response;
  let lines = hasWrites ? jar.setCookieLines() : [];
  if (lines.length > 0 && response.headers.has("set-cookie")) {
    const own = new Set(response.headers.getSetCookie().map(cookieName));
    lines = lines.filter((line) => !own.has(cookieName(line)));
  }
  const apply = (target: Headers) => {
    for (const line of lines) target.append("set-cookie", line);
    for (const [name, value] of entries) target.set(name, value);
  };
  try {
    apply(response.headers);
    return response;
  } catch {
    const copy = new Response(response.body, response);
    apply(copy.headers);
    return copy;
  }
}

/** The name a `Set-Cookie` value sets. */
function cookieName(line: string): string {
  const eq = line.indexOf("=");
  return (eq < 0 ? line : line.slice(0, eq)).trim();
}
