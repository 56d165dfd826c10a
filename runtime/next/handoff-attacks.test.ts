/**
 * Attacks on the flash hand-off header (issue 12). Only `sessionProxy()` may make one, for the
 * request it runs for; a copy a client sends — forged, replayed later, replayed with other cookies,
 * or slipped past the proxy on a path it does not strip — must show nothing.
 */
import { redirect } from "next/navigation";
import { NextRequest, NextResponse } from "next/server";
import superjson from "superjson";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { SessionTypes } from "../../generated/sessions.ts";
import config from "../../sessions.schema.ts";
import { memoryCookieJar } from "../cookies/header.ts";
import { testSatchel } from "../test-support/harness.ts";
import { createNextSessions } from "./create.ts";
import { FLASH_HANDOFF_HEADER } from "./handoff.ts";
import { cookieHeaderFrom, fakeRequest, servingApi } from "./test-support/fake-request.ts";

const NOTICE = "Signed in as Alice, secret-ish detail 4711";

function setup() {
  const { satchel } = testSatchel<SessionTypes>(config);
  const seam = servingApi();
  const next = createNextSessions(satchel, { requestApi: seam.api, warn: () => {} });
  const serve = seam.serve;
  return { ...next, satchel, serve };
}

const route = (path: string, init: ConstructorParameters<typeof NextRequest>[1] = {}) =>
  new NextRequest(`http://app.test${path}`, init);

/** The request headers a proxy response forwards to the render (`x-middleware-request-*`). */
function forwardedHeaders(response: Response): Headers {
  const names = response.headers.get("x-middleware-override-headers")?.split(",") ?? [];
  const headers = new Headers();
  for (const name of names) {
    const value = response.headers.get(`x-middleware-request-${name}`);
    if (value !== null) headers.set(name, value);
  }
  return headers;
}

/** A browser that just signed in with a flash pending, and the proxy's genuine hand-off for it. */
async function genuineHandoff(app: ReturnType<typeof setup>) {
  const action = fakeRequest();
  app.serve(action);
  await app
    .withActionSessions(async () => {
      const auth = await app.getSession("auth");
      auth.userId = "alice";
      auth.flash.notice.add(NOTICE);
      redirect("/");
    })()
    .catch(() => {});
  const cookie = cookieHeaderFrom(action.setCookies());
  const forwarded = forwardedHeaders(await app.sessionProxy()(route("/", { headers: { cookie } })));
  const value = forwarded.get(FLASH_HANDOFF_HEADER);
  if (value === null) throw new Error("the proxy made no hand-off");
  return { forwarded, value, cookie: forwarded.get("cookie") ?? "" };
}

/** What a Server Component render shows for `headers`. */
async function rendered(app: ReturnType<typeof setup>, headers: Headers): Promise<unknown[]> {
  app.serve(fakeRequest({ cookie: headers.get("cookie") ?? "", headers, readOnly: true }));
  return (await app.getSession("auth")).flash.notice.read();
}

afterEach(() => {
  vi.useRealTimers();
});

describe("the flash hand-off header", () => {
  it("reaches the render it was made for", async () => {
    const app = setup();
    const { forwarded } = await genuineHandoff(app);
    expect(await rendered(app, forwarded)).toEqual([NOTICE]);
  });

  it("is encrypted: the flash cannot be read from it", async () => {
    const app = setup();
    const { value } = await genuineHandoff(app);
    const decoded = value
      .split(/[.~]/)
      .map((part) => Buffer.from(part, "base64url").toString("latin1"))
      .join("|");
    expect(decoded).not.toContain("Alice");
    expect(value).not.toContain("Alice");
  });

  it("cannot be forged with the plain signed-cookie key", async () => {
    const app = setup();
    const body = Buffer.from(
      superjson.stringify({ t: Date.now(), f: { auth: { notice: ["injected"] } } }),
    ).toString("base64url");
    const jar = memoryCookieJar();
    await app.satchel.open(jar).cookies.setSigned(FLASH_HANDOFF_HEADER, body);
    const forged = jar.get(FLASH_HANDOFF_HEADER) as string;
    expect(await rendered(app, new Headers({ [FLASH_HANDOFF_HEADER]: forged }))).toEqual([]);
  });

  it("is refused with other cookies (another session), by a Server Component and a route handler", async () => {
    const app = setup();
    const { value } = await genuineHandoff(app);
    expect(await rendered(app, new Headers({ [FLASH_HANDOFF_HEADER]: value }))).toEqual([]);
    let shown: unknown[] = ["not run"];
    await app.withRouteSessions(async () => {
      shown = (await app.getSession("auth")).flash.notice.read();
      return new Response();
    })(route("/api", { headers: { [FLASH_HANDOFF_HEADER]: value, cookie: "other=1" } }), {});
    expect(shown).toEqual([]);
  });

  it("is valid for a few seconds only, and never from the future", async () => {
    const app = setup();
    vi.useFakeTimers({ toFake: ["Date"] });
    const start = Date.now();
    const { forwarded } = await genuineHandoff(app);
    vi.setSystemTime(start + 10_000);
    expect(await rendered(app, forwarded)).toEqual([]);
    vi.setSystemTime(start - 2_000);
    expect(await rendered(app, forwarded)).toEqual([]);
  });

  it("is not forwarded when your proxy function answers with a rewrite", async () => {
    const app = setup();
    const { value, cookie } = await genuineHandoff(app);
    const proxy = app.sessionProxy({
      proxy: () => NextResponse.rewrite(new URL("/elsewhere", "http://app.test")),
    });
    const response = await proxy(route("/", { headers: { cookie, [FLASH_HANDOFF_HEADER]: value } }));
    expect(response.headers.get("x-middleware-rewrite")).toContain("/elsewhere");
    // Next sends the rewritten request with the client's headers unless the response overrides them.
    const overrides = response.headers.get("x-middleware-override-headers");
    expect(overrides).not.toBeNull();
    expect(overrides?.split(",")).not.toContain(FLASH_HANDOFF_HEADER);
    expect(forwardedHeaders(response).get("cookie")).toBe(cookie);
  });
});
