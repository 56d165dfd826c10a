/**
 * Store sessions: the cookie (or a request header) holds a sealed random id (`store-keys.ts`); the
 * envelope lives in the store under a hash of it (`record.ts`). Records carry a version: `update(fn)`
 * is compare-and-set with retries (`contention.ts`), `save()` merges per top-level key and reports a
 * real conflict (`merge.ts`).
 * @internal not part of the public API; import from "satchel" instead.
 */
import { type RecordInfo, sameRecordEnvelope } from "../codec/envelope.ts";
import { dropsSecureCookie } from "../cookies/transport.ts";
import { selectBackend } from "../crypto/backend.ts";
import type { SealTimes } from "../crypto/seal.ts";
import type { ResolvedSession } from "../define.ts";
import {
  SatchelError,
  SessionEndedError,
  SessionStateError,
  SessionStoreUnavailableError,
} from "../errors.ts";
import type { ExpireOptions } from "../expiry-limit.ts";
import type { SessionStore, WriteOptions } from "../stores/types.ts";
import type { InvalidReason, SessionMetadata } from "../types.ts";
import { backoff, oneAtATime, SAVE_ATTEMPTS, updateMayTry } from "./contention.ts";
import { type PersistedEnvelope, type SessionContext, SessionCore, validateForSave } from "./core.ts";
import { type ImportedSession, importOldSession } from "./import-step.ts";
import { mergeSave, withOwnFlashAndMessages } from "./merge.ts";
import { deviceOf, noMetadata, storeMetadata } from "./metadata.ts";
import { type KnownId, openedBefore, rememberOpened } from "./opened-ids.ts";
import { decodeRecord, encodeRecord, recordWriteOptions } from "./record.ts";
import type { RequestIO, SatchelRuntime } from "./request-sessions.ts";
import { ID_BYTES, newId, storeKeyOf } from "./store-keys.ts";
import {
  clearSentSessionCookie,
  cookieAttributes,
  deletesNothing,
  expireTimes,
  openSessionToken,
  readSessionCookie,
  type SessionCookieRead,
  sealTimesFor,
  touchIsDue,
  writeSessionCookie,
} from "./token.ts";

/** What a store session learns from `satchel.ts`: its own store (per-session or the runtime's) and device hook. */
interface StoreSessionEnv {
  /** The store this session lives in, connected on first use; the store itself once it has opened. */
  store(): SessionStore | Promise<SessionStore>;
  /** Describes the device a new record is made on (e.g. from the user agent); recorded once per id. */
  describeDevice?: ((headers: Headers) => string | undefined) | undefined;
}

/** Sessions already warned about a record not stored (`notStored`), once each per process. */
const warnedNotStored = new WeakSet<ResolvedSession>();

/** A record's text and the info written in it. */
interface RecordText {
  text: string;
  info: RecordInfo;
}

/**
 * The info of a state's snapshot text (`serialized()`): change detection compares records without
 * their info, so any info does, and a fixed one costs no clock, device or times.
 */
const SNAPSHOT_INFO: RecordInfo = { createdAt: 0, updatedAt: 0 };

/** A session whose data lives in a store. */
export class StoreSession extends SessionCore {
  private id: Uint8Array | null = null;
  private key: string | null = null;
  /** Record version as loaded or last written: the compare-and-set expectation. */
  private recordVersion: number | null = null;
  private recordExpiresAt = 0;
  private times: SealTimes | null = null;
  /** The token arrived in the request header: answer in the response header, not a cookie. */
  private viaHeader = false;
  private hadToken = false;
  /** The token must be (re)written: new id, regenerate, or sealed by an old secret. */
  private tokenDue = false;
  private clearInvalid = false;
  /** The request sent both forms of the cookie: an unusable one is left as it is. */
  private keepUnusable = false;
  /** An `update()` of this handle is running. */
  private updating = false;
  /** What the record says about itself (created, last written, device), as loaded or last written. */
  private info: RecordInfo | undefined;
  /** Data imported from the old library's session (`importFrom`): its cleanup runs after a write. */
  private imported: ImportedSession | null = null;
  /**
   * The record text as read from the store, while it is the snapshot: another build may have written
   * it in another frame, so a comparison that finds it different is checked again (`sameState`).
   */
  private asRead: string | undefined;

  constructor(
    def: ResolvedSession,
    ctx: SessionContext,
    private readonly runtime: SatchelRuntime,
    private readonly io: RequestIO,
    private readonly env: StoreSessionEnv = { store: () => runtime.store() },
  ) {
    super(def, ctx);
  }

  private store(): SessionStore | Promise<SessionStore> {
    return this.env.store();
  }

  /** Public id, creation, last access and expiry of the stored session (all null before it is stored). */
  async metadata(): Promise<SessionMetadata> {
    if (this.key === null || this.recordVersion === null) return noMetadata();
    return storeMetadata(this.def, this.key, this.info, this.times, this.recordExpiresAt);
  }

  /** The record text of `envelope`, with its info: creation kept, this write's time, device once per id. */
  private recordText(envelope: PersistedEnvelope): RecordText {
    const now = this.ctx.now();
    const times = this.times ?? sealTimesFor(this.def, now, null, false);
    const info: RecordInfo = { createdAt: times.createdAt * 1000, updatedAt: now };
    const device = this.info?.device ?? deviceOf(this.env.describeDevice, this.io.requestHeaders);
    if (device !== undefined) info.device = device;
    if (times.lifetime !== undefined) info.lifetime = times.lifetime;
    return { text: encodeRecord(envelope, info), info };
  }

  /**
   * Remembers what a successful write stored (`record`, the text of `envelope`). The record now
   * exists, so an unusable cookie that came with the request is no longer to be cleared: the token
   * of the written id replaces it.
   */
  private wrote(envelope: PersistedEnvelope, version: number, expiresAt: number, record: RecordText): void {
    // A write sets the record's expiry from now: a touch() asked for is done.
    this.touchRequested = false;
    this.recordVersion = version;
    this.recordExpiresAt = expiresAt;
    this.info = record.info;
    this.adopt(envelope, record.text);
    this.isNew = false;
    this.mustWrite = false;
    this.clearInvalid = false;
  }

  async load(): Promise<void> {
    const { token, cookie } = this.readToken();
    if (token === undefined || token === "") {
      if (cookie?.failure) return this.invalid(...cookie.failure);
      cookie?.reportForeign();
      // Sessions without importFrom skip the step without an await: fresh sessions are the hot path.
      if (this.def.importFrom !== undefined)
        this.imported = await importOldSession(this.def, this.io, this.ctx);
      return this.imported === null ? this.startFresh(null) : this.startImported(this.imported.data);
    }
    this.hadToken = true;
    // Both forms sent (one planted): an unusable cookie is not cleared on this request.
    this.keepUnusable = deletesNothing(cookie);
    // A token opened lately (the same one comes back on every request of a session) is known
    // without an await; a request that sent both forms of the cookie takes the long way, which
    // decides between them.
    const single = cookie === null || cookie.rival === undefined;
    const known = single ? openedBefore(this.runtime, this.def.name, token, this.ctx.now()) : undefined;
    const opened = known === undefined ? await this.openId(token, cookie, single) : known;
    if (!opened.ok) return this.invalid(opened.reason, opened.detail);
    const { unsealed, key } = opened;
    const found = this.store();
    const store = found instanceof Promise ? await found : found;
    const record = await store.get(key, this.io.storeBudget);
    if (record === null) return this.invalid("missing-record", "no live record for this id");
    const decoded = decodeRecord(this.def, record.value);
    const loaded = decoded instanceof Promise ? await decoded : decoded;
    // Unusable records are never overwritten (a newer deploy may still read them): a new id is used.
    if (!loaded.ok) return this.invalid(loaded.reason, loaded.detail, loaded.reason !== "newer-version");
    this.id = unsealed.plaintext;
    this.key = key;
    this.recordVersion = record.version;
    this.recordExpiresAt = record.expiresAt;
    this.info = loaded.info;
    this.times = unsealed.times;
    // A migrated record's text is not the state's: its snapshot is taken when first needed.
    this.adopt(loaded.envelope, loaded.migrated ? undefined : record.value, true);
    this.isNew = false;
    this.mustWrite = loaded.migrated;
    this.tokenDue = unsealed.staleKey || cookie?.moved === true;
    cookie?.reportForeign();
  }

  /**
   * Opens the sealed id and finds its store key: AES-GCM and SHA-256, done once per token while it
   * is remembered (`opened-ids.ts`; `load` asks there first). `single`: the request sent one form of
   * the cookie, so what it opened to may be remembered.
   */
  private async openId(
    token: string,
    cookie: SessionCookieRead | null,
    single: boolean,
  ): Promise<KnownId | { ok: false; reason: InvalidReason; detail?: string | undefined }> {
    const opened = await openSessionToken(this.runtime, this.def, this.ctx, token, cookie);
    if (!opened.ok) return opened;
    const unsealed = opened.unsealed;
    if (unsealed.plaintext.length !== ID_BYTES)
      return { ok: false, reason: "malformed", detail: "the sealed id has the wrong length" };
    // The key's digest is SHA-256 on any backend: the default one, as assignNewId uses, needs no
    // await of the sealer (openSessionToken has just resolved it).
    const computed = storeKeyOf(this.def.name, unsealed.plaintext, selectBackend());
    const key = typeof computed === "string" ? computed : await computed;
    const known: KnownId = { ok: true, unsealed, key };
    if (single) rememberOpened(this.runtime, this.def.name, token, known);
    return known;
  }

  /**
   * The sealed id this request sent: the session's request header when it has one and it was sent
   * (then the answer goes in the response header), else its cookie.
   */
  private readToken(): { token: string | undefined; cookie: ReturnType<typeof readSessionCookie> | null } {
    const header =
      this.def.header === undefined ? null : (this.io.requestHeaders?.get(this.def.header) ?? null);
    this.viaHeader = header !== null && header !== "";
    if (this.viaHeader) return { token: header as string, cookie: null };
    const cookie = readSessionCookie(this.def, this.io, this.ctx);
    return { token: cookie.token, cookie };
  }

  private invalid(reason: InvalidReason, detail?: string, clear = true): void {
    this.startFresh(reason, detail);
    this.clearInvalid = clear && !this.viaHeader && !this.keepUnusable;
  }

  /**
   * Makes `envelope` the current and the saved state. `text`: the record it was read from (`read`)
   * or written as, which is then the snapshot change detection compares with (no encode to take one).
   */
  private adopt(envelope: PersistedEnvelope, text: string | undefined, read = false): void {
    this.data = envelope.data;
    this.flash.load(envelope.flash);
    this.messages.load(envelope.messages);
    this.markSaved(text);
    this.asRead = read ? text : undefined;
  }

  /**
   * What change detection compares: the record text of the state, its info left out of the
   * comparison (`sameState`). So the record as read or written is the snapshot, and commit encodes
   * the record once: the text it compares is the text it writes (`writeIfChanged`).
   */
  protected override serialized(): string {
    return encodeRecord(this.envelope(), SNAPSHOT_INFO);
  }

  /**
   * Exact, for `changed()` (a request where writes are impossible throws on a change): a record as
   * read that compares different may be in another frame (another build's key order, a field the
   * schema filled in on read), so the state it loaded as is encoded once as this build writes it,
   * and that text is the snapshot from then on. Commit's own comparison (`writeIfChanged`) skips
   * this: there a difference costs a write, once, and a real change no second encode.
   */
  protected override sameState(text: string, saved: string): boolean {
    if (sameRecordEnvelope(text, saved)) return true;
    if (saved !== this.asRead) return false;
    this.asRead = undefined;
    // Of the running version (a migrated record is never kept as read): decoded without a promise.
    const loaded = decodeRecord(this.def, saved);
    if (loaded instanceof Promise || !loaded.ok) return false;
    this.snapshot = encodeRecord(loaded.envelope, SNAPSHOT_INFO);
    return sameRecordEnvelope(text, this.snapshot);
  }

  /** Expiry and user of a record about to be written with `data`. */
  private writeOptions(data: Record<string, unknown>): WriteOptions {
    const now = this.ctx.now();
    return recordWriteOptions(this.def, data, now, this.times ?? sealTimesFor(this.def, now, null, false));
  }

  /** Gives the session a brand-new id (its token is written at the end of the request). */
  private async assignNewId(): Promise<void> {
    const id = newId();
    const computed = storeKeyOf(this.def.name, id, selectBackend());
    const key = typeof computed === "string" ? computed : await computed;
    this.id = id;
    this.key = key;
    this.recordVersion = null;
    // A new id restarts the absolute limit, for the lifetime $expire() chose if it did.
    this.times = sealTimesFor(this.def, this.ctx.now(), null, false, this.times?.lifetime);
    this.tokenDue = true;
  }

  async save(): Promise<void> {
    this.assertWritable("save()");
    await this.write(false);
  }

  /**
   * Validates and writes the session, merged onto what another request wrote meanwhile.
   * `quietEnd`: a session ended meanwhile ends the write without an error (the end-of-request
   * commit: its cookie is already cleared and "ended" reported) instead of `SessionEndedError`.
   * One async function for both callers: a layer more was a promise step more per write.
   * @param encoded the record of the validated state when commit already made it to see whether it
   *   changed (a stored session): the first attempt writes that text.
   */
  private async write(quietEnd: boolean, encoded?: RecordText): Promise<void> {
    try {
      if (encoded === undefined) this.data = this.validated();
      if (this.cookieWouldBeDropped()) return this.notStored();
      if (this.key === null) await this.assignNewId();
      // The store itself once it has opened: no await (and its microtask) for it.
      const found = this.store();
      const store = found instanceof Promise ? await found : found;
      const key = this.key as string;
      const ours = this.envelope();
      let envelope = ours;
      let record = encoded;
      for (let attempt = 0; attempt < SAVE_ATTEMPTS; attempt++) {
        if (await this.tryWrite(store, key, envelope, this.recordVersion, record)) return;
        envelope = await this.merge(store, key, ours);
        record = undefined;
      }
    } catch (error) {
      if (quietEnd && error instanceof SessionEndedError) return;
      throw error;
    }
    throw new SatchelError(
      `satchel: session "${this.def.name}" could not be saved: other requests kept changing it. ` +
        `Use update(fn) for changes made under contention.`,
    );
  }

  /** The data validated for a write (`validateForSave`, with the session's constraint check). */
  private validated(): Record<string, unknown> {
    return validateForSave(this.def, this.data, this.runtime.codec(this.def).accepts);
  }

  /**
   * One compare-and-set of `envelope` (as `record`, encoded now unless given) over the record
   * version `expected` (`null`: create it). True when it was written: the session is then what was
   * stored, and its token is sent when due.
   */
  private async tryWrite(
    store: SessionStore,
    key: string,
    envelope: PersistedEnvelope,
    expected: number | null,
    record: RecordText = this.recordText(envelope),
  ): Promise<boolean> {
    const options = this.writeOptions(envelope.data);
    const version = await store.compareAndSet(key, record.text, expected, options, this.io.storeBudget);
    if (version === null) return false;
    this.wrote(envelope, version, options.expiresAt, record);
    // Most writes have no token to send: no call (and promise step) for them.
    if (this.tokenDue) await this.writeToken();
    if (this.imported !== null) await this.imported.finish();
    return true;
  }

  /** Another request wrote meanwhile: our changed top-level keys applied onto its record. */
  private async merge(store: SessionStore, key: string, ours: PersistedEnvelope): Promise<PersistedEnvelope> {
    const theirs = await this.readAgain(store, key, "not overwriting it");
    const merged = mergeSave(this.def, await this.savedState(), ours, theirs.envelope);
    this.recordVersion = theirs.version;
    return merged;
  }

  /**
   * The record as another request left it (after a lost compare-and-set, or for reload()). Gone: the session ended
   * (`ended()`). Unreadable: an error ending in `refusal`, since writing over it would lose it.
   */
  private async readAgain(
    store: SessionStore,
    key: string,
    refusal: string,
  ): Promise<{
    envelope: PersistedEnvelope;
    /** The record's text: what the envelope was read from. */
    text: string;
    version: number;
    expiresAt: number;
    info: RecordInfo | undefined;
    migrated: boolean;
  }> {
    const record = await store.get(key, this.io.storeBudget);
    // Deleted meanwhile (destroy, revokeUser, regenerate) or expired: never written again.
    if (record === null) return this.ended();
    const loaded = await decodeRecord(this.def, record.value);
    if (!loaded.ok) {
      throw new SatchelError(
        `satchel: session "${this.def.name}" was rewritten by another request into data this code cannot read ` +
          `(${loaded.reason}); ${refusal}.`,
      );
    }
    return {
      envelope: loaded.envelope,
      text: record.value,
      version: record.version,
      expiresAt: record.expiresAt,
      info: loaded.info,
      migrated: loaded.migrated,
    };
  }

  async update(fn: (data: Record<string, unknown>) => unknown): Promise<void> {
    this.assertWritable("update()");
    if (this.cookieWouldBeDropped()) {
      this.data = await this.applyUpdate(this.data, fn);
      return this.notStored();
    }
    if (this.key === null) await this.assignNewId();
    if (this.updating) {
      // It would wait for itself in the per-record queue.
      throw new SessionStateError(
        `satchel: session "${this.def.name}" update() was called inside its own update function; ` +
          `make all changes in one function.`,
      );
    }
    this.updating = true;
    try {
      const store = await this.store();
      const key = this.key as string;
      await oneAtATime(store, key, (waited) => this.updateLoop(store, key, fn, waited));
    } finally {
      this.updating = false;
    }
  }

  private async updateLoop(
    store: SessionStore,
    key: string,
    fn: (data: Record<string, unknown>) => unknown,
    waited: boolean,
  ): Promise<void> {
    // The state before this update: the base when the record is new.
    const mine = this.envelope();
    // A session loaded in this request and not changed since is usually still current: try it first
    // and read the record only after losing a race (saves a round trip in the common case). Not when
    // an update of the same record from this process just ran: then it is surely stale.
    let optimistic = !waited && this.recordVersion !== null && !this.changed();
    let expected = this.recordVersion;
    // The state as loaded, decoded again on the first read of the record (the same for every attempt).
    let saved: Promise<PersistedEnvelope | null> | undefined;
    const started = performance.now();
    let attempt = 0;
    for (; updateMayTry(attempt, started); attempt++) {
      let current: PersistedEnvelope = mine;
      if (expected !== null && !optimistic) {
        const record = await this.readAgain(store, key, "update() is not overwriting it");
        saved ??= this.savedState();
        // Our own unsaved flash/message changes still apply; the data comes fresh from the store.
        current = withOwnFlashAndMessages(this.def, await saved, mine, record.envelope);
        expected = record.version;
      }
      const next: PersistedEnvelope = { ...current, data: await this.applyUpdate(current.data, fn) };
      if (await this.tryWrite(store, key, next, expected)) return;
      // Lost the race: the next attempt reads the record first (a non-null expectation makes it).
      expected ??= 0;
      if (optimistic) optimistic = false;
      else await backoff(attempt);
    }
    throw new SatchelError(
      `satchel: session "${this.def.name}" update() gave up after ${attempt} attempts in ` +
        `${Math.round(performance.now() - started)} ms: other requests ` +
        `kept changing the same session. Retry the request, or make the change smaller.`,
    );
  }

  /**
   * A new record whose only carrier would be a Secure cookie sent over plain http to a host other than
   * localhost: the browser drops that cookie, so the record could never be read again, and every such
   * request (a crawler on http://) would leave one behind.
   */
  private cookieWouldBeDropped(): boolean {
    if (this.viaHeader || this.recordVersion !== null) return false;
    const { secure } = cookieAttributes(this.def, this.io, this.ctx.now(), null);
    return dropsSecureCookie(secure, this.io.transport);
  }

  /** The new session is kept for this request only: not stored, no cookie; warned once per session. */
  private notStored(): void {
    this.markSaved();
    if (warnedNotStored.has(this.def)) return;
    warnedNotStored.add(this.def);
    console.warn(
      `satchel: session "${this.def.name}" was not stored: its cookie is Secure and the request came over plain ` +
        `http, so the browser would drop it. Serve the app over https (or http://localhost), or set ` +
        `cookie: { secure: "auto" } for plain-http development.`,
    );
  }

  /**
   * The record this request loaded (or wrote) is gone: another request ended the session. Its id is
   * never written again — the only write that may create a record is the first one of an id made in
   * this request — so the handle becomes fresh, the cookie is cleared, `onInvalid` hears "ended", and
   * the caller gets `SessionEndedError`.
   */
  private ended(): never {
    this.startFresh("ended", "the session was ended by another request after this request loaded it");
    this.key = null;
    this.id = null;
    this.recordVersion = null;
    this.times = null;
    this.tokenDue = false;
    if (this.hadToken) this.writeTokenValue(null);
    this.clearInvalid = false;
    throw new SessionEndedError(this.def.name);
  }

  async destroy(): Promise<void> {
    this.assertWritable("destroy()");
    if (this.key !== null) await (await this.store()).delete(this.key, this.io.storeBudget);
    this.flash.clear();
    this.messages.clear();
    this.destroyed = true;
    this.key = null;
    this.id = null;
    if (this.hadToken || this.tokenDue) this.writeTokenValue(null);
    this.tokenDue = false;
    // Signing out ends the imported old session too, or the next request would import it again.
    if (this.imported !== null) await this.imported.finish();
  }

  async regenerate(): Promise<void> {
    this.assertWritable("regenerate()");
    const oldKey = this.recordVersion === null ? null : this.key;
    this.data = validateForSave(this.def, this.data);
    const envelope = this.envelope();
    await this.assignNewId();
    const store = await this.store();
    // An ended session is not carried over to a new id. Checked before and after the new record is
    // created: a revokeUser() that listed the user's keys before the new record existed deleted the
    // old one before the second check (and re-lists until nothing is left).
    const budget = this.io.storeBudget;
    const oldIsGone = async () => oldKey !== null && (await store.get(oldKey, budget)) === null;
    if (await oldIsGone()) return this.ended();
    const options = this.writeOptions(envelope.data);
    const newKey = this.key as string;
    const record = this.recordText(envelope);
    const version = await store.compareAndSet(newKey, record.text, null, options, budget);
    if (version === null) throw new SatchelError(`satchel: session "${this.def.name}" id collision; retry.`);
    if (await oldIsGone()) {
      await store.delete(newKey, budget);
      return this.ended();
    }
    // The new record exists before the old one goes, so a failure in between loses nothing.
    if (oldKey !== null) await store.delete(oldKey, budget);
    this.wrote(envelope, version, options.expiresAt, record);
    await this.writeToken();
    if (this.imported !== null) await this.imported.finish();
  }

  /** The record (its expiry and info) and the token (its sealed expiry, the cookie's Max-Age) are written at commit. */
  async expire(options: ExpireOptions): Promise<void> {
    this.assertWritable("$expire()");
    this.times = expireTimes(this.def, this.ctx.now(), this.times, false, options);
    this.mustWrite = true;
    this.tokenDue = true;
  }

  /**
   * Reads the record again, dropping this request's unsaved changes: writes other requests made since
   * show. A session not stored yet goes back to the schema defaults. Another request ended it:
   * `SessionEndedError`, as `update()` does.
   */
  async reload(): Promise<void> {
    this.assertNotDestroyed("reload()");
    if (this.key === null || this.recordVersion === null) {
      this.startFresh(null);
      return;
    }
    const again = await this.readAgain(await this.store(), this.key, "reload() cannot use it");
    this.recordVersion = again.version;
    this.recordExpiresAt = again.expiresAt;
    this.info = again.info;
    this.adopt(again.envelope, again.migrated ? undefined : again.text, true);
    this.mustWrite = again.migrated;
  }

  /** Writes the sealed id: a response header when it came by header, else the cookie. */
  private async writeToken(): Promise<void> {
    if (!this.tokenDue) return;
    this.tokenDue = false;
    const sealer = await this.runtime.sealer();
    const times = this.times ?? sealTimesFor(this.def, this.ctx.now(), null, false);
    const token = await sealer.seal(this.def.name, this.id as Uint8Array, times);
    this.writeTokenValue(token);
  }

  private writeTokenValue(token: string | null): void {
    if (this.viaHeader) {
      this.io.responseHeaders.set(this.def.header as string, token ?? "");
      return;
    }
    const times = this.times;
    const expiresAt = token === null || times === null ? null : times.absoluteExpiresAt;
    writeSessionCookie(
      this.def,
      this.io,
      token,
      cookieAttributes(this.def, this.io, this.ctx.now(), expiresAt, times?.lifetime),
    );
    this.hadToken = token !== null;
  }

  /**
   * Writes, touches or clears what is due. `undefined` when nothing is (a read): the request then
   * waits for no promise. A synchronous failure is returned as a rejection, as from an async function.
   */
  commit(): Promise<void> | undefined {
    if (this.destroyed) return undefined;
    try {
      const now = this.ctx.now();
      // The end-of-request commit (wrappers, the proxy's flash hand-off) does not fail the response
      // of a session that was ended meanwhile. A write sends the token itself when it is due.
      const writing = this.mustWrite ? this.write(true) : this.writeIfChanged();
      if (writing !== undefined) return writing;
      if (this.key !== null && (this.touchDue(now) || (this.touchRequested && this.recordVersion !== null)))
        return this.commitTouch(this.key);
      if (this.clearInvalid && this.hadToken) {
        clearSentSessionCookie(this.def, this.io, cookieAttributes(this.def, this.io, now, null));
        this.hadToken = false;
        this.clearInvalid = false;
      }
      return this.tokenDue && this.recordVersion !== null ? this.writeToken() : undefined;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Commit's write of a changed session; `undefined` when it is unchanged. A stored session's record
   * is validated and encoded once: that text is compared with the record as read or last written,
   * and written. A change made only through handed-out objects is found by comparing first (no zod
   * for a request that only looked at them). A new session (nothing stored) is compared by
   * `changed()`; its write encodes it once the new id (and with it the record's creation time) is drawn.
   */
  private writeIfChanged(): Promise<void> | undefined {
    if (!this.mayHaveChanged()) return undefined;
    if (this.recordVersion === null) return this.changed() ? this.write(true) : undefined;
    const saved = this.snapshot;
    if (saved !== undefined && this.onlyHandedOut() && sameRecordEnvelope(this.serialized(), saved))
      return undefined;
    let record: RecordText;
    try {
      this.data = this.validated();
      record = this.recordText(this.envelope());
    } catch (error) {
      // A change set back to what was loaded is no change, even where the data would not validate.
      if (!this.changed()) return undefined;
      throw error;
    }
    if (saved !== undefined && sameRecordEnvelope(record.text, saved)) return undefined;
    return this.write(true, record);
  }

  /**
   * The state as loaded or last saved, for a merge: its snapshot (the record text as read or
   * written) decoded again, as the load did: conflicts are rare, and keeping the state itself would
   * copy every request's data. `null` when there is nothing to compare with (a new session written
   * to, or its defaults that do not validate): every part of a record found now is then someone
   * else's change.
   */
  private async savedState(): Promise<PersistedEnvelope | null> {
    const text = this.baseline();
    if (text === "") return null;
    const loaded = await decodeRecord(this.def, text);
    return loaded.ok ? loaded.envelope : null;
  }

  /** The commit of an unchanged session due for a rolling touch: the touch, then the token when it is due. */
  private async commitTouch(key: string): Promise<void> {
    await this.touchRecord(key);
    if (this.tokenDue && this.recordVersion !== null) await this.writeToken();
  }

  /** The stored record's rolling idle expiry is due to be pushed forward (see `touchIsDue`). */
  private touchDue(now: number): boolean {
    return (
      this.recordVersion !== null &&
      this.times !== null &&
      touchIsDue(
        this.def,
        now,
        this.recordExpiresAt,
        this.times.absoluteExpiresAt * 1000,
        this.times.lifetime,
      )
    );
  }

  /** Pushes the record's expiry forward without rewriting it. */
  private async touchRecord(key: string): Promise<void> {
    const options = this.writeOptions(this.data);
    try {
      await (await this.store()).touch(key, options.expiresAt, this.io.storeBudget);
      this.recordExpiresAt = options.expiresAt;
      this.touchRequested = false;
    } catch (error) {
      // A missed touch only shortens the idle window; it must not fail a request that only read.
      if (!(error instanceof SessionStoreUnavailableError)) throw error;
    }
  }
}
