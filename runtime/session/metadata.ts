/**
 * What a session says about itself, for `handle.$metadata()` and a user's list of sessions: a public
 * id that is safe to log and show (never the bearer token or id), creation, last access and expiry,
 * and the device a store record was made on.
 * @internal not part of the public API; import from "satchel" instead.
 */
import type { RecordInfo } from "../codec/envelope.ts";
import { sha256 } from "../crypto/backend.ts";
import type { SealedLifetime, SealTimes } from "../crypto/seal.ts";
import type { ResolvedSession } from "../define.ts";
import type { SessionLifetime, SessionMetadata } from "../types.ts";
import { hexOf } from "./store-keys.ts";
import { idleLimitOf } from "./token.ts";

/** Longest device description kept in a record. */
const MAX_DEVICE_CHARS = 200;

/** The metadata of a session that is not stored (yet, or any more). */
export function noMetadata(): SessionMetadata {
  return { publicId: null, createdAt: null, lastAccessedAt: null, expiresAt: null, lifetime: null };
}

/** The lifetime `$expire()` chose, else the definition's. */
function lifetimeOf(def: ResolvedSession, chosen: SealedLifetime | undefined): SessionLifetime {
  if (chosen !== undefined) return { ...chosen, chosen: true };
  return {
    absolute: def.expiry.absolute,
    idle: def.expiry.idle,
    persistent: def.cookie.persistent,
    chosen: false,
  };
}

/** A cookie session's metadata: the times sealed in its token, and the token's fingerprint. */
export async function cookieMetadata(
  def: ResolvedSession,
  times: SealTimes,
  token: string,
): Promise<SessionMetadata> {
  const { createdAt, absoluteExpiresAt, idleExpiresAt } = times;
  const idle = idleLimitOf(def, times.lifetime);
  return {
    publicId: await tokenFingerprint(def.name, token),
    createdAt: new Date(createdAt * 1000),
    // The idle expiry is pushed to now + idle on every write or touch: it dates the last one.
    lastAccessedAt: idleExpiresAt === null || idle === null ? null : new Date((idleExpiresAt - idle) * 1000),
    expiresAt: new Date(Math.min(idleExpiresAt ?? absoluteExpiresAt, absoluteExpiresAt) * 1000),
    lifetime: lifetimeOf(def, times.lifetime),
  };
}

/**
 * A store session's metadata: creation from its record (else from its sealed id, for a record written
 * before satchel recorded it), last access, the record's expiry (epoch ms), and the public id of its key.
 */
export async function storeMetadata(
  def: ResolvedSession,
  key: string,
  info: RecordInfo | undefined,
  times: SealTimes | null,
  expiresAt: number,
): Promise<SessionMetadata> {
  const createdAt = info?.createdAt ?? (times === null ? null : times.createdAt * 1000);
  const chosen = times?.lifetime ?? info?.lifetime;
  const lastAccess = lastAccessOf(info, expiresAt, idleLimitOf(def, chosen));
  return {
    publicId: await publicIdOf(key),
    createdAt: createdAt === null ? null : new Date(createdAt),
    lastAccessedAt: lastAccess === null ? null : new Date(lastAccess),
    expiresAt: new Date(expiresAt),
    lifetime: lifetimeOf(def, chosen),
  };
}

/**
 * The public id of a cookie session: a truncated SHA-256 of its current token. Safe to log (it cannot
 * be turned back into the token or presented as one); it changes whenever the cookie is rewritten.
 */
async function tokenFingerprint(session: string, token: string): Promise<string> {
  const digest = await sha256(new TextEncoder().encode(`satchel-cookie-id:${session}:${token}`));
  return hexOf(digest.subarray(0, 16));
}

/**
 * The public id of a stored session: safe to log and to show in a "your sessions" list. A hash of the
 * store key (itself a hash of the id), so it can neither be turned back into the bearer id nor be
 * presented as one.
 */
export async function publicIdOf(key: string): Promise<string> {
  const result = sha256(new TextEncoder().encode(`satchel-public-id:${key}`));
  const digest = result instanceof Uint8Array ? result : await result;
  return hexOf(digest.subarray(0, 16));
}

/** Last access of a record: the later of its last write and its last idle-window touch (epoch ms). */
export function lastAccessOf(
  info: RecordInfo | undefined,
  expiresAt: number,
  idleSeconds: number | null,
): number | null {
  const touched = idleSeconds === null ? null : expiresAt - idleSeconds * 1000;
  const written = info?.updatedAt ?? null;
  if (touched === null) return written;
  return written === null ? touched : Math.max(written, touched);
}

/** The device a new record is made on, as the app's `describeDevice` says; cut to 200 characters. */
export function deviceOf(
  describe: ((headers: Headers) => string | undefined) | undefined,
  headers: Headers | undefined,
): string | undefined {
  if (describe === undefined || headers === undefined) return undefined;
  const text = describe(headers);
  return text === undefined || text === "" ? undefined : text.slice(0, MAX_DEVICE_CHARS);
}
