/**
 * One request's sessions as the Next adapter sees them: satchel's `RequestSessions` plus the flash and
 * messages the proxy handed off, put back into each session the first time the request asks for it.
 * @internal
 */
import type { CookieJar } from "../cookies/header.ts";
import { injectMessages } from "../session/handle.ts";
import type { RequestSessions } from "../session/request-sessions.ts";
import type { Handoff } from "./handoff.ts";

export interface Scope<Types> {
  readonly sessions: RequestSessions<Types>;
  /** The cookie jar the sessions read and write (CSRF reads session generations from it). */
  readonly jar: CookieJar;
  /** Where the scope was opened, for messages: "route handler", "server action", "Server Component", "proxy". */
  readonly where: string;
  get<N extends keyof Types & string>(name: N): Promise<Types[N]>;
}

type FlashHolder = { flash?: Record<string, { now(value: unknown): void } | undefined> };

/**
 * Wraps `sessions` so that handed-off flash reappears as `flash.<channel>.now()` values and handed-off
 * messages as this-request-only messages. Without a hand-off (`undefined`: the request carries none,
 * as every request but a proxied page render), `get` is the sessions' own.
 */
export function createScope<Types>(
  sessions: RequestSessions<Types>,
  jar: CookieJar,
  where: string,
  handoff?: Promise<Handoff>,
): Scope<Types> {
  if (handoff === undefined) return { sessions, jar, where, get: (name) => sessions.get(name) };
  const injected = new Set<string>();
  return {
    sessions,
    jar,
    where,
    async get(name) {
      const handle = await sessions.get(name);
      const { flash, messages } = await handoff;
      if (!injected.has(name)) {
        // Synchronous from here on, so concurrent first calls inject exactly once.
        injected.add(name);
        const channels = flash[name];
        if (channels !== undefined) injectFlash(handle as FlashHolder, channels);
        const handed = messages[name];
        if (handed !== undefined) injectMessages(handle as object, handed);
      }
      return handle;
    },
  };
}

function injectFlash(handle: FlashHolder, channels: Record<string, unknown[]>): void {
  for (const [channel, values] of Object.entries(channels)) {
    const target = handle.flash?.[channel];
    if (target === undefined) continue; // the schema dropped this channel since the proxy ran
    for (const value of values) {
      try {
        target.now(value);
      } catch {
        // A value the current schema rejects is dropped, like an invalid stored flash.
      }
    }
  }
}
