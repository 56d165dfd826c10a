/**
 * The state of one session in one request, behind its handle: data, flash and messages, the
 * envelope they persist as, the schema defaults a fresh session starts with, zod on save and read,
 * and change tracking. A request pays for change tracking only when it may have changed something:
 * the handle's setters, flash and messages mark the session dirty, and handing out a nested object
 * (`cart.items`, which `push` can change behind the setters' back) makes commit compare the
 * serialized state with the one loaded, so deep mutation counts and an unchanged session is never
 * written. A request that only reads encodes nothing. The two storages (`cookie-session.ts`,
 * `store-session.ts`) add loading and saving; `handle.ts` is what app code holds.
 * @internal not part of the public API; import from "satchel" instead.
 */
import { encodeEnvelope } from "../codec/envelope.ts";
import { validateForRead, validateForWrite } from "../codec/validate.ts";
import type { ResolvedSession } from "../define.ts";
import { SessionStateError } from "../errors.ts";
import type { ExpireOptions } from "../expiry-limit.ts";
import type { FlashChannel, InvalidReason, InvalidReport, Messages, SessionMetadata } from "../types.ts";
import { FlashState } from "./flash.ts";
import { MessageState, type StoredMessage } from "./messages.ts";

/** What one session's state is persisted as (cookie plaintext or store record). */
export interface PersistedEnvelope {
  version: number;
  data: Record<string, unknown>;
  flash?: Record<string, unknown[]>;
  messages?: StoredMessage[];
}

/** What a session needs from the request around it. */
export interface SessionContext {
  /** Clock in epoch milliseconds. */
  now(): number;
  /** Set when the request cannot write (a Server Component): says why. */
  readOnly: string | undefined;
  /**
   * Set once the response has gone (the Fetch adapter's `apply()`, a Next wrapper's commit): says
   * how. A write after that could never reach the client, so it throws instead of being lost.
   */
  closed?: string | undefined;
  /** Hands an invalid cookie/record report to `onInvalid`. */
  report(report: InvalidReport): void;
}

type FieldParser = { safeParse(v: unknown): { success: boolean; data?: unknown } };
/** How a session's defaults are made, worked out once per definition (see `freshData`). */
interface FreshPlan {
  /** `safeParse({})` succeeds: use it (it applies object-level transforms too). */
  whole: boolean;
  /** Otherwise: the fields whose schema gives a value for `undefined`. */
  fields: [string, FieldParser][];
}
const freshPlans = new WeakMap<ResolvedSession, FreshPlan>();

function freshPlan(session: ResolvedSession): FreshPlan {
  let plan = freshPlans.get(session);
  if (plan === undefined) {
    const fields: [string, FieldParser][] = [];
    for (const [field, schema] of Object.entries(session.schema.shape)) {
      const parser = schema as unknown as FieldParser;
      const one = parser.safeParse(undefined);
      if (one.success && one.data !== undefined) fields.push([field, parser]);
    }
    plan = { whole: session.schema.safeParse({}).success, fields };
    freshPlans.set(session, plan);
  }
  return plan;
}

/**
 * The data a brand-new session starts with: the schema defaults (fields without one are left out).
 * A failing `safeParse({})` builds a zod error, which costs more than the rest of a request, so which
 * way works is found once per definition; the parse itself runs each time, because defaults may be
 * fresh objects or computed by a function.
 */
export function freshData(session: ResolvedSession): Record<string, unknown> {
  const plan = freshPlan(session);
  if (plan.whole) {
    const whole = session.schema.safeParse({});
    if (whole.success) return whole.data as Record<string, unknown>;
  }
  const data: Record<string, unknown> = {};
  for (const [field, parser] of plan.fields) {
    const one = parser.safeParse(undefined);
    if (one.success && one.data !== undefined) data[field] = one.data;
  }
  return data;
}

/**
 * Zod on write: the parsed data, or a `SessionValidationError` naming the first bad field.
 * @param accepts the session's generated constraint check (`SessionCodec.accepts`), when it may
 *   stand in for zod: data it accepts is valid and already zod's output, so zod is skipped.
 */
export function validateForSave(
  session: ResolvedSession,
  data: unknown,
  accepts?: (data: unknown) => boolean,
): Record<string, unknown> {
  if (accepts?.(data) === true) return data as Record<string, unknown>;
  return validateForWrite(session.name, session.schema, data) as Record<string, unknown>;
}

/** Zod on read: never throws. */
export async function validateOnRead(
  session: ResolvedSession,
  data: unknown,
): Promise<{ ok: true; data: Record<string, unknown> } | { ok: false; detail: string }> {
  const result = validateForRead(session.schema, data);
  return result.ok ? { ok: true, data: result.data as Record<string, unknown> } : result;
}

/**
 * One session in one request: data, flash, messages and what is needed to decide whether to write.
 * `cookie-session.ts` and `store-session.ts` add loading and saving.
 */
export abstract class SessionCore {
  data: Record<string, unknown>;
  readonly flash: FlashState;
  readonly messages: MessageState;
  /** No valid cookie/record was found: started fresh in this request. */
  isNew = true;
  destroyed = false;
  /**
   * The read-only empty session of a store that could not be reached (`UnavailableSession`): the
   * handle's `$unavailable`. A property, so the handle needs no import of that class.
   */
  get unavailable(): boolean {
    return false;
  }
  /**
   * Serialized persisted state as loaded or last saved (`serialized()`'s kind of text, or the text
   * read or written itself when the storage has it: a canonical token, a store record). `undefined`
   * until something needs it: taken before the first change or hand-out of a nested object (see
   * `markChanged`, `handOut`), so a request that only reads never encodes.
   */
  protected snapshot: string | undefined = undefined;
  /** Write at commit even if unchanged: migrated data, an old-key token, a fresh id. */
  protected mustWrite = false;
  /** `touch()` asked for the idle expiry to be pushed forward at commit. */
  protected touchRequested = false;
  /** A setter, `reset()`, flash or messages changed the state since it was loaded or saved. */
  private dirty = false;
  /** A nested object of the data was handed out: a change through it shows only in the text. */
  private watching = false;
  /** Nothing is stored (a fresh session): there is no saved text to compare a change with. */
  private unstored = true;

  constructor(
    readonly def: ResolvedSession,
    protected readonly ctx: SessionContext,
  ) {
    // load() always runs next and sets the data (stored, or freshData): no defaults are built here.
    this.data = {};
    this.flash = new FlashState(def.name, def.flash);
    this.messages = new MessageState(() => ctx.now());
  }

  /** The envelope that would be persisted now. */
  envelope(): PersistedEnvelope {
    const envelope: PersistedEnvelope = { version: this.def.version, data: this.data };
    const flash = this.flash.persisted();
    if (flash !== undefined) envelope.flash = flash;
    const messages = this.messages.persisted();
    if (messages !== undefined) envelope.messages = messages;
    return envelope;
  }

  protected serialized(): string {
    // The same text that would be stored, so "changed" means exactly "would write something else".
    return encodeEnvelope(this.envelope());
  }

  /** True when the state differs from what was loaded or last saved. */
  changed(): boolean {
    if (!this.mayHaveChanged()) return false;
    // Changed with nothing stored to compare with (a fresh session that was written to).
    if (this.snapshot === undefined) return true;
    return !this.sameState(this.serialized(), this.snapshot);
  }

  /** Whether `text` (`serialized()`'s) holds the state `saved` (the snapshot) holds. */
  protected sameState(text: string, saved: string): boolean {
    return text === saved;
  }

  /** False when nothing was changed or handed out since the load or last save: no text to compare. */
  protected mayHaveChanged(): boolean {
    return !this.destroyed && (this.dirty || this.watching);
  }

  /** Only nested objects handed out may have changed the state (no setter ran): compare text first. */
  protected onlyHandedOut(): boolean {
    return !this.dirty && this.watching;
  }

  /**
   * The saved state's text, for store merges: taken now when it was not needed before (unchanged
   * state is the saved state); `""` (no parts) for a fresh session already written to.
   */
  protected baseline(): string {
    if (this.snapshot !== undefined) return this.snapshot;
    return this.unstored && this.dirty ? "" : this.serialized();
  }

  /**
   * Called before a change through the handle (a setter, `reset()`, flash, messages): the session is
   * written at commit unless its text comes out the same. The stored state's text is taken first,
   * once, so a change that is undone and store merges still have it to compare with.
   */
  markChanged(): void {
    if (this.dirty) return;
    if (this.snapshot === undefined && !this.unstored) this.snapshot = this.serialized();
    this.dirty = true;
  }

  /**
   * Called before a nested object of the data is handed out (`cart.items`): from then on the state
   * can change behind the setters, so commit compares text. The text to compare with is taken now,
   * before the caller can change anything.
   */
  handOut(): void {
    if (this.watching) return;
    this.watching = true;
    if (this.snapshot === undefined && !this.dirty) this.snapshot = this.serialized();
  }

  /**
   * Records the state as saved. `text` is what was just sealed, stored or read back, when the caller
   * has it: the snapshot is then that text; without it, the text is taken only once nested objects
   * were handed out (they may still change), else when first needed.
   */
  protected markSaved(text?: string): void {
    this.snapshot = text ?? (this.watching ? this.serialized() : undefined);
    this.unstored = false;
    this.dirty = false;
    this.mustWrite = false;
  }

  /** Starts a fresh session, reporting why the stored one could not be used. */
  protected startFresh(reason: InvalidReason | null, detail?: string): void {
    this.data = freshData(this.def);
    this.flash.clear();
    this.messages.clear();
    this.isNew = true;
    // The defaults are encoded only when something needs them (see handOut), never for a read.
    this.snapshot = this.watching ? this.serialized() : undefined;
    this.unstored = true;
    this.dirty = false;
    this.mustWrite = false;
    if (reason !== null) {
      const report: InvalidReport = { reason, session: this.def.name };
      if (detail !== undefined) report.detail = detail;
      this.ctx.report(report);
    }
  }

  /**
   * Starts from data imported from another library (`importFrom`): new to satchel (`isNew`), and
   * written at commit although unchanged, so the visitor leaves with a satchel session.
   */
  protected startImported(data: Record<string, unknown>): void {
    this.startFresh(null);
    this.data = data;
    this.markSaved();
    this.mustWrite = true;
  }

  private channelCache: Record<string, FlashChannel<unknown>> | undefined;
  private messagesCache: Messages | undefined;

  /** The `handle.flash` object, built on first use. */
  flashChannels(): Record<string, FlashChannel<unknown>> {
    this.channelCache ??= this.flash.channels(
      (action) => this.willChange(action),
      () => this.ctx.readOnly !== undefined,
    );
    return this.channelCache;
  }

  /** The `handle.messages` object, built on first use. */
  messagesApi(): Messages {
    this.messagesCache ??= this.messages.api(
      (action) => this.willChange(action),
      () => this.ctx.readOnly !== undefined,
    );
    return this.messagesCache;
  }

  /** Throws when this session may not be written: response sent, destroyed, or a read-only request. */
  assertWritable(action: string): void {
    if (this.ctx.closed !== undefined) {
      throw new SessionStateError(
        `satchel: session "${this.def.name}" cannot be written any more: the response was already sent ` +
          `(${this.ctx.closed}), so ${action} would be lost. Make changes before the handler returns, ` +
          `and await them.`,
      );
    }
    this.assertNotDestroyed(action);
    if (this.ctx.readOnly !== undefined) {
      throw new SessionStateError(
        `satchel: session "${this.def.name}" is read-only here (${this.ctx.readOnly}), so ${action} cannot be saved. ` +
          `Change sessions in a server action or route handler.`,
      );
    }
  }

  /** `assertWritable`, then `markChanged`: what every change through the handle goes through. */
  willChange(action: string): void {
    this.assertWritable(action);
    this.markChanged();
  }

  /**
   * Pushes the idle expiry forward from now at commit, without waiting for `touchAfter`: cookie
   * sessions are re-sealed, store sessions get a store touch. Nothing to push for a session without
   * an idle limit, or one not stored yet.
   */
  touch(): void {
    this.assertWritable("touch()");
    if (this.def.expiry.idle !== null) this.touchRequested = true;
  }

  /** Throws when the session was destroyed in this request: there is nothing left to read. */
  protected assertNotDestroyed(action: string): void {
    if (this.destroyed) {
      throw new SessionStateError(
        `satchel: session "${this.def.name}" was destroyed in this request; ${action} is not allowed afterwards. ` +
          `Get a new one in the next request.`,
      );
    }
  }

  /** Back to the schema defaults, flash and messages included. */
  reset(): void {
    this.willChange("reset()");
    this.data = freshData(this.def);
    this.flash.clear();
    this.messages.clear();
  }

  /** Runs `fn` on a copy of the data; returns what it produced (its return value or the mutated copy). */
  protected async applyUpdate(
    data: Record<string, unknown>,
    fn: (data: Record<string, unknown>) => unknown,
  ): Promise<Record<string, unknown>> {
    const draft = structuredClone(data);
    const result = await fn(draft);
    return validateForSave(this.def, result === undefined ? draft : result);
  }

  /** Public id, creation, last access and expiry; all `null` until stored and after `destroy()`. */
  abstract metadata(): Promise<SessionMetadata>;
  /**
   * Reads the stored state; called once, on the first `get(name)`. `undefined` when it finished
   * synchronously (a cookie session's common read), so the request waits for no promise; may throw.
   */
  abstract load(): Promise<void> | undefined;
  abstract save(): Promise<void>;
  abstract update(fn: (data: Record<string, unknown>) => unknown): Promise<void>;
  abstract destroy(): Promise<void>;
  abstract regenerate(): Promise<void>;
  /** `$expire()`: this session's lifetime chosen now, sealed with it and written at commit. */
  abstract expire(options: ExpireOptions): Promise<void>;
  /**
   * Drops unsaved changes: the session as stored (a store session reads its record again; a cookie
   * session goes back to the token the request sent or this request last wrote). A read: allowed
   * where writes are not, but not after `destroy()`.
   */
  abstract reload(): Promise<void>;
  /**
   * End of request: write if changed, re-sealed or due for a rolling touch. `undefined` when it is
   * known at once that there is nothing to write (a read), so the request waits for no promise.
   */
  abstract commit(): Promise<void> | undefined;
}
