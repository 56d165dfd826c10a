/**
 * CSRF protection for Fetch-API servers (see `../session/csrf.ts` for how it works): `fetchCsrfToken` for the
 * forms a handler renders, `verifyFetchCsrf` before a state-changing handler runs.
 */
import type { CookieJar } from "../cookies/header.ts";
import { parseCookies } from "../cookies/header.ts";
import { SessionStateError } from "../errors.ts";
import type { Satchel } from "../satchel.ts";
import { type CsrfContext, type CsrfOptions, csrfMac, issueCsrfToken, verifyCsrf } from "../session/csrf.ts";
import type { FetchSessions } from "./adapter.ts";

function fetchCsrfContext<Types>(
  satchel: Satchel<Types>,
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
  return {
    jar,
    cookies: sessions.cookies,
    config: satchel.config,
    sealer: () => satchel.sealer(),
    mac: csrfMac((scratch) => satchel.open(scratch)),
  };
}

/**
 * A fresh (masked) CSRF token for a form this request renders; put it in a hidden `_csrf` field or
 * send it as `x-csrf-token`. Sets the CSRF cookie on `sessions` when the browser has none (so
 * `commit()` and `apply()` the response as usual).
 */
export function fetchCsrfToken<Types>(
  satchel: Satchel<Types>,
  request: Request,
  sessions: FetchSessions<Types>,
): Promise<string> {
  return issueCsrfToken(fetchCsrfContext(satchel, request, sessions), true);
}

/**
 * Checks a request before a state-changing handler runs: safe methods pass; others need a
 * same-origin Origin/Referer and a token made for this browser and its current sessions.
 * @throws CsrfError (status 403) saying what was wrong.
 */
export function verifyFetchCsrf<Types>(
  satchel: Satchel<Types>,
  request: Request,
  sessions: FetchSessions<Types>,
  options: CsrfOptions = {},
): Promise<void> {
  return verifyCsrf(request, fetchCsrfContext(satchel, request, sessions), options);
}
