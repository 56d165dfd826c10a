/**
 * Flash channels: values meant for the next request (`add`) or this one (`now`), gone once read.
 * The pending values live in the session envelope next to the data, so they travel with the session.
 *
 * In a read-only request (a Server Component render) a stored value cannot be consumed: the cookie
 * cannot be rewritten, so it would show again on every render. There `read()` and `peek()` return
 * only what this request may show (`now()` values, which include what `sessionProxy()` handed off)
 * and leave stored values for the next request's proxy to hand off; they never throw.
 * @internal not part of the public API; import from "satchel" instead.
 */
import { SessionValidationError } from "../errors.ts";
import type { FlashChannel, FlashSchemas } from "../types.ts";

/** Stored flash: channel name → pending payloads, oldest first. */
type StoredFlash = Record<string, unknown[]>;

/** Lets a channel refuse writes (destroyed session, read-only request) with the right error. */
export type WriteGuard = (action: string) => void;

/** True while the request cannot write (a Server Component): stored values are then left alone. */
export type ReadOnlyCheck = () => boolean;

/**
 * No values: what every state holds until a value arrives, shared rather than three new objects per
 * session and request (most sessions never flash). Frozen, and replaced by an object of the state's
 * own before anything is stored (`own`).
 */
const NONE: StoredFlash = Object.freeze({});

type FlashSchema = FlashSchemas[string];
/** Each definition's channels as `[name, schema]`, listed once instead of on every load. */
const channelLists = new WeakMap<FlashSchemas, readonly [string, FlashSchema][]>();

function channelsOf(schemas: FlashSchemas): readonly [string, FlashSchema][] {
  let list = channelLists.get(schemas);
  if (list === undefined) {
    list = Object.entries(schemas);
    channelLists.set(schemas, list);
  }
  return list;
}

/** The flash state of one session in one request. */
export class FlashState {
  /** Pending from earlier requests and not read yet. */
  private incoming: StoredFlash = NONE;
  /** Added in this request, for the next one. */
  private outgoing: StoredFlash = NONE;
  /** `now()` values: this request only, never stored. */
  private current: StoredFlash = NONE;

  constructor(
    private readonly session: string,
    private readonly schemas: FlashSchemas,
  ) {}

  /** Replaces the pending values with what storage holds; payloads the schema rejects are dropped. */
  load(stored: unknown): void {
    this.incoming = NONE;
    this.outgoing = NONE;
    if (stored === null || typeof stored !== "object") return;
    for (const [channel, schema] of channelsOf(this.schemas)) {
      const values = (stored as Record<string, unknown>)[channel];
      if (!Array.isArray(values)) continue;
      const kept = values.filter((value) => schema.safeParse(value).success);
      if (kept.length > 0) this.own("incoming")[channel] = kept;
    }
  }

  /** What to store: unread earlier values plus this request's additions; `undefined` when empty. */
  persisted(): StoredFlash | undefined {
    if (this.incoming === NONE && this.outgoing === NONE) return undefined;
    let out: StoredFlash | undefined;
    for (const [channel] of channelsOf(this.schemas)) {
      const values = [...(this.incoming[channel] ?? []), ...(this.outgoing[channel] ?? [])];
      if (values.length === 0) continue;
      out ??= {};
      out[channel] = values;
    }
    return out;
  }

  /** Drops everything (reset, destroy). */
  clear(): void {
    this.incoming = NONE;
    this.outgoing = NONE;
    this.current = NONE;
  }

  /** `which` as an object of this state's own (never the shared `NONE`), to store values in. */
  private own(which: "incoming" | "outgoing" | "current"): StoredFlash {
    if (this[which] === NONE) this[which] = {};
    return this[which];
  }

  /** The typed channels a handle exposes as `handle.flash`. */
  channels(guard: WriteGuard, readOnly: ReadOnlyCheck): Record<string, FlashChannel<unknown>> {
    const channels: Record<string, FlashChannel<unknown>> = {};
    for (const [channel, schema] of channelsOf(this.schemas)) {
      const check = (value: unknown): unknown => {
        const parsed = schema.safeParse(value);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          const path = ["flash", channel, ...(issue?.path ?? []).map(String)].join(".");
          throw new SessionValidationError(this.session, path, issue?.message ?? "invalid flash payload");
        }
        return parsed.data;
      };
      // Read-only: only this request's values; stored ones wait for a request that can remove them.
      const pending = () => [
        ...(readOnly() ? [] : (this.incoming[channel] ?? [])),
        ...(this.current[channel] ?? []),
      ];
      channels[channel] = Object.freeze({
        add: (value: unknown) => {
          guard(`flash.${channel}.add()`);
          const checked = check(value);
          this.own("outgoing")[channel] = [...(this.outgoing[channel] ?? []), checked];
        },
        now: (value: unknown) => {
          // Never stored, so allowed where writes are not (a Server Component).
          const checked = check(value);
          this.own("current")[channel] = [...(this.current[channel] ?? []), checked];
        },
        read: () => {
          const values = pending();
          if (!readOnly()) {
            if ((this.incoming[channel]?.length ?? 0) > 0) guard(`flash.${channel}.read()`);
            delete this.incoming[channel];
          }
          delete this.current[channel];
          return values;
        },
        peek: () => pending(),
      });
    }
    return Object.freeze(channels);
  }
}
