/**
 * `withRouteSessions(handler, options)`: a route handler whose sessions are read from the request's
 * own Cookie header and whose writes go on the Response it returns.
 * @internal
 */
import type { NextRequest } from "next/server.js";
import { SessionStoreUnavailableError } from "../errors.ts";
import { applyTokenHeaders } from "../session/token-headers.ts";
import { type BufferedCookieJar, bufferedCookieJar } from "./cookie-jar.ts";
import { CsrfError, type CsrfOptions, nextCsrfContext, verifyCsrf } from "./csrf.ts";
import type { NextHost } from "./host.ts";
import { storeUnavailable } from "./proxy.ts";

/** Options of `withRouteSessions`. */
export interface RouteSessionsOptions extends CsrfOptions {
  /**
   * Check Origin and the CSRF token on POST, PUT, PATCH and DELETE before the handler runs, and
   * answer 403 when either is wrong. For handlers that accept form posts. Default `false`.
   */
  csrf?: boolean;
}

/**
 * Wraps a route handler: changed sessions are committed when it returns (or ends with `redirect()`/
 * `notFound()`), a CSRF failure answers 403 and a store outage 503.
 */
export function wrapRouteHandler<Types, C>(
  host: NextHost<Types>,
  handler: (request: NextRequest, context: C) => Response | Promise<Response>,
  options: RouteSessionsOptions,
): (request: NextRequest, context: C) => Promise<Response> {
  /**
   * Only header-borne store sessions add response headers; without any, a response needs no look
   * at them (iterating a `Headers` sorts its list on every request).
   */
  const addsHeaders = Object.values(host.satchel.config.sessions).some((def) => def.header !== undefined);
  return async (request, context) => {
    // Cookies come from the request's own Cookie header, read with satchel's parser (see
    // cookie-jar.ts). Writes wait in the jar until the response exists; nothing here touches
    // next/headers unless the handler throws (see below). The request's own headers: sessions only
    // read them, so no copy is needed.
    const { headers } = request;
    const jar = bufferedCookieJar(headers.get("cookie"));
    const scope = host.openScope(jar, headers, "route handler", undefined, request.url);
    let response: Response;
    try {
      if (options.csrf) {
        try {
          await verifyCsrf(request, nextCsrfContext(host.runtime, scope), options);
        } catch (error) {
          if (!(error instanceof CsrfError)) throw error;
          return withWrites(new Response(error.message, { status: 403 }), jar, undefined);
        }
      }
      try {
        // runAndCommit's steps in this function: one async layer fewer per request (two promise
        // hooks per AsyncLocalStorage under Next).
        try {
          response = await host.run(scope, () => handler(request, context));
        } catch (error) {
          await host.commitOnSignal(scope, error);
          throw error;
        }
        const saving = host.commitAndClose(scope);
        if (saving !== undefined) await saving;
      } catch (error) {
        // A store the handler needed is down: 503 (retry later), not a 500.
        if (!(error instanceof SessionStoreUnavailableError)) throw error;
        response = storeUnavailable(error);
      }
    } catch (error) {
      // redirect()/notFound() and errors leave no Response to put cookies on: whatever save()/
      // update() or the commit wrote goes to `cookies()`, which Next adds to the response it
      // makes (the redirect's, the 404's, the 500's).
      if (jar.hasPending()) jar.flushTo(await host.api.cookies());
      throw error;
    }
    return withWrites(response, jar, addsHeaders ? scope.sessions.responseHeaders : undefined);
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
    applyTokenHeaders(target, entries);
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
