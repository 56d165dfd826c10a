/**
 * Leveled messages (success, info, warning, error), as in Beaker/Pylons: kept with the session until
 * read, each with an optional title and an optional life in seconds after which it is dropped unread.
 * Unlike `flash.add`, a message is readable in the request that added it too (the usual pattern is
 * "add, then redirect", and a page that renders directly should still show it).
 *
 * Like flash, a read-only request (a Server Component render) cannot consume stored messages: there
 * `read()` and `peek()` return only the messages handed to this request (`sessionProxy()` consumes
 * them and the render gets them through `injectMessages`), never throwing; stored ones stay for the
 * next request's proxy.
 * @internal not part of the public API; import from "satchel" instead.
 */

import type { Message, MessageInput, MessageLevel, Messages } from "../types.ts";
import type { ReadOnlyCheck, WriteGuard } from "./flash.ts";

/** A message as stored: the public fields plus when it was added (epoch ms), for `life`. */
export interface StoredMessage extends Message {
  at: number;
}

const LEVELS: readonly MessageLevel[] = ["success", "info", "warning", "error"];

function isStoredMessage(value: unknown): value is StoredMessage {
  if (value === null || typeof value !== "object") return false;
  const m = value as Record<string, unknown>;
  return (
    LEVELS.includes(m.level as MessageLevel) &&
    typeof m.body === "string" &&
    typeof m.at === "number" &&
    (m.title === undefined || typeof m.title === "string") &&
    (m.life === undefined || (typeof m.life === "number" && m.life >= 0))
  );
}

function isLive(message: StoredMessage, now: number): boolean {
  return message.life === undefined || message.at + message.life * 1000 > now;
}

/**
 * No messages: what every state holds until one arrives, shared rather than new arrays per session
 * and request (most sessions never hold a message). The lists are never changed in place: adding
 * makes a new one.
 */
const NO_MESSAGES: readonly StoredMessage[] = Object.freeze([]);

/** The messages of one session in one request. */
export class MessageState {
  /** Stored: from earlier requests and added in this one. */
  private list: readonly StoredMessage[] = NO_MESSAGES;
  /** Handed to this request only (by the proxy), never stored. */
  private current: readonly StoredMessage[] = NO_MESSAGES;

  constructor(private readonly now: () => number) {}

  /** Replaces the pending messages with what storage holds, skipping malformed and expired ones. */
  load(stored: unknown): void {
    this.list = Array.isArray(stored) && stored.length > 0 ? stored.filter(isStoredMessage) : NO_MESSAGES;
  }

  private live(): readonly StoredMessage[] {
    if (this.list.length === 0) return this.list;
    const now = this.now();
    this.list = this.list.filter((m) => isLive(m, now));
    return this.list;
  }

  /** What to store; `undefined` when nothing is pending. */
  persisted(): StoredMessage[] | undefined {
    const live = this.live();
    return live.length > 0 ? [...live] : undefined;
  }

  clear(): void {
    this.list = NO_MESSAGES;
    this.current = NO_MESSAGES;
  }

  /**
   * Adds messages for this request only (what `sessionProxy()` consumed and handed to the render);
   * malformed ones are skipped. Their `life` counts from now: they were live when the proxy read them.
   */
  inject(messages: readonly unknown[]): void {
    const at = this.now();
    const added: StoredMessage[] = [];
    for (const message of messages) {
      const candidate = { ...(message as object), at };
      if (isStoredMessage(candidate)) added.push(candidate);
    }
    if (added.length > 0) this.current = [...this.current, ...added];
  }

  /** The `messages` object a handle exposes. */
  api(guard: WriteGuard, readOnly: ReadOnlyCheck): Messages {
    const add =
      (level: MessageLevel) =>
      (body: string, options: MessageInput = {}) => {
        guard(`messages.${level}()`);
        if (typeof body !== "string")
          throw new TypeError(`satchel: messages.${level}() takes a string body.`);
        const message: StoredMessage = { level, body, at: this.now() };
        if (options.title !== undefined) message.title = options.title;
        if (options.life !== undefined) {
          if (!(options.life >= 0))
            throw new TypeError(`satchel: messages.${level}() life must be seconds >= 0.`);
          message.life = options.life;
        }
        this.list = [...this.list, message];
      };
    const publicView = ({ at: _at, ...message }: StoredMessage): Message => message;
    // Read-only: only the handed-off messages; stored ones wait for a request that can remove them.
    const pending = () =>
      [...(readOnly() ? [] : this.live()), ...this.current.filter((m) => isLive(m, this.now()))].map(
        publicView,
      );
    return Object.freeze({
      success: add("success"),
      info: add("info"),
      warning: add("warning"),
      error: add("error"),
      read: () => {
        const shown = pending();
        if (!readOnly()) {
          if (this.list.length > 0) guard("messages.read()");
          this.list = NO_MESSAGES;
        }
        this.current = NO_MESSAGES;
        return shown;
      },
      peek: () => pending(),
    });
  }
}
