/**
 * Test helpers for the session core: a controllable clock, a satchel over the memory store, and a
 * cookie-carrying client that replays `Set-Cookie` into the next `Request`, as a browser would.
 */
import type { SessionsConfig } from "../define.ts";
import type { FetchSessions } from "../fetch/adapter.ts";
import { createSatchel, type Satchel, type SatchelOptions, type SessionTypesShape } from "../satchel.ts";
import { createMemoryStore } from "../stores/memory.ts";
import type { SessionStore } from "../stores/types.ts";
import type { InvalidReport } from "../types.ts";

export const SECRET_A = `${"a".repeat(16)}-first-test-secret-0123456789`;
export const SECRET_B = `${"b".repeat(16)}-second-test-secret-012345678`;

/** A clock tests move by hand. */
export interface TestClock {
  now(): number;
  advance(ms: number): void;
}

export function testClock(start = Date.UTC(2026, 0, 1)): TestClock {
  let t = start;
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
  };
}

export interface TestSetup<Types> {
  satchel: Satchel<Types>;
  store: SessionStore;
  clock: TestClock;
  reports: InvalidReport[];
}

/** A satchel with fixed secrets, a memory store and a test clock; `onInvalid` reports are collected. */
export function testSatchel<Types extends SessionTypesShape<Types>>(
  config: SessionsConfig,
  options: SatchelOptions & { clock?: TestClock; store?: SessionStore } = {},
): TestSetup<Types> {
  const clock = options.clock ?? testClock();
  const store = options.store ?? createMemoryStore({ now: clock.now });
  const reports: InvalidReport[] = [];
  const satchel = createSatchel<Types>(config, {
    secrets: [SECRET_A],
    onInvalid: (report) => reports.push(report),
    ...options,
    store,
    now: clock.now,
  });
  return { satchel, store, clock, reports };
}

/** A client that keeps cookies between requests, like a browser (no domain/path matching). */
export class CookieClient {
  readonly cookies = new Map<string, string>();
  /** `Set-Cookie` lines of the last response. */
  lastSetCookie: string[] = [];

  constructor(
    private readonly handler: (request: Request) => Promise<Response>,
    private readonly origin = "http://localhost",
  ) {}

  async fetch(path = "/", init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0) headers.set("cookie", this.cookieHeader());
    const response = await this.handler(new Request(this.origin + path, { ...init, headers }));
    this.absorb(response);
    return response;
  }

  cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }

  /** Takes the response's `Set-Cookie` lines into the jar (Max-Age=0 or a past Expires deletes). */
  absorb(response: Response): void {
    this.lastSetCookie = response.headers.getSetCookie();
    for (const line of this.lastSetCookie) {
      const [pair = "", ...attributes] = line.split(";").map((part) => part.trim());
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      const deleted = attributes.some(
        (a) =>
          /^max-age=(0|-\d+)$/i.test(a) || (/^expires=/i.test(a) && Date.parse(a.slice(8)) <= Date.now()),
      );
      if (deleted) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}

/**
 * One browser against an app whose handler runs whatever the test passes: each `request(fn)` is one
 * Fetch request (cookies carried over, committed when `fn` returns) and resolves to what `fn` returned.
 */
export function sameBrowser<Types>(satchel: Satchel<Types>) {
  let step: (sessions: FetchSessions<Types>) => Promise<unknown> = async () => undefined;
  let result: unknown;
  const client = new CookieClient(
    satchel.handle(async (_request, sessions) => {
      result = await step(sessions);
      return new Response("ok");
    }),
  );
  const request = async <T>(fn: (sessions: FetchSessions<Types>) => Promise<T>): Promise<T> => {
    step = fn;
    await client.fetch("/");
    return result as T;
  };
  return { client, request };
}
