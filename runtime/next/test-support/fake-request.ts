/**
 * Test support for the Next adapter: Next's own cookie classes, sealed or writable exactly as Next
 * hands them to a Server Component or to a server action / route handler, behind the adapter's
 * request seam. Lets the adapter run without a Next server; the example app's end-to-end tests run
 * it inside a real one.
 * @internal
 */
import {
  MutableRequestCookiesAdapter,
  RequestCookiesAdapter,
} from "next/dist/server/web/spec-extension/adapters/request-cookies";
import { RequestCookies } from "next/dist/server/web/spec-extension/cookies";
import type { NextCookieStore } from "../cookie-jar.ts";
import type { NextRequestApi } from "../request-api.ts";

export interface FakeRequest {
  api: NextRequestApi;
  /** `Set-Cookie` lines written so far (writable requests only). */
  setCookies(): string[];
  /** Runs the callbacks registered with `after()`. */
  finish(): void;
  store: NextCookieStore;
}

/** A request as Next presents it: `cookie` header, other headers, read-only or writable cookies. */
export function fakeRequest(
  init: { cookie?: string; headers?: HeadersInit; readOnly?: boolean; route?: string } = {},
): FakeRequest {
  const headers = new Headers(init.headers);
  if (init.cookie) headers.set("cookie", init.cookie);
  const requestCookies = new RequestCookies(headers);
  let written: string[] = [];
  const store = (init.readOnly
    ? RequestCookiesAdapter.seal(requestCookies)
    : MutableRequestCookiesAdapter.wrap(requestCookies, (cookies) => {
        written = cookies;
      })) as unknown as NextCookieStore;
  const callbacks: (() => void)[] = [];
  return {
    store,
    api: {
      cookies: async () => store,
      headers: async () => new Headers(headers),
      after: (fn) => callbacks.push(fn),
      connection: async () => {},
      route: () => init.route,
    },
    setCookies: () => written,
    finish: () => {
      for (const fn of callbacks.splice(0)) fn();
    },
  };
}

/** `name=value` pairs of `Set-Cookie` lines, as the browser would send them back (deletions dropped). */
export function cookieHeaderFrom(lines: string[], previous = ""): string {
  const jar = new Map<string, string>();
  for (const pair of previous.split(";")) {
    const eq = pair.indexOf("=");
    if (eq > 0) jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
  }
  for (const line of lines) {
    const [pair = ""] = line.split(";");
    const eq = pair.indexOf("=");
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    if (value === "" || /max-age=0/i.test(line)) jar.delete(name);
    else jar.set(name, value);
  }
  return [...jar].map(([name, value]) => `${name}=${value}`).join("; ");
}

/** A request seam over whichever fake request Next is serving now; `serve(request)` switches it. */
export function servingApi(): { api: NextRequestApi; serve(request: FakeRequest): FakeRequest } {
  let current = fakeRequest();
  return {
    api: {
      cookies: () => current.api.cookies(),
      headers: () => current.api.headers(),
      after: (fn) => current.api.after(fn),
      connection: () => current.api.connection(),
      route: () => current.api.route(),
    },
    serve(request) {
      current = request;
      return request;
    },
  };
}
