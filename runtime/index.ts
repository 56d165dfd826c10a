/**
 * satchel: typed sessions generated from one zod schema file. The root export: what schema files and
 * generated modules import. The Next.js adapter is `satchel/next`; stores are `satchel/stores/*`.
 */

export { decodeSuperjsonPart, encodeSuperjsonPart } from "./codec/envelope.ts";
export type { GeneratedCodec, Plan, PlanField, PlanLiteral } from "./codec/plan.ts";
export type { CookieAttributes, CookieJar, CookieWrite } from "./cookies/header.ts";
export type { PlainCookieOptions, PlainCookies } from "./cookies/plain-cookies.ts";
export { generateSecret } from "./crypto/secrets.ts";
export {
  defineSessions,
  type ResolvedCookie,
  type ResolvedExpiry,
  type ResolvedSession,
  type SessionsConfig,
  type SessionsOptions,
  type StoreOption,
} from "./define.ts";
export type { ResolvedToken } from "./define-tokens.ts";
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
export type { ExpireOptions, ExpiryLimit, WithinExpiryLimit } from "./expiry-limit.ts";
export type { FetchSessions } from "./fetch/adapter.ts";
export { fetchCsrfToken, verifyFetchCsrf } from "./fetch/csrf.ts";
export {
  createSatchel,
  type RevokeOptions,
  type Satchel,
  type SatchelOptions,
  type SessionTypesShape,
  type TokenTypesShape,
  type UntypedTokens,
} from "./satchel.ts";
export { CSRF_FIELD, CSRF_HEADER, CsrfError, type CsrfOptions } from "./session/csrf.ts";
export type { OpenInit } from "./session/host-runtime.ts";
export type { RequestSessions } from "./session/request-sessions.ts";
export type { UserSessionInfo } from "./session/user-sessions.ts";
export type { SessionStore, StoredRecord, WriteOptions } from "./stores/types.ts";
export type { OpenTokenOptions } from "./tokens/tokens.ts";
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
  SessionInvalidReport,
  SessionLifetime,
  SessionMetadata,
  SessionMethods,
  SessionSchema,
  TokenDefinition,
  TokenInvalidReason,
  TokenInvalidReport,
} from "./types.ts";
