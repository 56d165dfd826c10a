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

/** The flash state of one session in one request. */
export class FlashState {
  /** Pending from earlier requests and not read yet. */
  private incoming: StoredFlash = {};
  /** Added in this request, for the next one. */
  private outgoing: StoredFlash = {};
  /** `now()` values: this request only, never stored. */
  private current: StoredFlash = {};

  constructor(
    private readonly session: string,
    private readonly schemas: FlashSchemas,
  ) {}

  /** Replaces the pending values with what storage holds; payloads the schema rejects are dropped. */
  load(stored: unknown): void {
    this.incoming = {};
    this.outgoing = {};
    if (stored === null || typeof stored !== "object") return;
    for (const [channel, schema] of Object.entries(this.schemas)) {
      const values = (stored as Record<string, unknown>)[channel];
      if (!Array.isArray(values)) continue;
      const kept = values.filter((value) => schema.safeParse(value).success);
      if (kept.length > 0) this.incoming[channel] = kept;
    }
  }

  /** What to store: unread earlier values plus this request's additions; `undefined` when empty. */
  persisted(): StoredFlash | undefined {
    const out: StoredFlash = {};
    for (const channel of Object.keys(this.schemas)) {
      const values = [...(this.incoming[channel] ?? []), ...(this.outgoing[channel] ?? [])];
      if (values.length > 0) out[channel] = values;
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }

  /** Drops everything (reset, destroy). */
  clear(): void {
    this.incoming = {};
    this.outgoing = {};
    this.current = {};
  }

  /** The typed channels a handle exposes as `handle.flash`. */
  channels(guard: WriteGuard, readOnly: ReadOnlyCheck): Record<string, FlashChannel<unknown>> {
    const channels: Record<string, FlashChannel<unknown>> = {};
    for (const [channel, schema] of Object.entries(this.schemas)) {
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
          this.outgoing[channel] = [...(this.outgoing[channel] ?? []), check(value)];
        },
        now: (value: unknown) => {
          // Never stored, so allowed where writes are not (a Server Component).
          this.current[channel] = [...(this.current[channel] ?? []), check(value)];
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
