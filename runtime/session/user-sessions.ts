/**
 * A user's store sessions one by one: list them with what a "your devices" page shows, revoke one,
 * or all of them (optionally but the current one). Works on any store with `keysForUser`.
 * @internal not part of the public API; import from "satchel" instead.
 */
import { decodeRecordEnvelope } from "../codec/envelope.ts";
import type { ResolvedSession } from "../define.ts";
import { SatchelConfigError } from "../errors.ts";
import type { SessionStore } from "../stores/types.ts";
import { lastAccessOf, publicIdOf } from "./metadata.ts";
import { idleLimitOf } from "./token.ts";

/** One live session of a user, as `satchel.listUserSessions()` returns it. Safe to show and log. */
export interface UserSessionInfo {
  /** The session name (`"auth"`). */
  session: string;
  /** Public id: a hash of the store key, never the bearer id. Give it to `revokeSession()`. */
  publicId: string;
  /** When the session was created; `null` for a record written before satchel recorded it. */
  createdAt: Date | null;
  /** The last request that wrote or touched it (as precise as `touchAfter`); `null` when unknown. */
  lastAccessedAt: Date | null;
  /** When it expires unless used again. */
  expiresAt: Date;
  /** The device description recorded when it was created (see `describeDevice`), if any. */
  device?: string;
}

/** Listing rounds of a revocation; each deletes what the previous one missed. */
const REVOKE_ROUNDS = 5;

function listingStore(
  store: SessionStore,
  what: string,
): SessionStore & Required<Pick<SessionStore, "keysForUser">> {
  if (store.keysForUser === undefined) {
    throw new SatchelConfigError(
      `satchel: the "${store.name}" store cannot list a user's sessions, so ${what} is unavailable; ` +
        "use a store that can (memory, file, redis, postgres).",
    );
  }
  return store as SessionStore & Required<Pick<SessionStore, "keysForUser">>;
}

/** The live keys of `userId` in `def`'s session. */
async function keysOf(
  store: SessionStore,
  def: ResolvedSession,
  userId: string,
  what: string,
): Promise<string[]> {
  const prefix = `${def.name}:`;
  return (await listingStore(store, what).keysForUser(userId)).filter((key) => key.startsWith(prefix));
}

export async function listUserSessions(
  store: SessionStore,
  def: ResolvedSession,
  userId: string,
): Promise<UserSessionInfo[]> {
  const keys = await keysOf(store, def, userId, "listUserSessions()");
  const records = await Promise.all(keys.map((key) => store.get(key)));
  const list: UserSessionInfo[] = [];
  for (const [i, key] of keys.entries()) {
    const record = records[i];
    if (record === null || record === undefined) continue; // ended between the listing and the read
    let info: ReturnType<typeof decodeRecordEnvelope>["info"];
    try {
      info = decodeRecordEnvelope(record.value).info;
    } catch {
      info = undefined; // unreadable records are still listed (and revocable), without details
    }
    const lastAccess = lastAccessOf(info, record.expiresAt, idleLimitOf(def, info?.lifetime));
    const entry: UserSessionInfo = {
      session: def.name,
      publicId: await publicIdOf(key),
      createdAt: info === undefined ? null : new Date(info.createdAt),
      lastAccessedAt: lastAccess === null ? null : new Date(lastAccess),
      expiresAt: new Date(record.expiresAt),
    };
    if (info?.device !== undefined) entry.device = info.device;
    list.push(entry);
  }
  // Most recently used first, as a "your devices" page shows them.
  return list.sort((a, b) => (b.lastAccessedAt?.getTime() ?? 0) - (a.lastAccessedAt?.getTime() ?? 0));
}

/**
 * Deletes the user's sessions whose public id `select` accepts. Lists again until a round finds
 * nothing more to delete: a regenerate() racing this call may create its new record after a listing.
 */
export async function revokeUserSessions(
  store: SessionStore,
  def: ResolvedSession,
  userId: string,
  select: (publicId: string) => boolean,
  what: string,
): Promise<number> {
  const deleted = new Set<string>();
  for (let round = 0; round < REVOKE_ROUNDS; round++) {
    const keys = await keysOf(store, def, userId, what);
    let deletedThisRound = 0;
    for (const key of keys) {
      if (deleted.has(key) || !select(await publicIdOf(key))) continue;
      await store.delete(key);
      deleted.add(key);
      deletedThisRound++;
    }
    if (deletedThisRound === 0) break;
  }
  return deleted.size;
}
