/**
 * The soak figure's load: visitors of the demo app (examples/next-app), each with its own cookies,
 * walking through the same visit again and again — page renders, a cookie-session route and a
 * store-session route (the file store) — from a few concurrent workers over keep-alive loopback
 * connections. Each worker owns its visitors, so one visitor never has two requests in flight.
 */
import { Agent, request as httpRequest } from "node:http";
import { CookieMemory } from "./cookie-memory.ts";

/** What one request of a visit exercises. */
export type StepKind = "page" | "cookie session" | "store session";

/**
 * One visit, in order. Every add is undone later in the visit, so a visitor's sessions stay the
 * same size however long the soak runs: growth can only come from the server.
 */
export const VISIT: readonly { kind: StepKind; path: (visit: number) => string }[] = [
  { kind: "page", path: () => "/" },
  { kind: "store session", path: () => "/api/cart?add-product=apple" },
  { kind: "cookie session", path: () => "/session-test?add-product=foo" },
  { kind: "page", path: () => "/cart" },
  { kind: "store session", path: () => "/api/cart?remove-product=apple" },
  { kind: "cookie session", path: () => "/session-test?remove-product=foo" },
  // The proxy writes the `prefs` cookie session, then the page renders in that language.
  { kind: "page", path: (visit) => `/?lang=${visit % 2 === 0 ? "de" : "en"}` },
  { kind: "cookie session", path: () => "/session-test" },
];

/** What a batch did. */
export interface BatchResult {
  requests: number;
  /** Requests answered with a status ≥ 400, or not answered. */
  failures: number;
  /** The first failure, described. */
  firstFailure?: string;
  seconds: number;
}

interface Visitor {
  cookies: CookieMemory;
  /** Requests made so far: the step is `made % VISIT.length`, the visit `made / VISIT.length`. */
  made: number;
}

const REQUEST_TIMEOUT_MS = 30_000;

/** GET `url` with `cookie`; resolves with the status and the Set-Cookie lines, body read to its end. */
function get(agent: Agent, url: URL, cookie: string): Promise<{ status: number; setCookie: string[] }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { agent, headers: cookie === "" ? {} : { cookie }, timeout: REQUEST_TIMEOUT_MS },
      (res) => {
        res.resume();
        res.once("end", () =>
          resolve({ status: res.statusCode ?? 0, setCookie: res.headers["set-cookie"] ?? [] }),
        );
        res.once("error", reject);
      },
    );
    req.once("timeout", () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    req.once("error", reject);
    req.end();
  });
}

/** A fixed number of visitors of the app at `base`, served by `concurrency` workers. */
export class SoakVisitors {
  readonly #base: string;
  readonly #visitors: Visitor[];
  readonly #concurrency: number;
  readonly #agent: Agent;
  /** The next visitor `renew` replaces. */
  #renewAt = 0;

  constructor(base: string, options: { visitors: number; concurrency: number }) {
    this.#base = base;
    this.#concurrency = options.concurrency;
    this.#visitors = Array.from({ length: options.visitors }, () => ({
      cookies: new CookieMemory(),
      made: 0,
    }));
    this.#agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  }

  /**
   * Replaces `count` visitors (oldest first) with new ones without cookies, so every batch also
   * creates sessions, as new people arriving do.
   */
  renew(count: number): void {
    for (let i = 0; i < count; i++) {
      this.#visitors[this.#renewAt] = { cookies: new CookieMemory(), made: 0 };
      this.#renewAt = (this.#renewAt + 1) % this.#visitors.length;
    }
  }

  /** Makes `requests` requests (fewer when `deadline`, a `performance.now()` time, passes first). */
  async batch(requests: number, deadline: number): Promise<BatchResult> {
    const started = performance.now();
    let issued = 0;
    let failures = 0;
    let firstFailure: string | undefined;
    const worker = async (w: number) => {
      const mine = this.#visitors.filter((_, i) => i % this.#concurrency === w);
      for (let turn = 0; issued < requests && performance.now() < deadline; turn++) {
        issued++;
        const visitor = mine[turn % mine.length] as Visitor;
        const step = VISIT[visitor.made % VISIT.length] as (typeof VISIT)[number];
        const path = step.path(Math.floor(visitor.made / VISIT.length));
        visitor.made++;
        try {
          const { status, setCookie } = await get(
            this.#agent,
            new URL(path, this.#base),
            visitor.cookies.header(),
          );
          visitor.cookies.apply(setCookie);
          if (status >= 400) throw new Error(`HTTP ${status}`);
        } catch (error) {
          failures++;
          firstFailure ??= `${step.kind} ${path}: ${error instanceof Error ? error.message : String(error)}`;
        }
      }
    };
    await Promise.all(Array.from({ length: this.#concurrency }, (_, w) => worker(w)));
    return {
      requests: issued,
      failures,
      ...(firstFailure === undefined ? {} : { firstFailure }),
      seconds: (performance.now() - started) / 1000,
    };
  }

  /** Closes the keep-alive connections. */
  close(): void {
    this.#agent.destroy();
  }
}
