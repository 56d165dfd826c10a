/**
 * The typed session handle app code holds: a Proxy that exposes each top-level schema field of the
 * session's live data as a property (so `Object.keys`, spread, `in` and `delete` follow the data), and
 * a prototype shared per definition with `get`/`set`, the dictionary helpers, flash, messages, the
 * lifecycle methods and the `$`-metadata. The state behind it is a `SessionCore` (`core.ts`).
 * @internal not part of the public API; import from "satchel" instead.
 */
import type { ResolvedSession } from "../define.ts";
import { SessionValidationError } from "../errors.ts";
import type { ExpireOptions } from "../expiry-limit.ts";
import { freshData, SessionCore } from "./core.ts";

const CORE = Symbol("satchel.session");
/** What a handle proxies: an object holding its core, whose prototype carries the methods. */
type HandleTarget = { [CORE]: SessionCore };
/** `this` inside a method: the proxy, which hands `[CORE]` through from its target. */
type HandleThis = HandleTarget & Record<string, unknown>;
/** Whether a property key names a top-level field of the session's schema. */
type IsField = (key: string | symbol) => key is string;

interface HandleParts {
  proto: object;
  traps: ProxyHandler<HandleTarget>;
  /** Makes a handle's target: an object of prototype `proto` holding the core. */
  target: new (
    core: SessionCore,
  ) => HandleTarget;
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
  core.willChange(action);
  const value = fieldDefault(core.def, field);
  if (value === undefined) delete core.data[field];
  else core.data[field] = value;
}

/**
 * A field's value on its way out of the handle. A nested object can be changed in place
 * (`cart.items.push(x)`) without a setter, so the core starts comparing text at commit.
 */
function handOut(core: SessionCore, field: string): unknown {
  const value = core.data[field];
  if (typeof value === "object" && value !== null) core.handOut();
  return value;
}

/**
 * Sets a field (the caller checked it may). The same value again (`Object.is`) is no change to a
 * stored session: nothing to write. A session not stored yet is written by any assignment, even of
 * the value its default already holds (`session.theme = undefined` creates the session, as before
 * change tracking). A nested object set again after changing it in place was handed out first, so
 * that change is still seen.
 */
function setField(core: SessionCore, field: string, value: unknown): void {
  if (!core.isNew && Object.is(core.data[field], value)) return;
  core.markChanged();
  core.data[field] = value;
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
  const isField: IsField = (key): key is string => typeof key === "string" && fields.has(key);
  // A class whose prototype is the handle's prototype: a target is one allocation whose field holds
  // the core (defined, not assigned: no look-up along the frozen prototype), where Object.create +
  // Object.defineProperty went through a property descriptor on every request. The core's symbol is
  // private to this module, and the traps neither show nor write it.
  const target = class {
    [CORE]: SessionCore;
    constructor(core: SessionCore) {
      this[CORE] = core;
    }
  };
  // As before, the prototype holds the handle's methods and metadata only.
  delete (target.prototype as { constructor?: unknown }).constructor;
  const proto = prototypeFor(def, isField, target.prototype);
  const built = { proto, traps: trapsFor(def, isField, proto), target };
  parts.set(def, built);
  return built;
}

/** The methods of a handle: the dictionary helpers over the data, and the session's lifecycle. */
function methodsFor(
  def: ResolvedSession,
  isField: IsField,
): Record<string, (this: HandleThis, ...args: never[]) => unknown> {
  return {
    get(key: string, ...fallback: unknown[]) {
      const value = handOut(this[CORE], key);
      return value === undefined && fallback.length > 0 ? fallback[0] : value;
    },
    set(key: string, value: unknown) {
      const core = this[CORE];
      core.assertWritable(`set("${key}")`);
      if (!isField(key)) throw new SessionValidationError(def.name, key, "is not a field of the schema");
      setField(core, key, value);
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
      if (core.data[key] === undefined) setField(core, key, value);
      // The stored value itself, so `setdefault("items", []).push(x)` changes the session.
      return handOut(core, key);
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
    $expire(options: ExpireOptions) {
      return this[CORE].expire(options);
    },
    reload() {
      return this[CORE].reload();
    },
    touch() {
      this[CORE].touch();
    },
    reset() {
      this[CORE].reset();
    },
    clear() {
      this[CORE].reset();
    },
  };
}

/**
 * Makes `proto` the prototype every handle of the session shares: `$name`, `$isNew`, `$destroyed`,
 * `$unavailable`, the methods, `flash` and (when the session has them) `messages`, and what
 * `console.log(handle)` shows. Frozen.
 */
function prototypeFor(def: ResolvedSession, isField: IsField, proto: object): object {
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
  getter("$unavailable", (core) => core.unavailable);
  for (const [name, value] of Object.entries(methodsFor(def, isField))) define(name, { value });
  getter("flash", (core) => core.flashChannels());
  if (def.messages) getter("messages", (core) => core.messagesApi());
  // console.log(handle) shows the session and its data rather than the proxy target.
  define(Symbol.for("nodejs.util.inspect.custom"), {
    value(this: HandleThis) {
      return { $name: def.name, ...this[CORE].data };
    },
  });
  return Object.freeze(proto);
}

/**
 * The traps that make a handle read, write and delete the live data for schema fields and show
 * exactly that data as its own properties; everything else comes from `proto` and is read-only.
 */
function trapsFor(def: ResolvedSession, isField: IsField, proto: object): ProxyHandler<HandleTarget> {
  return {
    get(target, key) {
      if (isField(key)) return handOut(target[CORE], key);
      // A plain read instead of Reflect.get(target, key, receiver): the same value, as every getter
      // of the frozen prototype reads only this[CORE], which the target holds; cheaper on `then`,
      // which every `await` of a handle looks up, and on every method call.
      return (target as HandleTarget & Record<string | symbol, unknown>)[key];
    },
    set(target, key, value) {
      if (isField(key)) {
        const core = target[CORE];
        core.assertWritable(`setting "${key}"`);
        setField(core, key, value);
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
      // Spread and Object.assign read values here: nested ones leave the handle too.
      const value = handOut(target[CORE], key);
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
}

/**
 * Builds the handle app code holds: a proxy that reads and writes the live data for every schema
 * field and shows exactly the data to `Object.keys`, spread, `in` and `JSON.stringify`; methods and
 * metadata come from a prototype shared by every handle of the session.
 */
export function createHandle(core: SessionCore): object {
  const { target, traps } = partsFor(core.def);
  return new Proxy(new target(core), traps);
}

/**
 * Hands `messages` to this request only (the Next adapter's proxy hand-off): `messages.read()` and
 * `peek()` show them, nothing stores them. A handle without messages, or a non-handle, is ignored.
 */
export function injectMessages(handle: object, messages: readonly unknown[]): void {
  const core = (handle as Partial<HandleThis>)[CORE];
  if (core instanceof SessionCore && core.def.messages) core.messages.inject(messages);
}
