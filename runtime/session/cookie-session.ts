/**
 * Cookie sessions: the whole envelope is sealed into the cookie. Last write wins by nature (two
 * concurrent requests each send back their own cookie); use a store session when that matters.
 * @internal not part of the public API; import from "satchel" instead.
 */

import {
  packForCookie,
  packForCookieSync,
  unpackFromCookie,
  unpackFromCookieSync,
} from "../codec/compress.ts";
import { type ReadEnvelope, type SessionCodec, UnknownLayoutError } from "../codec/session-codec.ts";
import type { Sealer, SealTimes } from "../crypto/seal.ts";
import type { ResolvedSession } from "../define.ts";
import type { ExpireOptions } from "../expiry-limit.ts";
import type { SessionMetadata } from "../types.ts";
import { type SessionContext, SessionCore, validateForSave, validateOnRead } from "./core.ts";
import { type ImportedSession, importOldSession } from "./import-step.ts";
import { cookieMetadata, noMetadata } from "./metadata.ts";
import { migrateData } from "./migrate.ts";
import type { RequestIO, SatchelRuntime } from "./request-sessions.ts";
import {
  clearSentSessionCookie,
  cookieAttributes,
  deletesNothing,
  expireTimes,
  newBinding,
  type OpenedToken,
  openSessionToken,
  readSessionCookie,
  type SessionCookieRead,
  sealTimesFor,
  touchIsDue,
  writeSessionCookie,
} from "./token.ts";

/**
 * What a write packs its text into before sealing (see `CookieSession.write`): a cookie's worth;
 * a longer text gets an array of its own.
 */
const PACK_SCRATCH = new Uint8Array(4096);

/** A token that opened: what the steps of a read after unsealing share. */
type Opened = Extract<OpenedToken, { ok: true }>;

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
  /** The session's codec (format 4 or 3 through its generated codec or a recorded layout, else format 2). */
  private readonly codec: SessionCodec;
  /** The request sent both forms of the cookie: an unusable one is left as it is. */
  private keepUnusable = false;
  /** Data imported from the old library's cookie (`importFrom`): its cleanup runs after a write. */
  private imported: ImportedSession | null = null;

  constructor(
    def: ResolvedSession,
    ctx: SessionContext,
    private readonly runtime: SatchelRuntime,
    private readonly io: RequestIO,
  ) {
    super(def, ctx);
    // Resolved on the session's first use in the request (a stale generated codec warns then),
    // even when nothing is decoded or encoded.
    this.codec = runtime.codec(def);
  }

  /**
   * Reads the request's cookie: `undefined` when that finished synchronously, as the common read (a
   * token this build sealed, opened, unpacked and decoded at once) and a fresh session do; a promise
   * where a step waits (importFrom, an async unseal or inflate, a layout looked up, migrations).
   */
  load(): Promise<void> | undefined {
    const cookie = readSessionCookie(this.def, this.io, this.ctx);
    const token = cookie.token;
    if (token === undefined || token === "") {
      if (cookie.failure !== null) return this.invalid(...cookie.failure);
      if (this.def.importFrom !== undefined) return this.loadImported(cookie);
      this.startFresh(null);
      cookie.reportForeign();
      return undefined;
    }
    this.hadCookie = true;
    // Both forms sent (one planted): an unusable cookie is not cleared on this request.
    this.keepUnusable = deletesNothing(cookie);
    const opening = openSessionToken(this.runtime, this.def, this.ctx, token, cookie);
    if (opening instanceof Promise) return opening.then((opened) => this.readOpened(opened, cookie));
    return this.readOpened(opening, cookie);
  }

  /** A request without this session's cookie, whose schema imports the old library's session. */
  private async loadImported(cookie: SessionCookieRead): Promise<void> {
    const imported = await importOldSession(this.def, this.io, this.ctx);
    if (imported === null) this.startFresh(null);
    else this.startImported(imported.data);
    this.imported = imported;
    cookie.reportForeign();
  }

  /** The token unsealed: its text unpacked, then read; a promise only when unpacking needs the stream inflater. */
  private readOpened(opened: OpenedToken, cookie: SessionCookieRead): Promise<void> | undefined {
    if (!opened.ok) return this.invalid(opened.reason, opened.detail);
    let text: string | null;
    try {
      text = unpackFromCookieSync(opened.unsealed.plaintext);
    } catch {
      return this.invalid("malformed", "the sealed envelope could not be decoded");
    }
    return text === null ? this.unpackLater(opened, cookie) : this.readText(opened, cookie, text);
  }

  /** `readOpened` for a deflated token where node:zlib is missing. */
  private async unpackLater(opened: Opened, cookie: SessionCookieRead): Promise<void> {
    let text: string;
    try {
      text = await unpackFromCookie(opened.unsealed.plaintext);
    } catch {
      this.invalid("malformed", "the sealed envelope could not be decoded");
      return;
    }
    await this.readText(opened, cookie, text);
  }

  /** The unpacked text decoded; a promise only for a layout this build does not know. */
  private readText(opened: Opened, cookie: SessionCookieRead, text: string): Promise<void> | undefined {
    let decoded: ReadEnvelope;
    try {
      decoded = this.codec.decode(text, true);
    } catch (error) {
      if (error instanceof UnknownLayoutError) return this.readUnknownLayout(opened, cookie, text, error);
      return this.invalid("malformed", decodeFailure(error));
    }
    return this.readDecoded(opened, cookie, text, decoded);
  }

  /**
   * A layout this build does not know may be recorded in the store (session/layout-history.ts); a
   * store that cannot be reached rejects the load (503) and leaves the cookie as it is.
   */
  private async readUnknownLayout(
    opened: Opened,
    cookie: SessionCookieRead,
    text: string,
    unknown: UnknownLayoutError,
  ): Promise<void> {
    if (!(await this.runtime.findLayout(this.def, unknown.layout))) {
      this.invalid("malformed", unknown.detail);
      return;
    }
    let decoded: ReadEnvelope;
    try {
      decoded = this.codec.decode(text, true);
    } catch (again) {
      this.invalid("malformed", decodeFailure(again));
      return;
    }
    await this.readDecoded(opened, cookie, text, decoded);
  }

  /**
   * Data this schema version wrote (authenticated, structure checked by the codec) is final, at once;
   * other data (older versions, other checks, older layouts or token formats) runs migrations and zod.
   */
  private readDecoded(
    opened: Opened,
    cookie: SessionCookieRead,
    text: string,
    decoded: ReadEnvelope,
  ): Promise<void> | undefined {
    if (!decoded.trusted) return this.migrateLater(opened, cookie, text, decoded);
    this.accept(opened, cookie, text, decoded, decoded.envelope.data as Record<string, unknown>, false);
    return undefined;
  }

  /** `readDecoded` for data that must be migrated or validated. */
  private async migrateLater(
    opened: Opened,
    cookie: SessionCookieRead,
    text: string,
    decoded: ReadEnvelope,
  ): Promise<void> {
    const { envelope } = decoded;
    const migrated = await migrateData(this.def, envelope.version, envelope.data, (data) =>
      validateOnRead(this.def, data),
    );
    if (migrated.ok) this.accept(opened, cookie, text, decoded, migrated.data, migrated.migrated);
    // A newer deploy's cookie is left alone, so rolling back and forth does not log anyone out.
    else this.invalid(migrated.reason, migrated.detail, migrated.reason !== "newer-version");
  }

  /** The session as the request's token holds it, with `data` final. */
  private accept(
    opened: Opened,
    cookie: SessionCookieRead,
    text: string,
    decoded: ReadEnvelope,
    data: Record<string, unknown>,
    migrated: boolean,
  ): void {
    const { envelope } = decoded;
    const { unsealed } = opened;
    this.data = data;
    this.flash.load(envelope.flash);
    this.messages.load(envelope.messages);
    this.times = unsealed.times;
    this.token = opened.token;
    this.isNew = false;
    // The text just unsealed is the snapshot when it is what encoding this state gives: no second encode.
    this.markSaved(decoded.canonical ? text : undefined);
    cookie.reportForeign();
    // Upgraded data, tokens of an old secret and a cookie under the pre-__Host- name are written
    // back on this request's commit. (A token from before sessions had a random binding gets one on
    // its next write, not now: reading stays free of writes.)
    this.mustWrite = migrated || unsealed.staleKey || cookie.moved;
  }

  /**
   * Cookie sessions persist in their session's codec, positional (format 4 or 3) or keyed (format 2);
   * change detection compares its snapshot text, which any state of the data has.
   */
  protected override serialized(): string {
    return this.codec.snapshot(this.envelope());
  }

  /** Starts fresh after an unusable cookie; `undefined`, so a step of `load` can return it. */
  private invalid(
    reason: Parameters<SessionCore["startFresh"]>[0],
    detail?: string,
    clear = true,
  ): undefined {
    this.startFresh(reason, detail);
    this.clearInvalid = clear && !this.keepUnusable;
    return undefined;
  }

  async save(): Promise<void> {
    this.assertWritable("save()");
    await this.write();
  }

  /** Validates the data and encodes the envelope: the text a write seals. */
  private encodeValidated(): string {
    this.data = validateForSave(this.def, this.data, this.codec.accepts);
    return this.codec.encode(this.envelope());
  }

  /**
   * Seals and writes the session: done when it returns `undefined` (packed and sealed synchronously,
   * no import to finish), else when the promise settles. A commit that writes then waits for no
   * promise of its own; a failure before sealing throws, and the callers (commit, the async methods)
   * turn it into a rejection as before.
   * @param encoded the validated state's text when commit already made it to see whether it changed:
   *   encoded once, compared, and sealed.
   */
  private write(encoded?: string): Promise<void> | undefined {
    const text = encoded ?? this.encodeValidated();
    const now = this.ctx.now();
    const times = sealTimesFor(this.def, now, this.times, true);
    // Drawn once per session (again on regenerate()): what tells two sessions apart for CSRF.
    times.binding ??= newBinding();
    // Packed and sealed without waiting for a microtask where that can be done synchronously.
    const sealer = this.runtime.sealer();
    if (sealer instanceof Promise) return this.writeLater(text, now, times, sealer);
    // Packed into memory every write reuses: the sealer has copied the bytes when seal() returns.
    const plaintext = packForCookieSync(text, { scratch: PACK_SCRATCH });
    if (plaintext === null) return this.writeLater(text, now, times, sealer);
    const sealing = sealer.seal(this.def.name, plaintext, times);
    if (typeof sealing !== "string") return sealing.then((token) => this.written(text, now, times, token));
    return this.written(text, now, times, sealing);
  }

  /** `write` once the sealer or packing needs a promise. */
  private async writeLater(
    text: string,
    now: number,
    times: SealTimes,
    made: Sealer | Promise<Sealer>,
  ): Promise<void> {
    const sealer = await made;
    const plaintext = await packForCookie(text);
    await this.written(text, now, times, await sealer.seal(this.def.name, plaintext, times));
  }

  /** The cookie of a sealed `token` written and the state recorded as saved. */
  private written(text: string, now: number, times: SealTimes, token: string): Promise<void> | undefined {
    writeSessionCookie(
      this.def,
      this.io,
      token,
      cookieAttributes(
        this.def,
        this.io,
        now,
        times.idleExpiresAt ?? times.absoluteExpiresAt,
        times.lifetime,
      ),
    );
    this.times = times;
    this.token = token;
    this.hadCookie = true;
    this.clearInvalid = false;
    this.touchRequested = false;
    this.markSaved(text);
    return this.imported === null ? undefined : this.imported.finish();
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
      writeSessionCookie(this.def, this.io, null, cookieAttributes(this.def, this.io, this.ctx.now(), null));
    this.hadCookie = false;
    // Signing out ends the imported old session too, or the next request would import it again.
    if (this.imported !== null) await this.imported.finish();
  }

  /**
   * The text to seal when the state changed since it was loaded or saved, else `null`; nothing is
   * encoded when nothing was changed or handed out. A change made only through handed-out objects is
   * found by comparing snapshot texts first (no zod for a request that only looked at them); a
   * setter's change is validated and encoded once, and that text is both compared and sealed.
   */
  private changedText(): string | null {
    if (!this.mayHaveChanged()) return null;
    if (this.onlyHandedOut() && !this.changed()) return null;
    let text: string;
    try {
      text = this.encodeValidated();
    } catch (error) {
      // Data that does not validate but is what was loaded (a fresh session missing required
      // fields, only looked at) is not written, as nothing changed; a real change fails as save() does.
      if (!this.changed()) return null;
      throw error;
    }
    return text === this.snapshot ? null : text;
  }

  /**
   * Back to the token as the request sent it or this request last wrote it: the snapshot text of
   * that state, decoded. Untouched (nothing changed or handed out), the state is that one already.
   */
  async reload(): Promise<void> {
    this.assertNotDestroyed("reload()");
    if (!this.mayHaveChanged()) return;
    const saved = this.snapshot;
    if (saved === undefined) {
      // Nothing stored to go back to: a fresh session that was written to.
      this.startFresh(null);
      return;
    }
    // Text this process encoded from validated data: its structure is all that needs checking.
    const { envelope } = this.codec.decode(saved, true);
    this.data = envelope.data as Record<string, unknown>;
    this.flash.load(envelope.flash);
    this.messages.load(envelope.messages);
    this.markSaved(saved);
  }

  async metadata(): Promise<SessionMetadata> {
    if (this.destroyed || this.times === null || this.token === null) return noMetadata();
    return cookieMetadata(this.def, this.times, this.token);
  }

  async regenerate(): Promise<void> {
    this.assertWritable("regenerate()");
    // A new createdAt and binding give a new token; the absolute limit restarts from now, for the
    // lifetime $expire() chose if it did.
    this.times = sealTimesFor(this.def, this.ctx.now(), null, true, this.times?.lifetime);
    await this.write();
  }

  async expire(options: ExpireOptions): Promise<void> {
    this.assertWritable("$expire()");
    this.times = expireTimes(this.def, this.ctx.now(), this.times, true, options);
    this.mustWrite = true;
  }

  commit(): Promise<void> | undefined {
    if (this.destroyed) return undefined;
    try {
      const now = this.ctx.now();
      const due =
        this.times !== null &&
        this.times.idleExpiresAt !== null &&
        touchIsDue(
          this.def,
          now,
          this.times.idleExpiresAt * 1000,
          this.times.absoluteExpiresAt * 1000,
          this.times.lifetime,
        );
      if (this.mustWrite || due || (this.touchRequested && this.times !== null)) return this.write();
      const text = this.changedText();
      if (text !== null) return this.write(text);
      if (this.clearInvalid && this.hadCookie) {
        clearSentSessionCookie(this.def, this.io, cookieAttributes(this.def, this.io, now, null));
        this.clearInvalid = false;
        this.hadCookie = false;
      }
      return undefined;
    } catch (error) {
      // A change that does not validate fails the commit as a rejection, as before.
      return Promise.reject(error);
    }
  }
}

/** What the onInvalid report says of a token that could not be decoded. */
function decodeFailure(error: unknown): string {
  return error instanceof UnknownLayoutError ? error.detail : "the sealed envelope could not be decoded";
}
