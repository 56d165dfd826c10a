/**
 * `createNextSessions(satchel)`: the Next.js App Router face of a satchel runtime. The generated
 * module calls it once and exports what it returns.
 *
 * Where `getSession(name)` finds the request's sessions:
 * - inside `withRouteSessions`, `withActionSessions` or `sessionProxy`: the scope the wrapper opened
 *   (carried in Next's own AsyncLocalStorage, see host.ts), read and write, committed by the wrapper;
 * - anywhere else in a request: a scope kept per request (keyed by the object `cookies()` returns),
 *   read-only in a Server Component (a write throws and says where to write instead); in an unwrapped
 *   server action or route handler, writes are saved only by `save()`/`update()`, and in development
 *   a change left unsaved at the end of the request is reported on the console.
 *
 * This file wires the parts: `host.ts` (what they share: the satchel's host runtime, Next's request
 * functions, the wrappers' scopes), `route-handler.ts`, `unwrapped.ts`, `proxy.ts`; a server action's
 * wrapper is short enough to live here.
 */
import type { NextRequest } from "next/server.js";
import type { ResolvedSession } from "../define.ts";
import type { Satchel } from "../satchel.ts";
import type { RequestSessions } from "../session/request-sessions.ts";
import type { GetSessionOptions } from "../types.ts";
import { nextCookieJar } from "./cookie-jar.ts";
import { issueCsrfToken, nextCsrfContext } from "./csrf.ts";
import { nextHost } from "./host.ts";
import { buildSessionProxy, type SessionProxyOptions } from "./proxy.ts";
import { type NextRequestApi, nextRequestApi } from "./request-api.ts";
import { type RouteSessionsOptions, wrapRouteHandler } from "./route-handler.ts";
import type { Scope } from "./scope.ts";
import { getOrEmpty, wantsEmptyWhenUnavailable } from "./unavailable.ts";
import { unwrappedScopes } from "./unwrapped.ts";

/** Options of `createNextSessions`. */
export interface NextSessionsOptions {
  /**
   * Where warnings go: a change left unsaved, a page shown with an empty session while its store is
   * down (`{ unavailable: "empty" }`).
   * @default console.warn
   */
  warn?: (message: string) => void;
  /** @internal Replaces `next/headers` in unit tests. */
  requestApi?: NextRequestApi;
}

/** What the generated module exports for Next.js. */
export interface NextSessions<Types> {
  /**
   * The typed handle of session `name` in the current request: read and write in route handlers and
   * server actions, read in Server Components, read and write in `proxy.ts` under `sessionProxy()`.
   * With `{ unavailable: "empty" }`, a store that cannot be reached gives a read-only handle holding
   * the schema defaults (`$unavailable: true`) instead of `SessionStoreUnavailableError`, so a page
   * renders degraded.
   */
  getSession<N extends keyof Types & string>(name: N, options?: GetSessionOptions): Promise<Types[N]>;
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
  const host = nextHost(satchel, options.requestApi ?? nextRequestApi);
  const warn = options.warn ?? ((message: string) => console.warn(message));
  const unwrappedScope = unwrappedScopes(host, warn);
  /** The scope of the wrapper this call runs in, else the request's scope of unwrapped calls. */
  const currentScope = (): Promise<Scope<Types>> | Scope<Types> => host.wrappedScope() ?? unwrappedScope();
  /** `getSession(name, options)`: an empty handle instead of a store outage when asked for. */
  const withOptions = async <N extends keyof Types & string>(
    name: N,
    getOptions: GetSessionOptions,
  ): Promise<Types[N]> => {
    const scope = await currentScope();
    const def: ResolvedSession | undefined = satchel.config.sessions[name];
    // An unknown name fails in the scope's get(), as without options.
    if (def === undefined || !wantsEmptyWhenUnavailable(name, getOptions)) return scope.get(name);
    return getOrEmpty<Types, N>(scope, def, warn);
  };

  return {
    getSession(name, getOptions) {
      if (getOptions !== undefined) return withOptions(name, getOptions);
      // Inside a wrapper (the common case) the scope is at hand: no extra promise per call.
      const wrapped = host.wrappedScope();
      if (wrapped !== undefined) return wrapped.get(name);
      return unwrappedScope().then((scope) => scope.get(name));
    },

    withRouteSessions: (handler, routeOptions = {}) => wrapRouteHandler(host, handler, routeOptions),

    withActionSessions(action) {
      return async (...args) => {
        const store = await host.api.cookies();
        const headers = await host.api.headers();
        const scope = host.openScope(nextCookieJar(store, headers.get("cookie")), headers, "server action");
        return host.runAndCommit(scope, () => action(...args));
      };
    },

    sessionProxy: (proxyOptions) => buildSessionProxy(host, proxyOptions),

    async csrfToken() {
      const scope = await currentScope();
      return issueCsrfToken(nextCsrfContext(host.runtime, scope), scope.where !== "Server Component");
    },

    async requestSessions() {
      return (await currentScope()).sessions;
    },
  };
}
