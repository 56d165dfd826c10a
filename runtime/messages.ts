/**
 * Leveled messages (success, info, warning, error), as in Beaker/Pylons: kept with the session until
 * read, each with an optional title and an optional life in seconds after which it is dropped unread.
 * Unlike `flash.add`, a message is readable in the request that added it too (the usual pattern is
 * "add, then redirect", and a page that renders directly should still show it).
 * @internal not part of the public API; import from "satchel" instead.
 */
import type { WriteGuard } from "./flash.ts";
import type { Message, MessageInput, MessageLevel, Messages } from "./types.ts";

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

/** The messages of one session in one request. */
export class MessageState {
  private list: StoredMessage[] = [];

  constructor(
    private readonly now: () => number,
    stored?: unknown,
  ) {
    this.load(stored);
  }

  /** Replaces the pending messages with what storage holds, skipping malformed and expired ones. */
  load(stored: unknown): void {
    this.list = Array.isArray(stored) ? stored.filter(isStoredMessage) : [];
  }

  private live(): StoredMessage[] {
    const now = this.now();
    this.list = this.list.filter((m) => m.life === undefined || m.at + m.life * 1000 > now);
    return this.list;
  }

  /** What to store; `undefined` when nothing is pending. */
  persisted(): StoredMessage[] | undefined {
    const live = this.live();
    return live.length > 0 ? [...live] : undefined;
  }

  clear(): void {
    this.list = [];
  }

  /** The `messages` object a handle exposes. */
  api(guard: WriteGuard): Messages {
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
        this.list.push(message);
      };
    const publicView = ({ at: _at, ...message }: StoredMessage): Message => message;
    return Object.freeze({
      success: add("success"),
      info: add("info"),
      warning: add("warning"),
      error: add("error"),
      read: () => {
        const live = this.live();
        if (live.length > 0) guard("messages.read()");
        this.list = [];
        return live.map(publicView);
      },
      peek: () => this.live().map(publicView),
    });
  }
}
