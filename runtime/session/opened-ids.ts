/**
 * Sealed store-session ids this process opened lately, with their store keys. A store session's token
 * stays the same from request to request (only its record changes), so its AES-GCM open and the
 * SHA-256 of its key — most of a store read's own work — are done once per token instead of on every
 * request. Only tokens that opened are kept: what they open to depends on nothing but the token and
 * the runtime's secrets, and each runtime has its own entries. Expiry is checked again on every use.
 * Bounded; the oldest go first.
 * @internal not part of the public API; import from "satchel" instead.
 */
import type { UnsealResult } from "../crypto/seal.ts";

/** A token that opened. */
export type OpenedId = Extract<UnsealResult, { ok: true }>;

/** What a token opened to, and the store key of that id (`ok`: as a successful open returns it). */
export interface KnownId {
  ok: true;
  unsealed: OpenedId;
  key: string;
}

/** Entries kept per runtime (about 500 bytes each, token and key included: 2 MB at most). */
const MAX_ENTRIES = 4096;

/** Per runtime (its secrets): session name → token → what it opened to. */
const openedByRuntime = new WeakMap<object, Map<string, Map<string, KnownId>>>();

/** What `token` of `session` opened to, when it opened lately and has not expired at `nowMs`. */
export function openedBefore(
  runtime: object,
  session: string,
  token: string,
  nowMs: number,
): KnownId | undefined {
  const known = openedByRuntime.get(runtime)?.get(session)?.get(token);
  if (known === undefined) return undefined;
  const { absoluteExpiresAt, idleExpiresAt } = known.unsealed.times;
  // Expired: opened again the long way, which says so.
  if (nowMs >= absoluteExpiresAt * 1000 || (idleExpiresAt !== null && nowMs >= idleExpiresAt * 1000))
    return undefined;
  return known;
}

/** Keeps what `token` of `session` opened to; the id is copied, so no caller's buffer is shared. */
export function rememberOpened(runtime: object, session: string, token: string, known: KnownId): void {
  let sessions = openedByRuntime.get(runtime);
  if (sessions === undefined) {
    sessions = new Map();
    openedByRuntime.set(runtime, sessions);
  }
  let tokens = sessions.get(session);
  if (tokens === undefined) {
    tokens = new Map();
    sessions.set(session, tokens);
  }
  const unsealed = { ...known.unsealed, plaintext: known.unsealed.plaintext.slice() };
  tokens.set(token, { ok: true, unsealed, key: known.key });
  if (tokens.size > MAX_ENTRIES) {
    const oldest = tokens.keys().next().value;
    if (oldest !== undefined) tokens.delete(oldest);
  }
}
