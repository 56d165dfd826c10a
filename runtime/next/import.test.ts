/**
 * `importFrom` through the Next.js adapter, with Next's own cookie classes: a visitor carrying a
 * cookie the real iron-session sealed is imported in a route handler and in a server action (the
 * satchel cookie written, the old one expired on the same response) and by `sessionProxy` on a page
 * request; a Server Component alone shows the imported data but writes nothing, so the old cookie
 * stays until a request that can write.
 */
import { sealData } from "iron-session";
import { NextRequest } from "next/server";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defineSessions } from "../define.ts";
import { ironSession } from "../import/iron-session.ts";
import { testClock, testSatchel } from "../test-support/harness.ts";
import { createNextSessions } from "./create.ts";
import { cookieHeaderFrom, fakeRequest } from "./test-support/fake-request.ts";

const PASSWORD = "an-iron-session-password-of-32+chars";
const config = defineSessions({
  auth: {
    storage: "cookie",
    schema: z.object({ userId: z.string().nullable().default(null) }),
    importFrom: ironSession({
      cookieName: "myapp_session",
      password: PASSWORD,
      map: (old: { user?: { id: string } }) => ({ userId: old.user?.id ?? null }),
    }),
  },
});
type Types = { auth: { userId: string | null; $isNew: boolean } };

async function visitorOfTheOldApp() {
  const seal = await sealData({ user: { id: "u1" } }, { password: PASSWORD });
  const warnings: string[] = [];
  const setup = testSatchel<Types>(config, { clock: testClock(Date.now()) });
  const app = (request: ReturnType<typeof fakeRequest>) =>
    createNextSessions(setup.satchel, { requestApi: request.api, warn: (message) => warnings.push(message) });
  return { ...setup, seal, app, warnings, cookie: `myapp_session=${seal}` };
}

const oldCookieExpired = (lines: string[]) =>
  lines.some((line) => line.startsWith("myapp_session=;") && /Max-Age=0/i.test(line));

describe("importFrom in Next.js", () => {
  it("a route handler imports the visitor: satchel cookie and the old cookie's expiry on its response", async () => {
    const { app, cookie, reports } = await visitorOfTheOldApp();
    const request = fakeRequest({ cookie });
    const next = app(request);
    const response = await next.withRouteSessions(async () =>
      Response.json({ userId: (await next.getSession("auth")).userId }),
    )(new NextRequest("http://app.test/api/me", { headers: { cookie } }), {});
    expect(await response.json()).toEqual({ userId: "u1" });
    const lines = response.headers.getSetCookie();
    expect(lines.some((line) => line.startsWith("auth="))).toBe(true);
    expect(oldCookieExpired(lines)).toBe(true);
    expect(reports).toEqual([]);

    // The browser now sends only the satchel cookie, and is still signed in.
    const after = cookieHeaderFrom(lines, cookie);
    expect(after).toMatch(/^auth=[^;]+$/);
    const again = app(fakeRequest({ cookie: after, readOnly: true }));
    expect((await again.getSession("auth")).userId).toBe("u1");
  });

  it("a server action imports the visitor and expires the old cookie", async () => {
    const { app, cookie } = await visitorOfTheOldApp();
    const request = fakeRequest({ cookie });
    const next = app(request);
    const userId = await next.withActionSessions(async () => (await next.getSession("auth")).userId)();
    expect(userId).toBe("u1");
    expect(request.setCookies().some((line) => line.startsWith("auth="))).toBe(true);
    expect(oldCookieExpired(request.setCookies())).toBe(true);
  });

  it("sessionProxy imports on the page request: the render sees the satchel cookie, the old one expires", async () => {
    const { app, cookie } = await visitorOfTheOldApp();
    const next = app(fakeRequest({ cookie }));
    const response = await next.sessionProxy()(new NextRequest("http://app.test/", { headers: { cookie } }));
    const lines = response.headers.getSetCookie();
    expect(lines.some((line) => line.startsWith("auth="))).toBe(true);
    expect(oldCookieExpired(lines)).toBe(true);
    // Next renders the page with the cookies the proxy forwards: the satchel session, signed in.
    const forwarded = response.headers.get("x-middleware-request-cookie") ?? "";
    expect(forwarded).toMatch(/(^|; )auth=/);
    const render = app(fakeRequest({ cookie: forwarded, readOnly: true }));
    expect((await render.getSession("auth")).userId).toBe("u1");
  });

  it("a Server Component shows the imported data, writes nothing and warns of nothing", async () => {
    const { app, cookie, warnings, reports } = await visitorOfTheOldApp();
    const render = fakeRequest({ cookie, readOnly: true });
    const next = app(render);
    const auth = await next.getSession("auth");
    expect(auth.userId).toBe("u1");
    expect(auth.$isNew).toBe(true);
    render.finish();
    expect(warnings).toEqual([]);
    expect(reports).toEqual([]);
    // Nothing was written, so the next writing request imports the same visitor.
    const action = fakeRequest({ cookie });
    const writer = app(action);
    await writer.withActionSessions(async () => (await writer.getSession("auth")).userId)();
    expect(oldCookieExpired(action.setCookies())).toBe(true);
  });
});
