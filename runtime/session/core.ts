/**
 * The typed session handle and the state behind it. A handle exposes each top-level schema field as a
 * property, plus `get`/`set`, flash, messages and the lifecycle methods. Change tracking compares the
 * serialized state at commit with the one at load, so deep mutation (`cart.items.push(x)`) counts and an
 * unchanged session is never written.
 * @internal not part of the public API; import from "satchel" instead.
 */
import { encodeEnvelope, validateForRead, validateForWrite } from "../codec/compress.ts";
import type { ResolvedSession } from "../define.ts";
import { SessionStateError, SessionValidationError } from "../errors.ts";
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

/** Zod on write: the parsed data, or a `SessionValidationError` naming the first bad field. */
export function validateForSave(session: ResolvedSession, data: unknown): Record<string, unknown> {
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
  /** Serialized persisted state as loaded or last saved. */
  protected snapshot = "";
  /** Write at commit even if unchanged: migrated data, an old-key token, a fresh id. */
  protected mustWrite = false;

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
    return !this.destroyed && this.serialized() !== this.snapshot;
  }

  /**
   * Records the state as saved. `text` is what was just sealed, stored or read back, when the caller
   * has it: the snapshot is then that text, not a second encode of the same state.
   */
  protected markSaved(text?: string): void {
    this.snapshot = text ?? this.serialized();
    this.mustWrite = false;
  }

  /** Starts a fresh session, reporting why the stored one could not be used. */
  protected startFresh(reason: InvalidReason | null, detail?: string): void {
    this.data = freshData(this.def);
    this.flash.clear();
    this.messages.clear();
    this.isNew = true;
    this.markSaved();
    if (reason !== null) {
      const report: InvalidReport = { reason, session: this.def.name };
      if (detail !== undefined) report.detail = detail;
      this.ctx.report(report);
    }
  }

  private channelCache: Record<string, FlashChannel<unknown>> | undefined;
  private messagesCache: Messages | undefined;

  /** The `handle.flash` object, built on first use. */
  flashChannels(): Record<string, FlashChannel<unknown>> {
    this.channelCache ??= this.flash.channels(
      (action) => this.assertWritable(action),
      () => this.ctx.readOnly !== undefined,
    );
    return this.channelCache;
  }

  /** The `handle.messages` object, built on first use. */
  messagesApi(): Messages {
    this.messagesCache ??= this.messages.api(
      (action) => this.assertWritable(action),
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
    if (this.destroyed) {
      throw new SessionStateError(
        `satchel: session "${this.def.name}" was destroyed in this request; ${action} is not allowed afterwards. ` +
          `Get a new one in the next request.`,
      );
    }
    if (this.ctx.readOnly !== undefined) {
      throw new SessionStateError(
        `satchel: session "${this.def.name}" is read-only here (${this.ctx.readOnly}), so ${action} cannot be saved. ` +
          `Change sessions in a server action or route handler.`,
      );
    }
  }

  /** Back to the schema defaults, flash and messages included. */
  reset(): void {
    this.assertWritable("reset()");
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
  /** Reads the stored state; called once, on the first `get(name)`. */
  abstract load(): Promise<void>;
  abstract save(): Promise<void>;
  abstract update(fn: (data: Record<string, unknown>) => unknown): Promise<void>;
  abstract destroy(): Promise<void>;
  abstract regenerate(): Promise<void>;
  /** End of request: write if changed, re-sealed or due for a rolling touch. */
  abstract commit(): Promise<void>;
}

const CORE = Symbol("satchel.session");
/** What a handle proxies: an object holding its core, whose prototype carries the methods. */
type HandleTarget = { [CORE]: SessionCore };
/** `this` inside a method: the proxy, which hands `[CORE]` through from its target. */
type HandleThis = HandleTarget & Record<string, unknown>;

interface HandleParts {
  proto: object;
  traps: ProxyHandler<HandleTarget>;
}
const parts = new WeakMap<ResolvedSession, HandleParts>();

/** A field's value after `delete`/`pop`: its schema default, or `undefined` when it has none. */
function fieldDefault(def: ResolvedSession, field: string): unknown {
  const schema = def.schema.shape[field] as unknown as {
    safeParse(v: unknown): { success: boolean; data?: unknown };
  };
  const parsed = schema.safeParse(undefined);
  return parsed.success ? parsed.data : undefined;
}

/** Back to the field's default (or absent), as `delete handle.field` and `pop(field)` do. */
function resetField(core: SessionCore, field: string, action: string): void {
  core.assertWritable(action);
  const value = fieldDefault(core.def, field);
  if (value === undefined) delete core.data[field];
  else core.data[field] = value;
}

/** Fields holding a value, in data order: what `Object.keys(handle)`, spread and `keys()` show. */
function presentFields(core: SessionCore): string[] {
  const shape = core.def.schema.shape;
  return Object.keys(core.data).filter((key) => Object.hasOwn(shape, key) && core.data[key] !== undefined);
}

/**
 * The methods and proxy traps of every handle of one session, built once per session definition
 * (a handle is created on every request that touches the session).
 */
function partsFor(def: ResolvedSession): HandleParts {
  const cached = parts.get(def);
  if (cached !== undefined) return cached;
  // A Set, not the zod shape: every field access of every handle asks.
  const fields = new Set(Object.keys(def.schema.shape));
  const isField = (key: string | symbol): key is string => typeof key === "string" && fields.has(key);
  const proto: Record<string | symbol, unknown> = {};
  // Methods are not enumerable: `Object.keys`, spread and `for...in` show the data only.
  const define = (name: string | symbol, descriptor: PropertyDescriptor) =>
    Object.defineProperty(proto, name, { enumerable: false, configurable: false, ...descriptor });
  const getter = (name: string, read: (core: SessionCore) => unknown) =>
    define(name, {
      get(this: HandleThis) {
        return read(this[CORE]);
      },
    });
  define("$name", { value: def.name });
  getter("$isNew", (core) => core.isNew);
  getter("$destroyed", (core) => core.destroyed);
  const methods: Record<string, (this: HandleThis, ...args: never[]) => unknown> = {
    get(key: string, ...fallback: unknown[]) {
      const value = this[CORE].data[key];
      return value === undefined && fallback.length > 0 ? fallback[0] : value;
    },
    set(key: string, value: unknown) {
      const core = this[CORE];
      core.assertWritable(`set("${key}")`);
      if (!isField(key)) throw new SessionValidationError(def.name, key, "is not a field of the schema");
      core.data[key] = value;
    },
    has(key: string) {
      return isField(key) && this[CORE].data[key] !== undefined;
    },
    keys() {
      return presentFields(this[CORE]);
    },
    pop(key: string) {
      const core = this[CORE];
      if (!isField(key)) throw new SessionValidationError(def.name, key, "is not a field of the schema");
      const value = core.data[key];
      resetField(core, key, `pop("${key}")`);
      return value;
    },
    setdefault(key: string, value: unknown) {
      const core = this[CORE];
      // Always a write: the caller is about to change what it gets back.
      core.assertWritable(`setdefault("${key}")`);
      if (!isField(key)) throw new SessionValidationError(def.name, key, "is not a field of the schema");
      if (core.data[key] === undefined) core.data[key] = value;
      // The stored value itself, so `setdefault("items", []).push(x)` changes the session.
      return core.data[key];
    },
    toJSON() {
      return structuredClone(this[CORE].data);
    },
    $metadata() {
      return this[CORE].metadata();
    },
    update(fn: (data: Record<string, unknown>) => unknown) {
      return this[CORE].update(fn);
    },
    save() {
      return this[CORE].save();
    },
    async destroy() {
      const core = this[CORE];
      await core.destroy();
      // Nothing of the ended session stays readable for the rest of the request.
      core.data = freshData(def);
    },
    regenerate() {
      return this[CORE].regenerate();
    },
    reset() {
      this[CORE].reset();
    },
    clear() {
      this[CORE].reset();
    },
  };
  for (const [name, value] of Object.entries(methods)) define(name, { value });
  getter("flash", (core) => core.flashChannels());
  if (def.messages) getter("messages", (core) => core.messagesApi());
  // console.log(handle) shows the session and its data rather than the proxy target.
  define(Symbol.for("nodejs.util.inspect.custom"), {
    value(this: HandleThis) {
      return { $name: def.name, ...this[CORE].data };
    },
  });
  Object.freeze(proto);

  const traps: ProxyHandler<HandleTarget> = {
    get(target, key, receiver) {
      return isField(key) ? target[CORE].data[key] : Reflect.get(target, key, receiver);
    },
    set(target, key, value) {
      if (isField(key)) {
        const core = target[CORE];
        core.assertWritable(`setting "${key}"`);
        core.data[key] = value;
        return true;
      }
      // Methods and metadata are read-only (a falsy result is a TypeError in strict code).
      if (typeof key === "symbol" || key in proto) return false;
      throw new SessionValidationError(def.name, key, "is not a field of the schema");
    },
    deleteProperty(target, key) {
      if (!isField(key)) return false;
      resetField(target[CORE], key, `delete of "${key}"`);
      return true;
    },
    has(target, key) {
      return isField(key) ? target[CORE].data[key] !== undefined : Reflect.has(target, key);
    },
    ownKeys(target) {
      // The core is a configurable own property of the target, so it may be left out here.
      return presentFields(target[CORE]);
    },
    getOwnPropertyDescriptor(target, key) {
      if (!isField(key)) return undefined;
      const value = target[CORE].data[key];
      if (value === undefined) return undefined;
      return { value, writable: true, enumerable: true, configurable: true };
    },
    defineProperty() {
      return false;
    },
    // The target must stay extensible and keep its prototype: the traps above report the data's keys
    // as own properties, which the Proxy invariants allow only on an extensible target.
    preventExtensions() {
      return false;
    },
    setPrototypeOf() {
      return false;
    },
  };
  const built = { proto, traps };
  parts.set(def, built);
  return built;
}

/**
 * Builds the handle app code holds: a proxy that reads and writes the live data for every schema
 * field and shows exactly the data to `Object.keys`, spread, `in` and `JSON.stringify`; methods and
 * metadata come from a prototype shared by every handle of the session.
 */
export function createHandle(core: SessionCore): object {
  const { proto, traps } = partsFor(core.def);
  const target = Object.create(proto) as HandleTarget;
  Object.defineProperty(target, CORE, { value: core, configurable: true });
  return new Proxy(target, traps);
}

/**
 * Hands `messages` to this request only (the Next adapter's proxy hand-off): `messages.read()` and
 * `peek()` show them, nothing stores them. A handle without messages, or a non-handle, is ignored.
 */
export function injectMessages(handle: object, messages: readonly unknown[]): void {
  const core = (handle as Partial<HandleThis>)[CORE];
  if (core instanceof SessionCore && core.def.messages) core.messages.inject(messages);
}
