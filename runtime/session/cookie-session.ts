/**
 * Cookie sessions: the whole envelope is sealed into the cookie. Last write wins by nature (two
 * concurrent requests each send back their own cookie); use a store session when that matters.
 * @internal not part of the public API; import from "satchel" instead.
 */

import { packForCookie, unpackFromCookie } from "../codec/compress.ts";
import { type ReadEnvelope, UnknownLayoutError } from "../codec/keyed-format.ts";
import type { SealTimes } from "../crypto/seal.ts";
import type { ResolvedSession } from "../define.ts";
import type { SessionMetadata } from "../types.ts";
import { type SessionContext, SessionCore, validateForSave, validateOnRead } from "./core.ts";
import { type ImportedSession, importOldSession } from "./import-step.ts";
import { cookieMetadata, noMetadata } from "./metadata.ts";
import { migrateData } from "./migrate.ts";
import type { RequestIO, SatchelRuntime } from "./request-sessions.ts";
import {
  cookieAttributes,
  readSessionCookie,
  sealTimesFor,
  touchIsDue,
  whyUnsealFailed,
  writeSessionCookie,
} from "./token.ts";

/** A session whose data is sealed in its cookie. */
export class CookieSession extends SessionCore {
  /** Sealed times of the current token; `null` until one exists. */
  private times: SealTimes | null = null;
  /** The current token (as received or last written): what the public id fingerprints. */
  private token: string | null = null;
  /** A cookie (valid or not) came with the request, so destroy/cleanup must clear it. */
  private hadCookie = false;
  /** The incoming cookie was unusable: clear it at commit unless a new one is written. */
  private clearInvalid = false;
  /** Data imported from the old library's cookie (`importFrom`): its cleanup runs after a write. */
  private imported: ImportedSession | null = null;

  constructor(
    def: ResolvedSession,
    ctx: SessionContext,
    private readonly runtime: SatchelRuntime,
    private readonly io: RequestIO,
  ) {
    super(def, ctx);
  }

  async load(): Promise<void> {
    const cookie = readSessionCookie(this.def, this.io, this.ctx);
    const token = cookie.token;
    if (token === undefined || token === "") {
      if (cookie.failure !== null) return this.invalid(...cookie.failure);
      // Sessions without importFrom skip the step without an await: fresh sessions are the hot path.
      const imported =
        this.def.importFrom === undefined ? null : await importOldSession(this.def, this.io, this.ctx);
      if (imported === null) this.startFresh(null);
      else this.startImported(imported.data);
      this.imported = imported;
      cookie.reportForeign();
      return;
    }
    this.hadCookie = true;
    const sealer = await this.runtime.sealer();
    const unsealed = await sealer.unseal(this.def.name, token, this.ctx.now());
    if (!unsealed.ok)
      return this.invalid(await whyUnsealFailed(this.runtime, this.def, token, unsealed.reason));
    let text: string;
    let decoded: ReadEnvelope;
    try {
      text = await unpackFromCookie(unsealed.plaintext);
      decoded = this.runtime.codec(this.def).decode(text, true);
    } catch (error) {
      return this.invalid(
        "malformed",
        error instanceof UnknownLayoutError ? error.detail : "the sealed envelope could not be decoded",
      );
    }
    const envelope = decoded.envelope;
    // Data this schema version wrote (authenticated, structure checked by the codec) is final; other
    // data (older versions, other checks, older layouts or token formats) runs migrations and zod.
    const migrated = decoded.trusted
      ? { ok: true as const, data: envelope.data as Record<string, unknown>, migrated: false }
      : await migrateData(this.def, envelope.version, envelope.data, (data) =>
          validateOnRead(this.def, data),
        );
    if (!migrated.ok) {
      // A newer deploy's cookie is left alone, so rolling back and forth does not log anyone out.
      return this.invalid(migrated.reason, migrated.detail, migrated.reason !== "newer-version");
    }
    this.data = migrated.data;
    this.flash.load(envelope.flash);
    this.messages.load(envelope.messages);
    this.times = unsealed.times;
    this.token = token;
    this.isNew = false;
    // The text just unsealed is the snapshot when it is what encoding this state gives: no second encode.
    this.markSaved(decoded.canonical ? text : undefined);
    cookie.reportForeign();
    // Upgraded data, tokens of an old secret and a cookie under the pre-__Host- name are written
    // back on this request's commit.
    this.mustWrite = migrated.migrated || unsealed.staleKey || cookie.moved;
  }

  /**
   * Cookie sessions persist in their session's codec, generated (format 3) or runtime (format 2);
   * change detection compares its snapshot text, which any state of the data has.
   */
  protected override serialized(): string {
    return this.runtime.codec(this.def).snapshot(this.envelope());
  }

  private invalid(reason: Parameters<SessionCore["startFresh"]>[0], detail?: string, clear = true): void {
    this.startFresh(reason, detail);
    this.clearInvalid = clear;
  }

  async save(): Promise<void> {
    this.assertWritable("save()");
    await this.write();
  }

  private async write(): Promise<void> {
    this.data = validateForSave(this.def, this.data);
    const now = this.ctx.now();
    const times = sealTimesFor(this.def, now, this.times, true);
    const text = this.runtime.codec(this.def).encode(this.envelope());
    const plaintext = await packForCookie(text);
    const sealer = await this.runtime.sealer();
    const token = await sealer.seal(this.def.name, plaintext, times);
    writeSessionCookie(
      this.def,
      this.io,
      token,
      cookieAttributes(this.def, now, times.idleExpiresAt ?? times.absoluteExpiresAt),
    );
    this.times = times;
    this.token = token;
    this.hadCookie = true;
    this.clearInvalid = false;
    this.markSaved(text);
    if (this.imported !== null) await this.imported.finish();
  }

  async update(fn: (data: Record<string, unknown>) => unknown): Promise<void> {
    this.assertWritable("update()");
    this.data = await this.applyUpdate(this.data, fn);
    await this.write();
  }

  async destroy(): Promise<void> {
    this.assertWritable("destroy()");
    this.flash.clear();
    this.messages.clear();
    this.destroyed = true;
    if (this.hadCookie)
      writeSessionCookie(this.def, this.io, null, cookieAttributes(this.def, this.ctx.now(), null));
    this.hadCookie = false;
    // Signing out ends the imported old session too, or the next request would import it again.
    if (this.imported !== null) await this.imported.finish();
  }

  async metadata(): Promise<SessionMetadata> {
    if (this.destroyed || this.times === null || this.token === null) return noMetadata();
    return cookieMetadata(this.def, this.times, this.token);
  }

  async regenerate(): Promise<void> {
    this.assertWritable("regenerate()");
    // A new createdAt gives a new token (and IV); the absolute limit restarts from now.
    this.times = null;
    await this.write();
  }

  async commit(): Promise<void> {
    if (this.destroyed) return;
    const now = this.ctx.now();
    const due =
      this.times !== null &&
      this.times.idleExpiresAt !== null &&
      touchIsDue(this.def, now, this.times.idleExpiresAt * 1000, this.times.absoluteExpiresAt * 1000);
    if (this.mustWrite || due || this.changed()) {
      await this.write();
    } else if (this.clearInvalid && this.hadCookie) {
      writeSessionCookie(this.def, this.io, null, cookieAttributes(this.def, now, null));
      this.clearInvalid = false;
      this.hadCookie = false;
    }
  }
}
