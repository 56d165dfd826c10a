/**
 * CSRF protection for Next route handlers that accept form posts (see `../session/csrf.ts` for how it works).
 * Server actions need none of this: Next compares their Origin with the host itself.
 * @internal
 */

import type { CsrfContext } from "../session/csrf.ts";
import type { HostRuntime } from "../session/host-runtime.ts";
import type { Scope } from "./scope.ts";

export {
  browserSecret,
  CSRF_COOKIE,
  CSRF_FIELD,
  CSRF_HEADER,
  CsrfError,
  type CsrfOptions,
  issueCsrfToken,
  verifyCsrf,
} from "../session/csrf.ts";

/** The CSRF view of one Next request: its jar (raw Cookie header plus this request's writes) and sessions. */
export function nextCsrfContext<Types>(runtime: HostRuntime, scope: Scope<Types>): CsrfContext {
  return { jar: scope.jar, cookies: scope.sessions.cookies, runtime, sessions: scope.sessions };
}
