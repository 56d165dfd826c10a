/**
 * The public shapes of satchel: what a schema file declares and what app code holds.
 * Implementation lives elsewhere; this file only describes.
 */
import type { z } from "zod";
import type { CryptoBackend } from "./crypto/backend.ts";
import type { Duration } from "./duration.ts";
import type { ExpireOptions, ExpiryLimit, WithinExpiryLimit } from "./expiry-limit.ts";
import type { SessionStore } from "./stores/types.ts";

// Declared beside parseDuration (so expiry-limit.ts needs nothing from this file); public from here.
export type { Duration } from "./duration.ts";

/** Expiry of a session. Both limits are sealed with the data, so a replayed old cookie is worthless. */
export interface ExpiryOptions {
  /** Hard limit from creation; never extended. Default `"14d"`. */
  absolute?: Duration;
  /** Limit since the last request that touched the session (rolling). Default: none. */
  idle?: Duration;
  /** Refresh the rolling idle expiry at most this often, to spare writes. Default `"5m"`. */
  touchAfter?: Duration;
}

/** Cookie attributes of a session. Defaults are the safe ones. */
export interface SessionCookieOptions {
  /** Cookie name. Default: the session name. */
  name?: string;
  /** Default `"lax"`. */
  sameSite?: "lax" | "strict" | "none";
  /**
   * Default `true`, except when `NODE_ENV` is `"development"`. `"auto"`: Secure when the request came
   * over HTTPS (its URL's scheme; `X-Forwarded-Proto` only with `createSatchel`'s
   * `trustForwardedHeaders`), the default above when the host cannot tell (a Server Component).
   */
  secure?: boolean | "auto";
  /** Default `true`. */
  httpOnly?: boolean;
  /** Default `"/"`. */
  path?: string;
  domain?: string;
  /**
   * Prefix the name with `__Host-` (forces Secure, Path=/ and no Domain). Default: on in production
   * (`NODE_ENV=production`) for a cookie with no `domain`, no other `path` and `secure` not false; a
   * cookie under the plain name from before is read once and moved. `false` keeps the plain name.
   */
  hostPrefix?: boolean;
  /** Largest number of cookies one session may be split into. Default 4. */
  maxChunks?: number;
  /**
   * CHIPS: `Partitioned`, so a cookie set in a third-party context (an embedded widget) is kept per
   * top-level site. Requires Secure. Default `false`.
   */
  partitioned?: boolean;
  /**
   * `false`: a browser-session cookie (Beaker's default, Tipfy's `max_age=None`): written without
   * Max-Age or Expires, so the browser drops it when it closes. The `expiry` limits are still sealed
   * inside and enforced, so a cookie kept alive by a browser that restores sessions still expires.
   * Default `true`: the cookie lives until the session's absolute (or idle) expiry.
   */
  persistent?: boolean;
}

/** A session's data schema: a zod object, so every top-level field has a name. */
export type SessionSchema = z.ZodObject<z.ZodRawShape>;

/** Flash channels: each name maps to the zod schema of one flashed value. */
export type FlashSchemas = Record<string, z.ZodType>;

/** A migration takes the data of the previous version and returns the data of its key's version. */
export type Migration = (previous: never) => unknown;

/** One session as the schema file declares it. */
export interface SessionDefinition<
  S extends SessionSchema = SessionSchema,
  F extends FlashSchemas = FlashSchemas,
> {
  /** `"cookie"`: the sealed data lives in the cookie. `"store"`: the cookie holds a sealed id only. */
  storage: "cookie" | "store";
  schema: S;
  flash?: F;
  /** Adds the leveled `messages` channel (success, info, warning, error). */
  messages?: boolean;
  expiry?: ExpiryOptions;
  cookie?: SessionCookieOptions;
  /** Data version, default 1. Bump it together with a migration when the schema breaks old data. */
  version?: number;
  /** `{ [toVersion]: (previousData) => nextData }` */
  migrations?: Record<number, Migration>;
  /** Store sessions: the top-level field that names the user, for "log out everywhere". */
  userField?: keyof z.output<S> & string;
  /** Store sessions: also accept the sealed id in this request header (API and mobile clients). */
  header?: string;
  /**
   * Store sessions: this session's own store — a store object, a URL (`redis://`, `postgres://`,
   * `memcached://`, `memory:`, `file:`), or a function returning a store, called on first use —
   * instead of the runtime-wide one. Sessions on different stores work side by side in one request.
   */
  store?: SessionStore | string | URL | (() => SessionStore | Promise<SessionStore>);
  /**
   * Where this session's users come from: an importer from `satchel/import` (`ironSession({ ... })`,
   * `expressSession({ ... })`). While a request carries no satchel cookie for this session but does
   * carry the old library's cookie, the old session is opened, mapped to this schema and written as
   * this session, and the old cookie is expired: switching signs nobody out. Default: none.
   */
  importFrom?: SessionImporter<z.input<S>>;
}

/** The request's cookies as an importer reads them (satchel's `CookieJar` is one). */
export interface CookieReader {
  /** The cookie's value, %-decoded as the request sent it; `undefined` when absent. */
  get(name: string): string | undefined;
}

/** What an importer is given to open one request's old session. */
export interface ImportInput {
  /** The request's cookies. */
  readonly cookies: CookieReader;
  /** The app's crypto backend (node:crypto or WebCrypto): importers bring no crypto of their own. */
  readonly crypto: CryptoBackend;
  /** Now, in epoch milliseconds, from the app's clock: old expiries are judged against it. */
  readonly now: number;
}

/**
 * An old cookie to expire: its name and the Path/Domain it was set with (a browser matches all
 * three). Expire it with the satchel session's own Secure flag; a `__Host-`/`__Secure-` name needs it.
 */
export interface OldCookie {
  readonly name: string;
  readonly path: string;
  readonly domain: string | undefined;
}

/** What to clear of the old session once its data lives in satchel. */
export interface ImportCleanup {
  /**
   * Old cookies to expire (`Max-Age=0`) on the response that writes the satchel session, never
   * before: a response that writes nothing keeps them, and the next request imports again.
   */
  readonly expireCookies: readonly OldCookie[];
  /**
   * Ends the old session where it is stored (express-session with `deleteOld: true`: deletes its
   * record). Call it once, after the satchel session was written; it rejects when the old store
   * refuses, and the old record then simply expires by its own TTL. Absent: nothing to delete.
   */
  readonly afterWrite?: () => Promise<void>;
}

/**
 * What opening one request's old session gave:
 * - `absent`: the request carries no old cookie; nothing to import, nothing to report.
 * - `ok`: the old session opened and `map` returned `data` (not yet checked against the schema:
 *   the session layer runs zod on it like any data it reads); `cleanup` says what to clear once the
 *   satchel session is written.
 * - `failed`: an old cookie is there but gave no data (tampered, expired, wrong password or
 *   secret, a missing record, `map` threw). The session starts fresh, `onInvalid` hears reason
 *   `"import-failed"` with `detail` (never a token, id or secret), and the old cookie is left alone.
 */
export type ImportOutcome<Data> =
  | { readonly status: "absent" }
  | { readonly status: "ok"; readonly data: Data; readonly cleanup: ImportCleanup }
  | { readonly status: "failed"; readonly detail: string };

/** The libraries `satchel/import` reads sessions of. */
export type ImportSource = "iron-session" | "express-session";

/**
 * Opens another library's session for a satchel session (`importFrom`); made by `ironSession()` or
 * `expressSession()` from `satchel/import`. `Data` is what its `map` returns.
 */
export interface SessionImporter<Data> {
  /** The library whose sessions this importer reads. */
  readonly source: ImportSource;
  /** Every cookie name the importer reads (iron-session: the name and its chunks `name.0`...). */
  readonly cookieNames: readonly string[];
  /**
   * Opens the request's old session. Resolves to an `ImportOutcome`; rejects only with
   * `SessionStoreUnavailableError` when the old session's store cannot be reached (as satchel's own
   * stores do: HTTP 503, nothing was changed), or with a `SatchelConfigError` for a setup mistake
   * found on first use (a store driver that is not installed).
   */
  open(input: ImportInput): Promise<ImportOutcome<Data>>;
  /**
   * Throws the `SatchelConfigError` of a setting the importer could only check on first use (the old
   * library's secret, when the schema file ran without it): `satchel.checkConfig()` calls it at start.
   */
  check?(): void;
}

/** Why a cookie or record was not used: the session starts fresh and `onInvalid` hears the reason. */
export type InvalidReason =
  | "malformed"
  | "tampered"
  | "expired"
  | "unknown-key"
  /** The token was sealed for another session (e.g. a `cart` token sent as `auth`). */
  | "wrong-session"
  | "schema-mismatch"
  | "migration-failed"
  | "newer-version"
  | "missing-record"
  /**
   * Cookies named like this session's chunks (`auth.7`) that satchel did not write: ignored, never
   * deleted (another application may own them). The session itself is unaffected.
   */
  | "foreign-cookie"
  /**
   * The request sent the session both as one cookie (`auth`) and as chunks (`auth.0`…), and both
   * opened: another site planted one of them (cookie tossing, possible without the `__Host-`
   * prefix). Neither is used and neither is deleted: the session is fresh for this request.
   */
  | "ambiguous-cookie"
  | "ended"
  /**
   * The session's `importFrom` found an old cookie (iron-session, express-session) that gave no data:
   * it did not open, its record is gone, or `map` or the schema refused the data. The session
   * starts fresh and the old cookie is left as it is.
   */
  | "import-failed"
  /** One-off tokens only: the text was sealed for another token kind, or is a session cookie. */
  | "wrong-kind"
  /** One-off tokens only: a `singleUse` token that was opened before. */
  | "used";

/**
 * Why `openToken()` returned `null`: `malformed` (not a token, cut short), `tampered`, `expired`,
 * `unknown-key` (sealed with a secret no longer listed), `wrong-kind` (sealed for another token kind,
 * or a session cookie), `schema-mismatch` (its data no longer fits the token's schema), `used`.
 */
export type TokenInvalidReason = Extract<
  InvalidReason,
  "malformed" | "tampered" | "expired" | "unknown-key" | "wrong-kind" | "schema-mismatch" | "used"
>;

/** A cookie or record of a session was not used: the session started fresh. */
export interface SessionInvalidReport {
  reason: InvalidReason;
  /** The session name. */
  session: string;
  /** Absent: the report concerns a session (see `TokenInvalidReport`). */
  token?: undefined;
  /** Human-readable detail, for logs. Never contains the token or secret. */
  detail?: string;
}

/** A one-off token was refused: `openToken()` returned `null`. */
export interface TokenInvalidReport {
  reason: TokenInvalidReason;
  /** The token name asked for, e.g. `"passwordReset"`. */
  token: string;
  /** The token name again, so handlers written for session reports still log a name. */
  session: string;
  /** Human-readable detail, for logs. Never contains the token text or a secret. */
  detail?: string;
}

/**
 * What `onInvalid` hears: a session's unusable cookie or record, or a refused one-off token. Tell
 * them apart by `token`: set (the token's name) on token reports only.
 */
export type InvalidReport = SessionInvalidReport | TokenInvalidReport;

/** One kind of one-off token (a password reset, a magic link), declared in `defineSessions()`' `tokens` option. */
export interface TokenDefinition<S extends z.ZodType = z.ZodType> {
  /**
   * The zod schema of the token's data. `sealToken()` checks the data with it (a bad value throws
   * `SessionValidationError` naming the field) and seals its output (defaults applied, unknown keys
   * stripped); `openToken()` checks that output again, so a token sealed before a schema change that
   * no longer fits is refused (`schema-mismatch`). Use a schema whose output parses as itself: no
   * `.transform()` (`sealToken()` refuses a schema that rejects its own output).
   */
  schema: S;
  /**
   * How long a token stays valid after `sealToken()`: seconds, or a string like `"15m"`, `"2h"`, `"7d"`.
   * Sealed inside the token, so a server cannot be talked into a longer life. Required: a bearer token
   * deserves a deliberate lifetime.
   */
  ttl: Duration;
  /**
   * The token opens once: the first `openToken()` records it as used in the app's store (until the
   * token expires) and every later one returns `null` (reason `used`), also when two requests open
   * it at the same moment. Opening then needs the store: an outage rejects with
   * `SessionStoreUnavailableError` (answer 503) rather than let a token be used twice.
   * @default false
   */
  singleUse?: boolean;
}

/** Leveled messages, as in Beaker/Pylons: shown once, each with an optional title and lifetime. */
export type MessageLevel = "success" | "info" | "warning" | "error";
export interface Message {
  level: MessageLevel;
  body: string;
  title?: string;
  /** Seconds the message stays readable after it was added. */
  life?: number;
}
export interface MessageInput {
  title?: string;
  life?: number;
}
export interface Messages {
  success(body: string, options?: MessageInput): void;
  info(body: string, options?: MessageInput): void;
  warning(body: string, options?: MessageInput): void;
  error(body: string, options?: MessageInput): void;
  /**
   * All pending messages, consumed.
   *
   * In a read-only render (a Server Component) nothing stored can be consumed, so this returns only
   * the messages the proxy (`sessionProxy()`) handed to this request; stored messages wait for the
   * next request's proxy hand-off. Never throws there.
   */
  read(): Message[];
  /**
   * All pending messages, not consumed.
   *
   * In a read-only render (a Server Component) this returns only the messages the proxy handed to
   * this request; stored messages wait for the next request's proxy hand-off.
   */
  peek(): Message[];
}

/** One flash channel of payload type `T`. */
export interface FlashChannel<T> {
  /** Visible on the next request that reads it. */
  add(value: T): void;
  /** Visible to this request only. */
  now(value: T): void;
  /**
   * Everything pending (from earlier requests and `now`), removed from the session.
   *
   * In a read-only render (a Server Component) nothing stored can be removed, so this returns only
   * what the proxy (`sessionProxy()`) handed to this request plus this request's `now()` values;
   * stored values wait for the next request's proxy hand-off. Never throws there.
   */
  read(): T[];
  /**
   * Everything pending, left in place.
   *
   * In a read-only render (a Server Component) this returns only what the proxy handed to this
   * request plus this request's `now()` values; stored values wait for the next request's proxy
   * hand-off.
   */
  peek(): T[];
}

export type FlashChannels<F extends Record<string, unknown>> = {
  readonly [K in keyof F]: FlashChannel<F[K]>;
};

/** Read-only facts about a session, from `handle.$metadata()`; all `null` until it is stored. */
export interface SessionMetadata {
  /**
   * An id that is safe to log and to show: a hash, never the bearer token or id, and never accepted
   * in their place. Store sessions: stable for the life of the session id (it changes with
   * `regenerate()`), the same id `listUserSessions()` reports. Cookie sessions hold no id, so this is
   * a fingerprint of the current cookie: it changes whenever the cookie is rewritten.
   */
  publicId: string | null;
  /** When the session was created (sealed with it; `regenerate()` restarts it). */
  createdAt: Date | null;
  /**
   * The last request that wrote or refreshed the session, as precise as `expiry.touchAfter`. Cookie
   * sessions without an idle expiry do not record it: `null`.
   */
  lastAccessedAt: Date | null;
  /** When the session ends unless refreshed: the idle expiry, capped by the absolute one. */
  expiresAt: Date | null;
  /** How long the session lives and whether its cookie outlives the browser: `$expire()`'s choice or the definition's. */
  lifetime: SessionLifetime | null;
}

/** A session's lifetime, as `$metadata()` shows it. */
export interface SessionLifetime {
  /** Seconds from the session's start (or its `$expire()` call) to its absolute end. */
  absolute: number;
  /** Its idle limit in seconds; `null`: none. */
  idle: number | null;
  /** `false`: a browser-session cookie (no Max-Age). */
  persistent: boolean;
  /** `true` when `$expire()` chose it; `false`: the definition's `expiry.absolute` and `cookie.persistent`. */
  chosen: boolean;
}

/** The methods every session handle has, besides its typed fields. `L`: the definition's `expiry.absolute`. */
export interface SessionMethods<
  D extends object,
  F extends Record<string, unknown>,
  L extends ExpiryLimit = ExpiryLimit,
> {
  /** The session name, e.g. `"cart"`. */
  readonly $name: string;
  /** True when no valid cookie/record was found and this session started fresh in this request. */
  readonly $isNew: boolean;
  /** True after `destroy()`: the fields show the schema defaults and nothing can be written. */
  readonly $destroyed: boolean;
  /**
   * True only on the handle `getSession(name, { unavailable: "empty" })` gives while the session's
   * store cannot be reached: the fields show the schema defaults, flash and messages are empty, and
   * every write throws `SessionStoreUnavailableError`. `false` on every other handle.
   */
  readonly $unavailable: boolean;
  /** Public id (safe to log), creation, last access and expiry of the session. */
  $metadata(): Promise<SessionMetadata>;
  /** The value of `key` (also `handle[key]`). */
  get<K extends keyof D>(key: K): D[K];
  /** The value of `key`, or `fallback` when it holds none (an unset optional field). */
  get<K extends keyof D, T>(key: K, fallback: T): Exclude<D[K], undefined> | T;
  /** Same as `handle[key] = value`. */
  set<K extends keyof D>(key: K, value: D[K]): void;
  /** True when `key` holds a value (also `key in handle`). */
  has(key: keyof D): boolean;
  /** The fields holding a value (also `Object.keys(handle)`). */
  keys(): (keyof D & string)[];
  /** Returns the value of `key` and resets the field to its default (an optional one to unset). */
  pop<K extends keyof D>(key: K): D[K];
  /**
   * The value of `key`, first setting it to `value` when it holds none. What comes back is the
   * stored value itself, so `cart.setdefault("products", []).push(sku)` changes the session.
   */
  setdefault<K extends keyof D>(key: K, value: Exclude<D[K], undefined>): Exclude<D[K], undefined>;
  /** A plain snapshot of the data. */
  toJSON(): D;
  /**
   * Change and save in one step. On store sessions it is atomic: the record is reloaded and the
   * function re-run on conflict, so concurrent updates never lose each other's changes.
   * The function may mutate its argument or return a new value.
   */
  update(fn: (data: D) => D | undefined | Promise<D | undefined>): Promise<void>;
  /** Write now (validated), instead of at the end of the request. */
  save(): Promise<void>;
  /** Delete the session: its record and its cookie. The handle cannot be written afterwards. */
  destroy(): Promise<void>;
  /** Issue a new id (store) / new token (cookie), keeping the data: protection against fixation. */
  regenerate(): Promise<void>;
  /**
   * Chooses this session's lifetime now ("remember me"): `absolute` from now, at most the
   * definition's `expiry.absolute` (more is a type error naming the limit, and a `satchel:` error at
   * run time); `persistent: false` makes this one session a browser-session cookie. Sealed with the
   * session (a store session's cookie and record), kept across `regenerate()`, written at commit,
   * shown by `$metadata()`. The idle limit of the definition still applies.
   */
  $expire<const O extends ExpireOptions>(options: WithinExpiryLimit<O, L>): Promise<void>;
  /**
   * Drop unsaved changes and read the session as stored: a store session reads its record again
   * (other requests' writes since show up); a cookie session goes back to the cookie the request
   * sent, or the one this request last wrote. A session not stored yet goes back to the schema
   * defaults. It only reads, so it works in Server Components too; not after `destroy()`.
   * @throws SessionEndedError when another request ended the store session meanwhile.
   */
  reload(): Promise<void>;
  /**
   * Push the idle expiry forward from now, without waiting for `expiry.touchAfter`; written at the
   * end of the request (cookie sessions are re-sealed, store sessions get a store touch). Does
   * nothing for a session without `expiry.idle` or one not stored yet; never past `expiry.absolute`.
   * A write: it throws where writes are impossible (Server Components), as setters do.
   */
  touch(): void;
  /** Back to the schema defaults (flash and messages included). */
  reset(): void;
  /** Same as `reset()`, by its dictionary name. */
  clear(): void;
  readonly flash: FlashChannels<F>;
}

/** Options of `getSession(name, options)` (`satchel/next`). */
export interface GetSessionOptions {
  /**
   * What happens when the session's store cannot be reached. `"throw"`: `getSession()` rejects with
   * `SessionStoreUnavailableError` (a wrapped route handler answers 503; a page shows its
   * `error.tsx`). `"empty"`: it resolves to a read-only handle holding the schema defaults, with
   * `$unavailable: true`, so a page can render degraded ("cart unavailable, try again"); writes to
   * it throw `SessionStoreUnavailableError`. Sessions whose store is up, and cookie sessions, are
   * the same either way.
   * @default "throw"
   */
  unavailable?: "throw" | "empty";
}

/** No keys at all: the flash map of a session without flash, the extra of a session without messages. */
export type NoKeys = Record<never, never>;

/**
 * A typed session handle: data fields as properties, plus methods. `M` adds `messages`; `L` (the
 * generated module states it) lets `$expire()` refuse a lifetime over the definition's at compile time.
 */
export type SessionHandle<
  D extends object,
  F extends Record<string, unknown> = NoKeys,
  M extends boolean = false,
  L extends ExpiryLimit = ExpiryLimit,
> = D & SessionMethods<D, F, L> & (M extends true ? { readonly messages: Messages } : NoKeys);
