/**
 * `satchel/next`: typed sessions in a Next.js 16 App Router app. The generated module calls
 * `createNextSessions(satchel)` and exports `getSession`, `withRouteSessions`, `withActionSessions`
 * and `sessionProxy`; apps import those from the generated module, not from here.
 */

export {
  createNextSessions,
  type NextSessions,
  type NextSessionsOptions,
  type RouteSessionsOptions,
} from "./create.ts";
export { CSRF_COOKIE, CSRF_FIELD, CSRF_HEADER, CsrfError, type CsrfOptions } from "./csrf.ts";
export { FLASH_HANDOFF_HEADER } from "./handoff.ts";
export { isNavigationSignal } from "./navigation.ts";
export type { ProxyFunction, SessionProxyOptions } from "./proxy.ts";
