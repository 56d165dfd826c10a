/**
 * satchel: typed sessions generated from one zod schema file. The root export: what schema files and
 * generated modules import. The Next.js adapter is `satchel/next`; stores are `satchel/stores/*`.
 */

export type { GeneratedCodec, Plan, PlanField, PlanLiteral } from "./codec-plan.ts";
export type { CookieAttributes, CookieJar, CookieWrite } from "./cookies.ts";
export { CSRF_FIELD, CSRF_HEADER, CsrfError, type CsrfOptions } from "./csrf.ts";
export { fetchCsrfToken, verifyFetchCsrf } from "./csrf-fetch.ts";
export {
  defineSessions,
  type ResolvedCookie,
  type ResolvedExpiry,
  type ResolvedSession,
  type SessionsConfig,
  type SessionsOptions,
  type StoreOption,
} from "./define.ts";
export {
  SatchelConfigError,
  SatchelError,
  SessionConflictError,
  SessionEndedError,
  SessionStateError,
  SessionStoreUnavailableError,
  SessionTooLargeError,
  SessionValidationError,
} from "./errors.ts";
export type { FetchSessions } from "./fetch.ts";
export type { PlainCookieOptions, PlainCookies } from "./plain-cookies.ts";
export { decodeSuperjsonPart, encodeSuperjsonPart } from "./plan-codec.ts";
export type { RequestSessions } from "./request-sessions.ts";
export {
  createSatchel,
  type OpenInit,
  type RevokeOptions,
  type Satchel,
  type SatchelOptions,
  type SessionTypesShape,
} from "./satchel.ts";
export { generateSecret } from "./secrets.ts";
export type { SessionStore, StoredRecord, WriteOptions } from "./stores/types.ts";
export type {
  Duration,
  ExpiryOptions,
  FlashChannel,
  FlashChannels,
  FlashSchemas,
  InvalidReason,
  InvalidReport,
  Message,
  MessageInput,
  MessageLevel,
  Messages,
  Migration,
  SessionCookieOptions,
  SessionDefinition,
  SessionHandle,
  SessionMethods,
  SessionSchema,
} from "./types.ts";
export type { UserSessionInfo } from "./user-sessions.ts";
