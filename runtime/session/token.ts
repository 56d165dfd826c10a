/**
 * A session's sealed token and the cookie that carries it, shared by cookie and store sessions: the
 * times sealed into a token, whether a rolling idle expiry is due, the cookie's attributes, writing
 * and reading the (possibly chunked) cookie, and why a token did not unseal.
 * @internal not part of the public API; import from "satchel" instead.
 */
import { type ChunkProblems, planCookieWrites, readChunkedCookie } from "../cookies/chunking.ts";
import type { CookieAttributes } from "../cookies/header.ts";
import { BINDING_BYTES, type SealedLifetime, type SealTimes } from "../crypto/seal.ts";
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
  nowMs: number,
  expiresAt: number | null,
  lifetime?: SealedLifetime,
): CookieAttributes {
  const c = session.cookie;
  const attributes: CookieAttributes = {
    path: c.path,
    httpOnly: c.httpOnly,
    secure: c.secure,
    sameSite: c.sameSite,
  };
  if (c.domain !== undefined) attributes.domain = c.domain;
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
  for (const write of writes) io.jar.set(write);
}

/** A session's token as read from its cookies, and what to report about those cookies. */
interface SessionCookieRead {
  token: string | undefined;
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
  const problems: ChunkProblems = { foreign: [] };
  let token = readChunkedCookie(io.jar, session.cookie.name, problems);
  // The plain name is read only while no prefixed cookie is sent, so a cookie a sibling subdomain
  // plants under it never wins over the real one.
  const previous = session.cookie.previousName;
  const moved = token === undefined && previous !== undefined && problems.missing === undefined;
  if (moved) token = readChunkedCookie(io.jar, previous);
  const failure: [InvalidReason, string] | null =
    problems.missing === undefined
      ? null
      : ["malformed", `cookie ${problems.missing} is missing: the session's chunks are incomplete`];
  return {
    token,
    moved: moved && token !== undefined,
    failure,
    reportForeign() {
      if (problems.foreign.length === 0) return;
      ctx.report({
        reason: "foreign-cookie",
        session: session.name,
        detail: `ignored cookies satchel did not write: ${problems.foreign.join(", ")}`,
      });
    },
  };
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
