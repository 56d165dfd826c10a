/**
 * The Fetch adapter: a `Request` in, `Set-Cookie` (and header-borne session tokens) on the `Response`.
 * No Next.js needed; this is also how the runtime is tested.
 */
import { type MemoryCookieJar, memoryCookieJar } from "../cookies/header.ts";
import { SessionStateError } from "../errors.ts";
import type { HostRequestSessions, RequestSessions } from "../session/request-sessions.ts";
import { applyTokenHeaders } from "../session/token-headers.ts";

/** The sessions of a Fetch `Request`. */
export interface FetchSessions<Types> extends RequestSessions<Types> {
  /**
   * Copies the cookie writes (and session response headers) onto `response` and returns it (a copy
   * when its headers are immutable). Call `await commit()` first; `handle()` does both.
   */
  apply(response: Response): Response;
}

/** What `satchel.ts` hands the adapter: its `open`, plus whether a commit is still owed. */
export type OpenForFetch<Types> = (jar: MemoryCookieJar, request: Request) => HostRequestSessions<Types>;

/** Builds the sessions of one Fetch request. */
export function fromFetchRequest<Types>(open: OpenForFetch<Types>, request: Request): FetchSessions<Types> {
  const jar = memoryCookieJar(request.headers.get("cookie"));
  const sessions = open(jar, request);
  // Spread would drop getters; keep the same object and add apply (one store: no Object.assign and
  // its temporary object on every request).
  const fetchSessions = sessions as HostRequestSessions<Types> & { apply?: FetchSessions<Types>["apply"] };
  fetchSessions.apply = applierOf(jar, sessions);
  return fetchSessions as FetchSessions<Types>;
}

/**
 * `apply` of one request's sessions. Made by a function and returned unnamed: under esbuild's
 * keepNames (tsx, which runs the bench) a closure held in a named const also gets its `name` defined
 * on every request. (Not a closure written straight into the property: V8 then added `apply` to the
 * sessions object as a dictionary property, ~37k instructions per request.)
 */
function applierOf<Types>(
  jar: MemoryCookieJar,
  sessions: HostRequestSessions<Types>,
): FetchSessions<Types>["apply"] {
  return (response) => {
    if (sessions.committing() || sessions.needsCommit()) {
      throw new SessionStateError(
        "satchel: apply() was called before commit() finished; `await sessions.commit()` first " +
          "(or wrap the handler with satchel.handle(), which does both).",
      );
    }
    // What is copied now is all the client will get: later writes must fail, not vanish.
    sessions.close("apply(response) was called");
    const cookies = jar.setCookieHeaders();
    // A request that only read made no response headers at all: nothing to copy or add.
    const extra = sessions.addedHeaders();
    if (cookies.length === 0 && extra === undefined) return response;
    try {
      addHeaders(response.headers, cookies, extra);
      return response;
    } catch {
      // Headers of Response.redirect() and fetch() results are immutable: copy the response.
      const copy = new Response(response.body, response);
      addHeaders(copy.headers, cookies, extra);
      return copy;
    }
  };
}

function addHeaders(headers: Headers, cookies: string[], extra: Headers | undefined): void {
  for (const cookie of cookies) headers.append("set-cookie", cookie);
  if (extra !== undefined) applyTokenHeaders(headers, [...extra]);
}

/**
 * Wraps a Fetch handler: sessions are committed when it returns a Response, never when it throws
 * (so a failed request saves nothing).
 */
export function handleFetch<Types>(
  open: OpenForFetch<Types>,
  fn: (request: Request, sessions: FetchSessions<Types>) => Response | Promise<Response>,
): (request: Request) => Promise<Response> {
  return async (request) => {
    const sessions = fromFetchRequest(open, request);
    const response = await fn(request, sessions);
    await sessions.commit();
    return sessions.apply(response);
  };
}
