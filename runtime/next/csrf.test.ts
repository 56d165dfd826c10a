/**
 * CSRF attacks on route handlers wrapped with `{ csrf: true }` (issue 12): the token must be bound
 * to the session (new on sign-in, regenerate() and destroy()), masked per render, and the Origin
 * (or Referer) must match scheme, host and port; opaque origins are cross-origin (403, never 500).
 */
import { NextRequest } from "next/server";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { SessionTypes } from "../../generated/sessions.ts";
import config from "../../sessions.schema.ts";
import { testSatchel } from "../test-support/harness.ts";
import { createNextSessions } from "./create.ts";
import { cookieHeaderFrom, fakeRequest, servingApi } from "./test-support/fake-request.ts";

function setup() {
  const { satchel } = testSatchel<SessionTypes>(config);
  const seam = servingApi();
  const next = createNextSessions(satchel, { requestApi: seam.api, warn: () => {} });
  /** Runs `fn` as a server action of a browser holding `cookie`; returns the browser's cookie after. */
  const action = async (cookie: string, fn: () => Promise<void>): Promise<string> => {
    const request = fakeRequest({ cookie });
    seam.serve(request);
    await next.withActionSessions(fn)();
    return cookieHeaderFrom(request.setCookies(), cookie);
  };
  /** A page render (server action context, so the token cookie can be set): the token and the cookie after. */
  const render = async (cookie: string) => {
    let token = "";
    const after = await action(cookie, async () => {
      token = await next.csrfToken();
    });
    return { token, cookie: after };
  };
  const POST = next.withRouteSessions(async () => new Response("done"), { csrf: true });
  const post = (
    cookie: string,
    token: string,
    headers: Record<string, string> = {},
    url = "http://app.test/items",
  ) =>
    POST(
      new NextRequest(url, {
        method: "POST",
        headers: { cookie, origin: new URL(url).origin, "x-csrf-token": token, ...headers },
      }),
      {},
    );
  return { ...next, satchel, action, render, post };
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("CSRF token bound to the session", () => {
  it("is accepted for the session it was made for", async () => {
    const app = setup();
    const { token, cookie } = await app.render("");
    expect((await app.post(cookie, token)).status).toBe(200);
  });

  it("made in the server action that creates the session, verifies when its form is posted", async () => {
    const app = setup();
    let token = "";
    const cookie = await app.action("", async () => {
      (await app.getSession("auth")).userId = "alice";
      (await app.getSession("cart")).items = [{ sku: "tea", qty: 1 }];
      token = await app.csrfToken();
    });
    expect((await app.post(cookie, token)).status).toBe(200);
  });

  it("is masked: every render gives a different token, all valid", async () => {
    const app = setup();
    const first = await app.render("");
    const second = await app.render(first.cookie);
    expect(second.token).not.toBe(first.token);
    expect((await app.post(second.cookie, first.token)).status).toBe(200);
    expect((await app.post(second.cookie, second.token)).status).toBe(200);
  });

  it("is worthless after sign-in with regenerate(), and after destroy()", async () => {
    const app = setup();
    const before = await app.render("");
    const signedIn = await app.action(before.cookie, async () => {
      const auth = await app.getSession("auth");
      auth.userId = "alice";
      await auth.regenerate();
    });
    expect((await app.post(signedIn, before.token)).status).toBe(403);
    const fresh = await app.render(signedIn);
    expect((await app.post(fresh.cookie, fresh.token)).status).toBe(200);
    const signedOut = await app.action(fresh.cookie, async () => {
      await (await app.getSession("auth")).destroy();
    });
    expect((await app.post(signedOut, fresh.token)).status).toBe(403);
  });

  it("an attacker's own cookie and token do not work next to the victim's session", async () => {
    const app = setup();
    const attacker = await app.render("");
    const victim = await app.action("", async () => {
      (await app.getSession("auth")).userId = "victim";
    });
    // The attacker plants their CSRF cookie (say, from a sibling subdomain) and posts their token.
    const csrfCookie = attacker.cookie.split("; ").find((pair) => pair.includes("satchel-csrf")) ?? "";
    expect(csrfCookie).not.toBe("");
    expect((await app.post(`${csrfCookie}; ${victim}`, attacker.token)).status).toBe(403);
  });
});

describe("CSRF Origin check", () => {
  it("needs scheme, host and port to match", async () => {
    const app = setup();
    const { token, cookie } = await app.render("");
    const url = "https://app.test/items";
    expect((await app.post(cookie, token, {}, url)).status).toBe(200);
    expect((await app.post(cookie, token, { origin: "http://app.test" }, url)).status).toBe(403);
    expect((await app.post(cookie, token, { origin: "https://app.test:8443" }, url)).status).toBe(403);
    expect((await app.post(cookie, token, { origin: "https://evil.app.test" }, url)).status).toBe(403);
  });

  it("compares with the Host the browser sent (Next rewrites 127.0.0.1 to localhost in request.url)", async () => {
    const app = setup();
    const { token, cookie } = await app.render("");
    const url = "http://127.0.0.1:3000/items";
    expect(new URL(new NextRequest(url).url).hostname).toBe("localhost");
    const sent = await app.post(cookie, token, { host: "127.0.0.1:3000" }, url);
    expect(sent.status).toBe(200);
    const spoofed = await app.post(
      cookie,
      token,
      { host: "127.0.0.1:3000", origin: "http://localhost:3000" },
      url,
    );
    expect(spoofed.status).toBe(403);
  });

  it("answers 403, never 500, for null and opaque origins in Origin or Referer", async () => {
    const app = setup();
    const { token, cookie } = await app.render("");
    const opaque = [
      "null",
      "about:blank",
      "data:text/html,x",
      "file:///etc/passwd",
      "blob:null/1234",
      "javascript:1",
      "%%%",
    ];
    for (const value of opaque) {
      const viaOrigin = await app.post(cookie, token, { origin: value });
      expect(viaOrigin.status, `Origin: ${value}`).toBe(403);
      const viaReferer = await app.post(cookie, token, { origin: "", referer: value });
      expect(viaReferer.status, `Referer: ${value}`).toBe(403);
    }
  });

  it("trusts X-Forwarded-Proto/-Host only when asked to", async () => {
    const app = setup();
    const { token, cookie } = await app.render("");
    const behindProxy = {
      origin: "https://public.example",
      "x-forwarded-proto": "https",
      "x-forwarded-host": "public.example",
    };
    expect((await app.post(cookie, token, behindProxy)).status).toBe(403);
    const trusting = app.withRouteSessions(async () => new Response("done"), {
      csrf: true,
      trustForwardedHeaders: true,
    });
    const response = await trusting(
      new NextRequest("http://app.test/items", {
        method: "POST",
        headers: { cookie, "x-csrf-token": token, ...behindProxy },
      }),
      {},
    );
    expect(response.status).toBe(200);
  });
});

describe("CSRF cookie", () => {
  it("is __Host- in production, and an old satchel-csrf cookie is moved once", async () => {
    const app = setup();
    vi.stubEnv("NODE_ENV", "development");
    const dev = await app.render("");
    expect(dev.cookie).toMatch(/(^|; )satchel-csrf=/);

    vi.stubEnv("NODE_ENV", "production");
    const fresh = await app.sessionProxy({ csrf: true })(new NextRequest("https://app.test/"));
    const line = fresh.headers.getSetCookie().find((l) => l.includes("satchel-csrf")) ?? "";
    expect(line).toMatch(/^__Host-satchel-csrf=.*; Path=\/; Secure/);
    expect(line).not.toMatch(/Domain/i);

    // The browser holding the cookie under the old name keeps its secret under the new one.
    const moved = await app.sessionProxy({ csrf: true })(
      new NextRequest("https://app.test/", { headers: { cookie: dev.cookie } }),
    );
    const lines = moved.headers.getSetCookie();
    expect(lines.some((l) => l.startsWith("__Host-satchel-csrf="))).toBe(true);
    expect(lines.some((l) => /^satchel-csrf=;.*Max-Age=0/.test(l))).toBe(true);
    const after = cookieHeaderFrom(lines, dev.cookie);
    expect(after).not.toMatch(/(^|; )satchel-csrf=/);
    expect((await app.post(after, dev.token, {}, "https://app.test/items")).status).toBe(200);
  });
});
