/**
 * A session's sealed token and the cookie that carries it, shared by cookie and store sessions: the
 * times sealed into a token, whether a rolling idle expiry is due, the cookie's attributes, writing
 * and reading the (possibly chunked) cookie, and why a token did not unseal.
 * @internal not part of the public API; import from "satchel" instead.
 */
import {
  type ChunkProblems,
  firstChunkName,
  planCookieWrites,
  readChunkedCookie,
  readCookieForms,
} from "../cookies/chunking.ts";
import type { CookieAttributes, CookieJar, CookieWrite } from "../cookies/header.ts";
import { resolveSecure } from "../cookies/transport.ts";
import {
  BINDING_BYTES,
  type SealedLifetime,
  type Sealer,
  type SealTimes,
  type UnsealResult,
} from "../crypto/seal.ts";
import type { ResolvedSession } from "../define.ts";
import { parseDuration } from "../duration.ts";
import { SatchelError } from "../errors.ts";
import type { ExpireOptions } from "../expiry-limit.ts";
import type { InvalidReason } from "../types.ts";
import type { SessionContext } from "./core.ts";
import type { RequestIO, SatchelRuntime } from "./request-sessions.ts";

/** A session's idle limit in seconds: the one `$expire()` chose, else the definition's; `null`: none. */
export function idleLimitOf(session: ResolvedSession, lifetime: SealedLifetime | undefined): number | null {
  return lifetime === undefined ? session.expiry.idle : lifetime.idle;
}

/**
 * Times for a token written now: keeps createdAt/absolute of a live session (and its binding and
 * chosen lifetime), refreshes idle.
 * @param lifetime for a session that starts now (`previous` null: new, regenerated, a new store id):
 *   the lifetime `$expire()` chose, kept across `regenerate()`; else the definition's.
 */
export function sealTimesFor(
  session: ResolvedSession,
  nowMs: number,
  previous: SealTimes | null,
  withIdle: boolean,
  lifetime: SealedLifetime | undefined = previous?.lifetime,
): SealTimes {
  const now = Math.floor(nowMs / 1000);
  const createdAt = previous?.createdAt ?? now;
  const absoluteExpiresAt =
    previous?.absoluteExpiresAt ?? now + (lifetime?.absolute ?? session.expiry.absolute);
  return timesFrom(session, now, createdAt, absoluteExpiresAt, withIdle, previous, lifetime);
}

/**
 * The times after `$expire()`: the absolute end `absolute` from now (at most the definition's
 * `expiry.absolute`, else a `satchel:` error), the idle end from now, creation and binding kept.
 */
export function expireTimes(
  session: ResolvedSession,
  nowMs: number,
  previous: SealTimes | null,
  withIdle: boolean,
  options: ExpireOptions,
): SealTimes {
  const lifetime = chosenLifetime(session, options, previous?.lifetime);
  const now = Math.floor(nowMs / 1000);
  const createdAt = previous?.createdAt ?? now;
  return timesFrom(session, now, createdAt, now + lifetime.absolute, withIdle, previous, lifetime);
}

function timesFrom(
  session: ResolvedSession,
  now: number,
  createdAt: number,
  absoluteExpiresAt: number,
  withIdle: boolean,
  previous: SealTimes | null,
  lifetime: SealedLifetime | undefined,
): SealTimes {
  const idle = idleLimitOf(session, lifetime);
  const idleExpiresAt = withIdle && idle !== null ? Math.min(now + idle, absoluteExpiresAt) : null;
  const times: SealTimes = { createdAt, absoluteExpiresAt, idleExpiresAt };
  if (previous?.binding !== undefined) times.binding = previous.binding;
  if (lifetime !== undefined) times.lifetime = lifetime;
  return times;
}

/** `$expire()`'s options checked against the definition: absolute and idle seconds, persistence. */
function chosenLifetime(
  session: ResolvedSession,
  options: ExpireOptions,
  previous: SealedLifetime | undefined,
): SealedLifetime {
  const where = `session "${session.name}" $expire()`;
  if (typeof options !== "object" || options === null) {
    throw new SatchelError(
      `satchel: ${where} takes { absolute?, idle?, persistent? }; got ${String(options)}.`,
    );
  }
  const limit = session.expiry.absolute;
  const absolute =
    options.absolute === undefined
      ? (previous?.absolute ?? limit)
      : parseDuration(options.absolute, `${where} absolute`);
  if (absolute > limit || absolute < 1) {
    throw new SatchelError(
      `satchel: ${where} asked for an absolute lifetime of ${absolute} s; it must be 1 s to the definition's ` +
        `expiry.absolute (${limit} s). Choose a shorter one, or raise expiry.absolute in sessions.schema.ts.`,
    );
  }
  const idle =
    options.idle === undefined
      ? idleLimitOf(session, previous)
      : options.idle === null
        ? null
        : parseDuration(options.idle, `${where} idle`);
  if (idle !== null && idle < 1) {
    throw new SatchelError(`satchel: ${where} idle must be at least one second, or null for none.`);
  }
  const persistent = options.persistent ?? previous?.persistent ?? session.cookie.persistent;
  if (typeof persistent !== "boolean") {
    throw new SatchelError(`satchel: ${where} persistent must be true or false; got ${String(persistent)}.`);
  }
  return { absolute, idle, persistent };
}

/** A session's random binding (see `SealTimes.binding`): drawn when it starts and on `regenerate()`. */
export function newBinding(): Uint8Array {
  const bytes = new Uint8Array(BINDING_BYTES);
  globalThis.crypto.getRandomValues(bytes);
  return bytes;
}

/**
 * Whether a rolling idle expiry should be pushed forward now: only once `touchAfter` has passed since
 * it was last pushed, and never when the absolute limit caps it anyway.
 * @param idleEndsAt epoch ms when the session goes idle.
 */
export function touchIsDue(
  session: ResolvedSession,
  nowMs: number,
  idleEndsAt: number,
  absoluteEndsAt: number,
  lifetime?: SealedLifetime,
) {
  const idle = idleLimitOf(session, lifetime);
  if (idle === null || idleEndsAt >= absoluteEndsAt) return false;
  const lastTouch = idleEndsAt - idle * 1000;
  return nowMs - lastTouch >= session.expiry.touchAfter * 1000;
}

/**
 * The cookie attributes of a session, with Max-Age counted down to `expiresAt` (epoch s); none for a
 * browser-session cookie (`cookie.persistent: false`, or `$expire({ persistent: false })`: `lifetime`).
 */
export function cookieAttributes(
  session: ResolvedSession,
  io: RequestIO,
  nowMs: number,
  expiresAt: number | null,
  lifetime?: SealedLifetime,
): CookieAttributes {
  const c = session.cookie;
  const attributes: CookieAttributes = {
    path: c.path,
    httpOnly: c.httpOnly,
    secure: resolveSecure(c.secure, io.transport, c.secureFallback),
    sameSite: c.sameSite,
  };
  if (c.domain !== undefined) attributes.domain = c.domain;
  if (c.partitioned) attributes.partitioned = true;
  // A browser-session cookie carries no lifetime; its expiry is only the one sealed inside.
  if (expiresAt !== null && (lifetime?.persistent ?? c.persistent))
    attributes.maxAge = Math.max(0, expiresAt - Math.floor(nowMs / 1000));
  return attributes;
}

/**
 * Sessions whose cookie was written once in this process: its name and attributes (the same on
 * every write but for Max-Age) were validated then, and later tokens are not checked again.
 */
const validatedCookies = new WeakSet<ResolvedSession>();

/** Writes (or with `null`, deletes) a session cookie (a token satchel sealed) and its chunks into the jar. */
export function writeSessionCookie(
  session: ResolvedSession,
  io: RequestIO,
  value: string | null,
  attributes: CookieAttributes,
): void {
  for (const write of sessionCookieWrites(session, io, value, attributes)) io.jar.set(write);
}

/**
 * Clears the unusable session cookie a request sent: one expiring `Set-Cookie` per cookie it came in
 * (the plain one, or each of its chunks, under whichever name it was sent), none for a name it did
 * not use. A deletion by `destroy()` (`writeSessionCookie` with `null`) also expires the plain name
 * when it was not sent.
 */
export function clearSentSessionCookie(
  session: ResolvedSession,
  io: RequestIO,
  attributes: CookieAttributes,
): void {
  for (const write of sessionCookieWrites(session, io, null, attributes))
    if (io.jar.get(write.name) !== undefined) io.jar.set(write);
}

/** The cookie writes of `writeSessionCookie`. */
function sessionCookieWrites(
  session: ResolvedSession,
  io: RequestIO,
  value: string | null,
  attributes: CookieAttributes,
): CookieWrite[] {
  const writes = planCookieWrites({
    session: session.name,
    name: session.cookie.name,
    value,
    attributes,
    jar: io.jar,
    maxChunks: session.cookie.maxChunks,
    checked: validatedCookies.has(session),
  });
  if (value !== null) validatedCookies.add(session);
  // A cookie under the name from before the __Host- prefix (and its chunks) goes: it was moved.
  const previous = session.cookie.previousName;
  if (previous !== undefined && readChunkedCookie(io.jar, previous) !== undefined) {
    writes.push(
      ...planCookieWrites({
        session: session.name,
        name: previous,
        value: null,
        attributes,
        jar: io.jar,
        maxChunks: session.cookie.maxChunks,
      }),
    );
  }
  return writes;
}

/** A session's token as read from its cookies, and what to report about those cookies. */
export interface SessionCookieRead {
  token: string | undefined;
  /**
   * The session's cookie in the other form, sent next to `token` (the plain cookie next to chunks):
   * one of the two was planted by another site. `openSessionToken` decides which, if any, is used.
   */
  rival: string | undefined;
  /** The token came from the name before the __Host- prefix: write it back under the new name. */
  moved: boolean;
  /** Why no token could be read although satchel's chunks were sent (one is missing); else null. */
  failure: [InvalidReason, string] | null;
  /** Reports chunk-like cookies satchel did not write; call once the session loaded fine. */
  reportForeign(): void;
}

/**
 * Reads a session's (possibly chunked) cookie. One request gets one report per session: a missing
 * chunk or a failed unseal is the report; foreign chunk-like cookies are reported only otherwise.
 */
export function readSessionCookie(
  session: ResolvedSession,
  io: RequestIO,
  ctx: SessionContext,
): SessionCookieRead {
  const name = session.cookie.name;
  const plain = io.jar.get(name);
  // The common read: a plain cookie and no first chunk beside it; nothing to scan or report.
  if (plain !== undefined && io.jar.get(firstChunkName(name)) === undefined) {
    return new SessionCookie(plain, undefined, false, null, undefined, session, ctx);
  }
  const problems: ChunkProblems = { foreign: [] };
  const forms = readCookieForms(io.jar, name, problems);
  let token = forms.plain ?? forms.chunked;
  const rival = forms.plain === undefined ? undefined : forms.chunked;
  // Next to a plain cookie, incomplete chunks are someone else's, not a session cut short.
  if (forms.plain !== undefined && problems.missing !== undefined) {
    problems.foreign.push(problems.missing);
    delete problems.missing;
  }
  // The plain name is read only while no prefixed cookie is sent, so a cookie a sibling subdomain
  // plants under it never wins over the real one.
  const previous = session.cookie.previousName;
  const moved = token === undefined && previous !== undefined && problems.missing === undefined;
  if (moved) token = readChunkedCookie(io.jar, previous);
  const failure: [InvalidReason, string] | null =
    problems.missing === undefined
      ? null
      : ["malformed", `cookie ${problems.missing} is missing: the session's chunks are incomplete`];
  return new SessionCookie(
    token,
    rival,
    moved && token !== undefined,
    failure,
    problems.foreign,
    session,
    ctx,
  );
}

/** `readSessionCookie`'s result. A class: no closure made for each request. */
class SessionCookie implements SessionCookieRead {
  constructor(
    readonly token: string | undefined,
    readonly rival: string | undefined,
    readonly moved: boolean,
    readonly failure: [InvalidReason, string] | null,
    /** Chunk-like cookies satchel did not write; `undefined`: none were looked for (a plain cookie alone). */
    private readonly foreign: string[] | undefined,
    private readonly session: ResolvedSession,
    private readonly ctx: SessionContext,
  ) {}

  reportForeign(): void {
    if (this.foreign === undefined || this.foreign.length === 0) return;
    this.ctx.report({
      reason: "foreign-cookie",
      session: this.session.name,
      detail: `ignored cookies satchel did not write: ${this.foreign.join(", ")}`,
    });
  }
}

/** The outcome of `openSessionToken`. */
export type OpenedToken =
  | { ok: true; token: string; unsealed: Extract<UnsealResult, { ok: true }> }
  | { ok: false; reason: InvalidReason; detail?: string | undefined };

/**
 * Unseals the token a request sent for `session`. When the request carried the session in both forms
 * (`cookie.rival`), one rule whatever their order: the form that opens is used and the other reported
 * as `foreign-cookie`; when both open, neither is used (`ambiguous-cookie`: one was planted, and
 * nothing tells which). The caller deletes neither form on that request (see `deletesNothing`).
 */
export function openSessionToken(
  runtime: SatchelRuntime,
  session: ResolvedSession,
  ctx: SessionContext,
  token: string,
  cookie: SessionCookieRead | null,
): OpenedToken | Promise<OpenedToken> {
  const sealer = runtime.sealer();
  // The common request (one form of the cookie, the sealer made, a synchronous backend) opens its
  // token without a promise; everything else, failures included, takes the general path.
  if (cookie?.rival === undefined && !(sealer instanceof Promise)) {
    const unsealed = sealer.unseal(session.name, token, ctx.now());
    if (!(unsealed instanceof Promise) && unsealed.ok) return { ok: true, token, unsealed };
    return openToken(runtime, session, ctx, token, cookie, unsealed);
  }
  return openToken(runtime, session, ctx, token, cookie);
}

/** `openSessionToken` in general; `first` is the token's unseal when it was already started. */
async function openToken(
  runtime: SatchelRuntime,
  session: ResolvedSession,
  ctx: SessionContext,
  token: string,
  cookie: SessionCookieRead | null,
  first?: UnsealResult | Promise<UnsealResult>,
): Promise<OpenedToken> {
  const sealer = await runtime.sealer();
  const unsealed = await (first ?? sealer.unseal(session.name, token, ctx.now()));
  const rival = cookie?.rival;
  if (rival === undefined) {
    if (unsealed.ok) return { ok: true, token, unsealed };
    return { ok: false, reason: await whyUnsealFailed(runtime, session, token, unsealed.reason) };
  }
  const other = await sealer.unseal(session.name, rival, ctx.now());
  const name = session.cookie.name;
  if (unsealed.ok && other.ok) {
    return {
      ok: false,
      reason: "ambiguous-cookie",
      detail: `both ${name} and its chunks ${name}.0… were sent and both open; one was planted by another site, so neither is used`,
    };
  }
  // One opens: the other is someone else's cookie, ignored and reported (never deleted).
  const ignored = (what: string) =>
    ctx.report({
      reason: "foreign-cookie",
      session: session.name,
      detail: `ignored ${what}, which does not open, sent next to the session's own`,
    });
  if (unsealed.ok) {
    ignored(`the chunks ${name}.0…`);
    return { ok: true, token, unsealed };
  }
  if (other.ok) {
    ignored(`the cookie ${name}`);
    return { ok: true, token: rival, unsealed: other };
  }
  return { ok: false, reason: unsealed.reason, detail: `neither ${name} nor its chunks ${name}.0… open` };
}

/**
 * The token a request's cookie carries for `session`, for readers that need no reports (the CSRF
 * binding, the inspector): `openSessionToken`'s rule for a request carrying both forms — the one that
 * opens; none when neither or both open — so a cookie another site tossed never decides for them either.
 */
export async function trustedCookieToken(
  sealerOf: () => Promise<Pick<Sealer, "unseal">>,
  session: ResolvedSession,
  jar: CookieJar,
  nowMs: number,
): Promise<string | undefined> {
  const { plain, chunked } = readCookieForms(jar, session.cookie.name);
  if (plain === undefined || chunked === undefined) return plain ?? chunked;
  const sealer = await sealerOf();
  const plainOpens = (await sealer.unseal(session.name, plain, nowMs)).ok;
  const chunksOpen = (await sealer.unseal(session.name, chunked, nowMs)).ok;
  if (plainOpens === chunksOpen) return undefined;
  return plainOpens ? plain : chunked;
}

/** A request that carried both forms of the session's cookie has its cookies left as they are. */
export function deletesNothing(cookie: SessionCookieRead | null): boolean {
  return cookie?.rival !== undefined;
}

/**
 * Why a token did not unseal. The session name is bound as associated data, so another session's
 * token fails like a tampered one; trying the other sessions' keys (only on this failure path) tells
 * the two apart.
 */
export async function whyUnsealFailed(
  runtime: SatchelRuntime,
  session: ResolvedSession,
  token: string,
  reason: InvalidReason,
): Promise<InvalidReason> {
  if (reason !== "tampered") return reason;
  const sealer = await runtime.sealer();
  for (const other of Object.keys(runtime.config.sessions)) {
    if (other === session.name) continue;
    const attempt = await sealer.unseal(other, token, runtime.now());
    if (attempt.ok || attempt.reason === "expired") return "wrong-session";
  }
  return reason;
}
