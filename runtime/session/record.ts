/**
 * A store session's record: its envelope (data, flash, messages) and what it says about itself, as
 * superjson text, and the expiry and user the store is told with each write. Records are not
 * authenticated, so reading one always runs zod, after migrations when it is older.
 * @internal not part of the public API; import from "satchel" instead.
 */
import {
  decodeRecordEnvelope,
  type Envelope,
  encodeEnvelopeWithInfo,
  type RecordInfo,
} from "../codec/envelope.ts";
import { validateForRead } from "../codec/validate.ts";
import type { SealTimes } from "../crypto/seal.ts";
import type { ResolvedSession } from "../define.ts";
import { SessionValidationError } from "../errors.ts";
import type { WriteOptions } from "../stores/types.ts";
import type { InvalidReason } from "../types.ts";
import { type PersistedEnvelope, validateOnRead } from "./core.ts";
import { migrateData } from "./migrate.ts";
import { idleLimitOf } from "./token.ts";

/** A record read back: the envelope of the running version, or why it cannot be used. */
type LoadedRecord =
  | { ok: true; envelope: PersistedEnvelope; migrated: boolean; info: RecordInfo | undefined }
  | { ok: false; reason: InvalidReason; detail: string };

/** The text stored for `envelope`, with `info`: superjson text of the envelope, info last. */
export function encodeRecord(envelope: PersistedEnvelope, info: RecordInfo): string {
  return encodeEnvelopeWithInfo(envelope, info);
}

/**
 * A stored record → the envelope of this version. Full zod always runs, after migrations when the
 * record is older. Synchronous for a record of the running version.
 */
export function decodeRecord(def: ResolvedSession, value: string): LoadedRecord | Promise<LoadedRecord> {
  let envelope: Envelope;
  try {
    envelope = decodeRecordEnvelope(value);
  } catch {
    return { ok: false, reason: "malformed", detail: "the stored envelope could not be decoded" };
  }
  if (envelope.version === def.version) {
    // What migrateData does for the running version (no migration, zod, "schema-mismatch"),
    // without its promises.
    const checked = validateForRead(def.schema, envelope.data);
    if (!checked.ok) return { ok: false, reason: "schema-mismatch", detail: checked.detail };
    return loaded(def, envelope, checked.data as Record<string, unknown>, false);
  }
  return migrateData(def, envelope.version, envelope.data, (data) => validateOnRead(def, data)).then(
    (migrated) => (migrated.ok ? loaded(def, envelope, migrated.data, migrated.migrated) : migrated),
  );
}

function loaded(
  def: ResolvedSession,
  envelope: Envelope,
  data: Record<string, unknown>,
  migrated: boolean,
): LoadedRecord {
  const result: PersistedEnvelope = { version: def.version, data };
  if (envelope.flash !== undefined) result.flash = envelope.flash as Record<string, unknown[]>;
  if (envelope.messages !== undefined)
    result.messages = envelope.messages as PersistedEnvelope["messages"] & {};
  return { ok: true, envelope: result, migrated, info: envelope.info };
}

/**
 * Expiry and user of a record about to be written with `data` at `nowMs`: the idle window from now,
 * capped by the absolute limit of `times`; the user from the session's `userField`.
 */
export function recordWriteOptions(
  def: ResolvedSession,
  data: Record<string, unknown>,
  nowMs: number,
  times: SealTimes,
): WriteOptions {
  const absoluteEndsAt = times.absoluteExpiresAt * 1000;
  const idle = idleLimitOf(def, times.lifetime);
  const expiresAt = idle === null ? absoluteEndsAt : Math.min(absoluteEndsAt, nowMs + idle * 1000);
  const options: WriteOptions = { expiresAt };
  const field = def.userField;
  const user = field === undefined ? undefined : data[field];
  if (user !== undefined && user !== null) {
    const userId = String(user);
    // Postgres text cannot hold NUL, and no real user id contains one: refuse it as bad data here,
    // before a store turns it into an outage.
    if (userId.includes("\u0000")) {
      throw new SessionValidationError(def.name, field as string, "contains a NUL character (\\u0000).");
    }
    options.userId = userId;
  }
  return options;
}
