/**
 * CSRF protection for Fetch-API servers (see `../session/csrf.ts` for how it works): `fetchCsrfToken` for the
 * forms a handler renders, `verifyFetchCsrf` before a state-changing handler runs.
 */
import { type CookieJar, parseCookies } from "../cookies/header.ts";
import { SessionStateError } from "../errors.ts";
import { type CsrfContext, type CsrfOptions, issueCsrfToken, verifyCsrf } from "../session/csrf.ts";
import { type HostSatchel, hostRuntimeOf } from "../session/host-runtime.ts";
import type { FetchSessions } from "./adapter.ts";

function fetchCsrfContext<Types>(
  satchel: HostSatchel<Types>,
  request: Request,
  sessions: FetchSessions<Types>,
): CsrfContext {
  // Reads go through the request's sessions, so a session regenerated earlier in this request counts.
  const jar: CookieJar = {
    get: (name) => sessions.cookies.get(name),
    names: () => [...parseCookies(request.headers.get("cookie")).keys()],
    set() {
      throw new SessionStateError("satchel: the CSRF view of a request does not write cookies.");
    },
  };
  return { jar, cookies: sessions.cookies, runtime: hostRuntimeOf(satchel), sessions };
}

/**
 * A fresh (masked) CSRF token for a form this request renders; put it in a hidden `_csrf` field or
 * send it as `x-csrf-token`. Sets the CSRF cookie on `sessions` when the browser has none (so
 * `commit()` and `apply()` the response as usual).
 * @param satchel the satchel your sessions module exports (`createSatchel()`'s result)
 */
export async function fetchCsrfToken<Types>(
  satchel: HostSatchel<Types>,
  request: Request,
  sessions: FetchSessions<Types>,
): Promise<string> {
  return issueCsrfToken(fetchCsrfContext(satchel, request, sessions), true);
}

/**
 * Checks a request before a state-changing handler runs: safe methods pass; others need a
 * same-origin Origin/Referer and a token made for this browser and its current sessions.
 * @param satchel the satchel your sessions module exports (`createSatchel()`'s result)
 * @throws CsrfError (status 403) saying what was wrong.
 */
export async function verifyFetchCsrf<Types>(
  satchel: HostSatchel<Types>,
  request: Request,
  sessions: FetchSessions<Types>,
  options: CsrfOptions = {},
): Promise<void> {
  return verifyCsrf(request, fetchCsrfContext(satchel, request, sessions), options);
}
