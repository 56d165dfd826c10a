/**
 * Store sessions: the cookie (or a request header) holds a sealed 32-byte random id; the envelope
 * lives in the store under `"<session>:" + hex(SHA-256(id))`, so the raw id never reaches the store.
 * Records carry a version: `update(fn)` is compare-and-set with retries, `save()` merges per
 * top-level key and reports a real conflict.
 * @internal not part of the public API; import from "satchel" instead.
 */
import superjson from "superjson";
import {
  decodeEnvelope,
  type Envelope,
  encodeEnvelope,
  type RecordInfo,
  validateForRead,
} from "../codec/compress.ts";
import { codecFor } from "../codec/keyed-format.ts";
import { type CryptoBackend, selectBackend, sha256 } from "../crypto/backend.ts";
import type { SealTimes } from "../crypto/seal.ts";
import type { ResolvedSession } from "../define.ts";
import {
  SatchelError,
  SessionConflictError,
  SessionEndedError,
  SessionStateError,
  SessionStoreUnavailableError,
  SessionValidationError,
} from "../errors.ts";
import type { SessionStore, WriteOptions } from "../stores/types.ts";
import type { InvalidReason, SessionMetadata } from "../types.ts";
import {
  type PersistedEnvelope,
  type SessionContext,
  SessionCore,
  validateForSave,
  validateOnRead,
} from "./core.ts";
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

const ID_BYTES = 32;
/** Attempts of `update(fn)` before it may give up under contention (see `UPDATE_MIN_MS`). */
const UPDATE_ATTEMPTS = 60;
/**
 * `update(fn)` keeps retrying for at least this long, even past `UPDATE_ATTEMPTS`: on a slow store
 * (a busy disk) the writers that win take longer, and a count alone would run out while the
 * contention is still clearing. It gives up once both the count and the time are spent.
 */
const UPDATE_MIN_MS = 5_000;
/** Attempts of a merging `save()`. */
const SAVE_ATTEMPTS = 10;
/** Backoff ceiling between attempts, ms. */
const MAX_BACKOFF_MS = 100;
/** First backoff ceiling, ms; doubles per attempt. */
const BASE_BACKOFF_MS = 4;

/**
 * The store key of an id: the session name and the SHA-256 of the id, hex. The digest goes through
 * the crypto backend: node:crypto hashes synchronously (~1 µs), WebCrypto is the fallback (~20 µs).
 */
export async function storeKey(
  session: string,
  id: Uint8Array,
  backend: CryptoBackend = selectBackend(),
): Promise<string> {
  return storeKeyOf(session, id, backend);
}

/** `storeKey`, synchronous when the backend hashes synchronously (node:crypto): no promise per request. */
function storeKeyOf(session: string, id: Uint8Array, backend: CryptoBackend): string | Promise<string> {
  const result = sha256(id, backend);
  return result instanceof Uint8Array
    ? `${session}:${hexOf(result)}`
    : result.then((digest) => `${session}:${hexOf(digest)}`);
}

/** Two hex digits per byte value, so a digest is 32 lookups instead of 32 toString + padStart. */
const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"));

function hexOf(bytes: Uint8Array): string {
  let hex = "";
  for (let i = 0; i < bytes.length; i++) hex += HEX[bytes[i] as number];
  return hex;
}

/**
 * The public id of a stored session: safe to log and to show in a "your sessions" list. A hash of the
 * store key (itself a hash of the id), so it can neither be turned back into the bearer id nor be
 * presented as one.
 */
export async function publicIdOf(key: string, backend: CryptoBackend = selectBackend()): Promise<string> {
  const result = sha256(new TextEncoder().encode(`satchel-public-id:${key}`), backend);
  const digest = result instanceof Uint8Array ? result : await result;
  return hexOf(digest.subarray(0, 16));
}

/** Longest device description kept in a record. */
const MAX_DEVICE_CHARS = 200;

/** What a store session learns from `satchel.ts`: its own store (per-session or the runtime's) and device hook. */
export interface StoreSessionEnv {
  /** The store this session lives in, connected on first use. */
  store(): Promise<SessionStore>;
  /** Describes the device a new record is made on (e.g. from the user agent); recorded once per id. */
  describeDevice?: ((headers: Headers) => string | undefined) | undefined;
}

/** Last access of a record: the later of its last write and its last idle-window touch. */
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

function newId(): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(ID_BYTES));
}

/**
 * Updates of one record from this process run one after another: they would only defeat each other's
 * compare-and-set and back off. Other processes are still handled by compare-and-set.
 */
const updateQueues = new WeakMap<SessionStore, Map<string, Promise<unknown>>>();

async function oneAtATime<T>(
  store: SessionStore,
  key: string,
  work: (waited: boolean) => Promise<T>,
): Promise<T> {
  let queues = updateQueues.get(store);
  if (queues === undefined) {
    queues = new Map();
    updateQueues.set(store, queues);
  }
  const previous = queues.get(key);
  const run = previous === undefined ? work(false) : previous.then(() => work(true));
  const tail = run.catch(() => undefined);
  queues.set(key, tail);
  try {
    return await run;
  } finally {
    if (queues.get(key) === tail) queues.delete(key);
  }
}

/** Full-jitter exponential backoff, so colliding writers spread out instead of colliding again. */
function backoff(attempt: number): Promise<void> {
  const ceiling = Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
}

/** Per-key serialized form of an envelope, to see which top-level parts two writers changed. */
function parts(envelope: PersistedEnvelope): Map<string, string> {
  const map = new Map<string, string>();
  for (const [key, value] of Object.entries(envelope.data)) map.set(key, superjson.stringify(value));
  map.set("flash", superjson.stringify(envelope.flash ?? null));
  map.set("messages", superjson.stringify(envelope.messages ?? null));
  return map;
}

function changedParts(from: Map<string, string>, to: Map<string, string>): Set<string> {
  const changed = new Set<string>();
  for (const key of new Set([...from.keys(), ...to.keys()]))
    if (from.get(key) !== to.get(key)) changed.add(key);
  return changed;
}

type Loaded =
  | { ok: true; envelope: PersistedEnvelope; migrated: boolean; info: RecordInfo | undefined }
  | { ok: false; reason: InvalidReason; detail: string };

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
  /** An `update()` of this handle is running. */
  private updating = false;
  /** What the record says about itself (created, last written, device), as loaded or last written. */
  private info: RecordInfo | undefined;

  constructor(
    def: ResolvedSession,
    ctx: SessionContext,
    private readonly runtime: SatchelRuntime,
    private readonly io: RequestIO,
    private readonly env: StoreSessionEnv = { store: () => runtime.store() },
  ) {
    super(def, ctx);
  }

  private store(): Promise<SessionStore> {
    return this.env.store();
  }

  /** Public id, creation, last access and expiry of the stored session (all null before it is stored). */
  async metadata(): Promise<SessionMetadata> {
    if (this.key === null || this.recordVersion === null) {
      return { publicId: null, createdAt: null, lastAccessedAt: null, expiresAt: null };
    }
    const createdAt = this.info?.createdAt ?? (this.times === null ? null : this.times.createdAt * 1000);
    const lastAccess = lastAccessOf(this.info, this.recordExpiresAt, this.def.expiry.idle);
    return {
      publicId: await publicIdOf(this.key),
      createdAt: createdAt === null ? null : new Date(createdAt),
      lastAccessedAt: lastAccess === null ? null : new Date(lastAccess),
      expiresAt: new Date(this.recordExpiresAt),
    };
  }

  /** The record text of `envelope`, with its info: creation kept, this write's time, device once per id. */
  private recordText(envelope: PersistedEnvelope): { text: string; info: RecordInfo } {
    const now = this.ctx.now();
    const times = this.times ?? sealTimesFor(this.def, now, null, false);
    const info: RecordInfo = { createdAt: times.createdAt * 1000, updatedAt: now };
    const device = this.info?.device ?? this.describeDevice();
    if (device !== undefined) info.device = device;
    return { text: encodeEnvelope({ ...envelope, info }), info };
  }

  private describeDevice(): string | undefined {
    const headers = this.io.requestHeaders;
    if (this.env.describeDevice === undefined || headers === undefined) return undefined;
    const text = this.env.describeDevice(headers);
    return text === undefined || text === "" ? undefined : text.slice(0, MAX_DEVICE_CHARS);
  }

  /**
   * Remembers what a successful write stored. The record now exists, so an unusable cookie that came
   * with the request is no longer to be cleared: the token of the written id replaces it.
   */
  private wrote(envelope: PersistedEnvelope, version: number, expiresAt: number, info: RecordInfo): void {
    this.recordVersion = version;
    this.recordExpiresAt = expiresAt;
    this.info = info;
    this.adopt(envelope);
    this.isNew = false;
    this.mustWrite = false;
    this.clearInvalid = false;
  }

  async load(): Promise<void> {
    const header =
      this.def.header === undefined ? null : (this.io.requestHeaders?.get(this.def.header) ?? null);
    this.viaHeader = header !== null && header !== "";
    const cookie = this.viaHeader ? null : readSessionCookie(this.def, this.io, this.ctx);
    const token = this.viaHeader ? (header as string) : cookie?.token;
    if (token === undefined || token === "") {
      if (cookie?.failure) return this.invalid(...cookie.failure);
      cookie?.reportForeign();
      return this.startFresh(null);
    }
    this.hadToken = true;
    const sealer = await this.runtime.sealer();
    const unsealed = await sealer.unseal(this.def.name, token, this.ctx.now());
    if (!unsealed.ok)
      return this.invalid(await whyUnsealFailed(this.runtime, this.def, token, unsealed.reason));
    if (unsealed.plaintext.length !== ID_BYTES)
      return this.invalid("malformed", "the sealed id has the wrong length");
    const computed = storeKeyOf(this.def.name, unsealed.plaintext, sealer.backend);
    const key = typeof computed === "string" ? computed : await computed;
    const record = await (await this.store()).get(key);
    if (record === null) return this.invalid("missing-record", "no live record for this id");
    const decoded = this.decode(record.value);
    const loaded = decoded instanceof Promise ? await decoded : decoded;
    // Unusable records are never overwritten (a newer deploy may still read them): a new id is used.
    if (!loaded.ok) return this.invalid(loaded.reason, loaded.detail, loaded.reason !== "newer-version");
    this.id = unsealed.plaintext;
    this.key = key;
    this.recordVersion = record.version;
    this.recordExpiresAt = record.expiresAt;
    this.info = loaded.info;
    this.times = unsealed.times;
    this.adopt(loaded.envelope);
    this.isNew = false;
    this.mustWrite = loaded.migrated;
    this.tokenDue = unsealed.staleKey || cookie?.moved === true;
    cookie?.reportForeign();
  }

  private invalid(reason: InvalidReason, detail?: string, clear = true): void {
    this.startFresh(reason, detail);
    this.clearInvalid = clear && !this.viaHeader;
  }

  /**
   * A stored record → the envelope of this version. Records are not authenticated: full zod always
   * runs, after migrations when the record is older. Synchronous for a record of the running version.
   */
  private decode(value: string): Loaded | Promise<Loaded> {
    let envelope: Envelope;
    try {
      envelope = decodeEnvelope(value);
    } catch {
      return { ok: false, reason: "malformed", detail: "the stored envelope could not be decoded" };
    }
    if (envelope.version === this.def.version) {
      // What migrateData does for the running version (no migration, zod, "schema-mismatch"),
      // without its promises.
      const checked = validateForRead(this.def.schema, envelope.data);
      if (!checked.ok) return { ok: false, reason: "schema-mismatch", detail: checked.detail };
      return this.loaded(envelope, checked.data as Record<string, unknown>, false);
    }
    return migrateData(this.def, envelope.version, envelope.data, (data) =>
      validateOnRead(this.def, data),
    ).then((migrated) => (migrated.ok ? this.loaded(envelope, migrated.data, migrated.migrated) : migrated));
  }

  private loaded(envelope: Envelope, data: Record<string, unknown>, migrated: boolean): Loaded {
    const result: PersistedEnvelope = { version: this.def.version, data };
    if (envelope.flash !== undefined) result.flash = envelope.flash as Record<string, unknown[]>;
    if (envelope.messages !== undefined)
      result.messages = envelope.messages as PersistedEnvelope["messages"] & {};
    return { ok: true, envelope: result, migrated, info: envelope.info };
  }

  /** Makes `envelope` the current and the saved state. */
  private adopt(envelope: PersistedEnvelope): void {
    this.data = envelope.data;
    this.flash.load(envelope.flash);
    this.messages.load(envelope.messages);
    this.markSaved();
  }

  /**
   * The state as loaded or last written, split per top-level key. Decoded from the snapshot only
   * when needed (a conflict), so the common request pays nothing for it.
   */
  private baseParts(): Map<string, string> {
    try {
      return parts(codecFor(this.def).decode(this.snapshot).envelope as PersistedEnvelope);
    } catch {
      // Only a snapshot of fresh data missing required fields fails the structural decode; it was
      // never stored, so every part of a record found now counts as someone else's change.
      return new Map();
    }
  }

  /**
   * The parts of `envelope` as they read back from the snapshot's codec, so both sides of a
   * comparison with `baseParts()` went through the same encoding (an optional field present as
   * `undefined` reads back absent, as it does in the snapshot).
   */
  private partsOf(envelope: PersistedEnvelope): Map<string, string> {
    const codec = codecFor(this.def);
    try {
      return parts(codec.decode(codec.encode(envelope)).envelope as PersistedEnvelope);
    } catch {
      return parts(envelope);
    }
  }

  /**
   * What change detection compares: the session's compiled codec (one `JSON.stringify` for a
   * JSON-only schema) instead of superjson. Only the snapshot uses it; records stay superjson text.
   */
  protected override serialized(): string {
    return codecFor(this.def).encode(this.envelope());
  }

  /** Expiry and user of a record about to be written with `data`. */
  private writeOptions(data: Record<string, unknown>): WriteOptions {
    const now = this.ctx.now();
    const times = this.times ?? sealTimesFor(this.def, now, null, false);
    const absoluteEndsAt = times.absoluteExpiresAt * 1000;
    const idle = this.def.expiry.idle;
    const expiresAt = idle === null ? absoluteEndsAt : Math.min(absoluteEndsAt, now + idle * 1000);
    const options: WriteOptions = { expiresAt };
    const field = this.def.userField;
    const user = field === undefined ? undefined : data[field];
    if (user !== undefined && user !== null) {
      const userId = String(user);
      // Postgres text cannot hold NUL, and no real user id contains one: refuse it as bad data here,
      // before a store turns it into an outage.
      if (userId.includes("\u0000")) {
        throw new SessionValidationError(
          this.def.name,
          field as string,
          "contains a NUL character (\\u0000).",
        );
      }
      options.userId = userId;
    }
    return options;
  }

  /** Gives the session a brand-new id (its token is written at the end of the request). */
  private async assignNewId(): Promise<void> {
    const id = newId();
    const computed = storeKeyOf(this.def.name, id, selectBackend());
    const key = typeof computed === "string" ? computed : await computed;
    this.id = id;
    this.key = key;
    this.recordVersion = null;
    this.times = sealTimesFor(this.def, this.ctx.now(), null, false);
    this.tokenDue = true;
  }

  async save(): Promise<void> {
    this.assertWritable("save()");
    await this.write();
  }

  private async write(): Promise<void> {
    this.data = validateForSave(this.def, this.data);
    if (this.key === null) await this.assignNewId();
    const store = await this.store();
    const key = this.key as string;
    const ours = this.envelope();
    let envelope = ours;
    for (let attempt = 0; attempt < SAVE_ATTEMPTS; attempt++) {
      const options = this.writeOptions(envelope.data);
      const { text, info } = this.recordText(envelope);
      const version = await store.compareAndSet(key, text, this.recordVersion, options);
      if (version !== null) {
        this.wrote(envelope, version, options.expiresAt, info);
        await this.writeToken();
        return;
      }
      envelope = await this.merge(store, key, ours);
    }
    throw new SatchelError(
      `satchel: session "${this.def.name}" could not be saved: other requests kept changing it. ` +
        `Use update(fn) for changes made under contention.`,
    );
  }

  /**
   * Another request wrote meanwhile. Apply our changed top-level keys onto its record; if both
   * changed the same key, that is a real conflict the app must resolve.
   */
  private async merge(store: SessionStore, key: string, ours: PersistedEnvelope): Promise<PersistedEnvelope> {
    const record = await store.get(key);
    // Deleted meanwhile (destroy, revokeUser, regenerate) or expired: never written again.
    if (record === null) return this.ended();
    const theirs = await this.decode(record.value);
    if (!theirs.ok) {
      throw new SatchelError(
        `satchel: session "${this.def.name}" was rewritten by another request into data this code cannot read ` +
          `(${theirs.reason}); not overwriting it.`,
      );
    }
    // Both sides are compared with what this request loaded, however many rounds this takes.
    const base = this.baseParts();
    const ourChanges = changedParts(base, this.partsOf(ours));
    const theirChanges = changedParts(base, this.partsOf(theirs.envelope));
    for (const part of ourChanges)
      if (theirChanges.has(part)) throw new SessionConflictError(this.def.name, part);
    const merged: PersistedEnvelope = { version: this.def.version, data: { ...theirs.envelope.data } };
    for (const part of ourChanges) {
      if (part !== "flash" && part !== "messages") {
        if (Object.hasOwn(ours.data, part)) merged.data[part] = ours.data[part];
        else delete merged.data[part];
      }
    }
    const flash = ourChanges.has("flash") ? ours.flash : theirs.envelope.flash;
    if (flash !== undefined) merged.flash = flash;
    const messages = ourChanges.has("messages") ? ours.messages : theirs.envelope.messages;
    if (messages !== undefined) merged.messages = messages;
    this.recordVersion = record.version;
    return merged;
  }

  async update(fn: (data: Record<string, unknown>) => unknown): Promise<void> {
    this.assertWritable("update()");
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
    // Wall time, not the session clock: the budget is about real waiting (tests may freeze the clock).
    const started = performance.now();
    let attempt = 0;
    for (; attempt < UPDATE_ATTEMPTS || performance.now() - started < UPDATE_MIN_MS; attempt++) {
      let current: PersistedEnvelope = mine;
      if (expected !== null && !optimistic) {
        const record = await store.get(key);
        // Deleted meanwhile (destroy, revokeUser, regenerate) or expired: never written again.
        if (record === null) return this.ended();
        const loaded = await this.decode(record.value);
        if (!loaded.ok) {
          throw new SatchelError(
            `satchel: session "${this.def.name}" was rewritten by another request into data this code cannot read ` +
              `(${loaded.reason}); update() is not overwriting it.`,
          );
        }
        // Our own unsaved flash/message changes still apply; the data comes fresh from the store.
        const changed = changedParts(this.baseParts(), this.partsOf(mine));
        current = { ...loaded.envelope };
        if (changed.has("flash")) {
          if (mine.flash === undefined) delete current.flash;
          else current.flash = mine.flash;
        }
        if (changed.has("messages")) {
          if (mine.messages === undefined) delete current.messages;
          else current.messages = mine.messages;
        }
        expected = record.version;
      }
      const next: PersistedEnvelope = { ...current, data: await this.applyUpdate(current.data, fn) };
      const options = this.writeOptions(next.data);
      const { text, info } = this.recordText(next);
      const version = await store.compareAndSet(key, text, expected, options);
      if (version !== null) {
        this.wrote(next, version, options.expiresAt, info);
        await this.writeToken();
        return;
      }
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
    if (this.key !== null) await (await this.store()).delete(this.key);
    this.flash.clear();
    this.messages.clear();
    this.destroyed = true;
    this.key = null;
    this.id = null;
    if (this.hadToken || this.tokenDue) this.writeTokenValue(null);
    this.tokenDue = false;
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
    const oldIsGone = async () => oldKey !== null && (await store.get(oldKey)) === null;
    if (await oldIsGone()) return this.ended();
    const options = this.writeOptions(envelope.data);
    const newKey = this.key as string;
    const { text, info } = this.recordText(envelope);
    const version = await store.compareAndSet(newKey, text, null, options);
    if (version === null) throw new SatchelError(`satchel: session "${this.def.name}" id collision; retry.`);
    if (await oldIsGone()) {
      await store.delete(newKey);
      return this.ended();
    }
    // The new record exists before the old one goes, so a failure in between loses nothing.
    if (oldKey !== null) await store.delete(oldKey);
    this.wrote(envelope, version, options.expiresAt, info);
    await this.writeToken();
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
    writeSessionCookie(this.def, this.io, token, cookieAttributes(this.def, this.ctx.now(), expiresAt));
    this.hadToken = token !== null;
  }

  async commit(): Promise<void> {
    if (this.destroyed) return;
    const now = this.ctx.now();
    if (this.mustWrite || this.changed()) {
      try {
        await this.write();
      } catch (error) {
        // The end-of-request commit (wrappers, the proxy's flash hand-off) does not fail the response
        // of a session that was ended meanwhile: the cookie is already cleared and "ended" reported.
        if (error instanceof SessionEndedError) return;
        throw error;
      }
    } else if (
      this.key !== null &&
      this.recordVersion !== null &&
      this.times !== null &&
      touchIsDue(this.def, now, this.recordExpiresAt, this.times.absoluteExpiresAt * 1000)
    ) {
      const options = this.writeOptions(this.data);
      try {
        await (await this.store()).touch(this.key, options.expiresAt);
        this.recordExpiresAt = options.expiresAt;
      } catch (error) {
        // A missed touch only shortens the idle window; it must not fail a request that only read.
        if (!(error instanceof SessionStoreUnavailableError)) throw error;
      }
    } else if (this.clearInvalid && this.hadToken) {
      this.writeTokenValue(null);
      this.clearInvalid = false;
    }
    if (this.tokenDue && this.recordVersion !== null) await this.writeToken();
  }
}
