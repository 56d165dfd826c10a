import { notFound, redirect } from "next/navigation";
import { NextRequest } from "next/server";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { SessionTypes } from "../../generated/sessions.ts";
import config from "../../sessions.schema.ts";
import { SessionStateError } from "../errors.ts";
import { testSatchel } from "../test-support/harness.ts";
import { createNextSessions } from "./create.ts";
import { FLASH_HANDOFF_HEADER } from "./handoff.ts";
import { cookieHeaderFrom, type FakeRequest, fakeRequest } from "./test-support/fake-request.ts";

function setup() {
  const { satchel, store, clock } = testSatchel<SessionTypes>(config);
  let current: FakeRequest = fakeRequest();
  const warnings: string[] = [];
  const next = createNextSessions(satchel, {
    requestApi: {
      cookies: () => current.api.cookies(),
      headers: () => current.api.headers(),
      after: (fn) => current.api.after(fn),
      connection: () => current.api.connection(),
      route: () => current.api.route(),
    },
    warn: (message) => warnings.push(message),
  });
  /** Makes `request` the one Next is serving now. */
  const serve = (request: FakeRequest) => {
    current = request;
    return request;
  };
  return { ...next, satchel, store, clock, serve, warnings };
}

const route = (path: string, init: ConstructorParameters<typeof NextRequest>[1] = {}) =>
  new NextRequest(`https://app.test${path}`, init);

/**
 * The `Set-Cookie` lines the browser gets for a route handler's `response`, merged the way Next merges
 * them: the lines written through `cookies()` first, the response's own winning for the same name.
 */
function sentCookies(response: Response, request: FakeRequest): string[] {
  const own = response.headers.getSetCookie();
  const name = (line: string) => line.slice(0, line.indexOf("="));
  const ownNames = new Set(own.map(name));
  return [...request.setCookies().filter((line) => !ownNames.has(name(line))), ...own];
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("withActionSessions", () => {
  it("saves changed sessions when the action returns", async () => {
    const app = setup();
    const request = app.serve(fakeRequest());
    const action = app.withActionSessions(async (language: "de" | "fr") => {
      const prefs = await app.getSession("prefs");
      prefs.language = language;
      return "done";
    });
    expect(await action("de")).toBe("done");
    expect(request.setCookies().some((line) => line.startsWith("prefs="))).toBe(true);
    // The next request reads what was saved.
    app.serve(fakeRequest({ cookie: cookieHeaderFrom(request.setCookies()), readOnly: true }));
    expect((await app.getSession("prefs")).language).toBe("de");
  });

  it("saves, then rethrows, when the action ends with redirect() or notFound()", async () => {
    for (const end of [() => redirect("/"), () => notFound()]) {
      const app = setup();
      const request = app.serve(fakeRequest());
      const action = app.withActionSessions(async () => {
        const auth = await app.getSession("auth");
        auth.userId = "u1";
        auth.flash.notice.add("Signed in");
        end();
      });
      await expect(action()).rejects.toMatchObject({ digest: expect.stringMatching(/^NEXT_/) });
      const cookie = cookieHeaderFrom(request.setCookies());
      expect(cookie).toMatch(/auth=/);
      app.serve(fakeRequest({ cookie }));
      const auth = await app.getSession("auth");
      expect(auth.userId).toBe("u1");
      expect(auth.flash.notice.read()).toEqual(["Signed in"]);
    }
  });

  it("saves nothing when the action fails with any other error", async () => {
    const app = setup();
    const request = app.serve(fakeRequest());
    const action = app.withActionSessions(async () => {
      const auth = await app.getSession("auth");
      auth.userId = "u1";
      throw new Error("database down");
    });
    await expect(action()).rejects.toThrow("database down");
    expect(request.setCookies()).toEqual([]);
  });
});

describe("withRouteSessions", () => {
  it("saves on return and keeps the handler's response", async () => {
    const app = setup();
    const request = app.serve(fakeRequest());
    const GET = app.withRouteSessions(async (req: NextRequest) => {
      const cart = await app.getSession("cart");
      cart.items = [{ sku: req.nextUrl.searchParams.get("sku") ?? "?", qty: 1 }];
      return new Response("ok", { status: 201 });
    });
    const response = await GET(route("/add?sku=apple"), {});
    expect(response.status).toBe(201);
    expect(await response.text()).toBe("ok");
    // On the response itself, not through cookies() (which costs Next a merge per response).
    expect(request.setCookies()).toEqual([]);
    app.serve(fakeRequest({ cookie: cookieHeaderFrom(sentCookies(response, request)) }));
    expect((await app.getSession("cart")).items).toEqual([{ sku: "apple", qty: 1 }]);
  });

  it("answers a header-borne store session in the response header (no cookie)", async () => {
    const app = setup();
    // Start a cart with a cookie, then use its token the way an API client would.
    const first = app.serve(fakeRequest());
    const GET = app.withRouteSessions(async () => {
      const cart = await app.getSession("cart");
      await cart.update((data) => ({ items: [...data.items, { sku: `n${data.items.length}`, qty: 1 }] }));
      return new Response(cart.items.map((i) => i.sku).join(","));
    });
    const started = await GET(route("/"), {});
    const token = /(?:^|; )cart=([^;]*)/.exec(cookieHeaderFrom(sentCookies(started, first)))?.[1];
    expect(token).toBeTruthy();
    const second = app.serve(fakeRequest({ headers: { "x-cart-session": token as string } }));
    const response = await GET(route("/", { headers: { "x-cart-session": token as string } }), {});
    expect(await response.text()).toBe("n0,n1");
    expect(sentCookies(response, second)).toEqual([]);
    // A garbage token starts a fresh cart whose new token comes back in the header.
    app.serve(fakeRequest({ headers: { "x-cart-session": "garbage" } }));
    const fresh = await GET(route("/", { headers: { "x-cart-session": "garbage" } }), {});
    expect(await fresh.text()).toBe("n0");
    expect(fresh.headers.get("x-cart-session")).toMatch(/^[A-Za-z0-9_-]{20,}$/);
  });

  it("a route handler's response carrying a session token in a header is private, no-store and varies on it", async () => {
    const app = setup();
    const GET = app.withRouteSessions(async () => {
      (await app.getSession("cart")).items.push({ sku: "a", qty: 1 });
      return new Response("ok", { headers: { "cache-control": "public, max-age=600" } });
    });
    app.serve(fakeRequest({ headers: { "x-cart-session": "garbage" } }));
    const response = await GET(route("/", { headers: { "x-cart-session": "garbage" } }), {});
    expect(response.headers.get("x-cart-session")).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(response.headers.get("cache-control")).toBe("private, no-store");
    expect(response.headers.get("vary")).toMatch(/x-cart-session/i);
  });

  it("the proxy's response carrying a session token in a header is private, no-store and varies on it", async () => {
    const app = setup();
    const proxy = app.sessionProxy({
      proxy: async () => {
        (await app.getSession("cart")).items.push({ sku: "a", qty: 1 });
      },
    });
    const response = await proxy(route("/", { headers: { "x-cart-session": "garbage" } }));
    expect(response.headers.get("x-cart-session")).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(response.headers.get("cache-control")).toBe("private, no-store");
    expect(response.headers.get("vary")).toMatch(/x-cart-session/i);
  });

  it("puts its cookies on the handler's response: a copy of an immutable one, never over the handler's own", async () => {
    const app = setup();
    const request = app.serve(fakeRequest());
    const redirecting = app.withRouteSessions(async () => {
      (await app.getSession("prefs")).language = "de";
      return Response.redirect("http://app.test/done", 303); // immutable headers
    });
    const redirected = await redirecting(route("/"), {});
    expect(redirected.status).toBe(303);
    expect(redirected.headers.get("location")).toBe("http://app.test/done");
    expect(request.setCookies()).toEqual([]);
    app.serve(fakeRequest({ cookie: cookieHeaderFrom(redirected.headers.getSetCookie()), readOnly: true }));
    expect((await app.getSession("prefs")).language).toBe("de");

    // A cookie the handler sets itself on its response wins, as when Next merges cookies() in.
    const own = app.serve(fakeRequest());
    const overriding = app.withRouteSessions(async () => {
      (await app.getSession("prefs")).language = "fr";
      (await app.requestSessions()).cookies.set("theme", "dark");
      const response = new Response("ok");
      response.headers.append("set-cookie", "prefs=mine; Path=/");
      return response;
    });
    const lines = sentCookies(await overriding(route("/"), {}), own);
    expect(lines.filter((line) => line.startsWith("prefs="))).toEqual(["prefs=mine; Path=/"]);
    expect(lines.some((line) => line.startsWith("theme=dark;"))).toBe(true);
  });

  it("saves, then rethrows, on redirect(); saves nothing on other errors", async () => {
    const app = setup();
    const ok = app.serve(fakeRequest());
    const redirecting = app.withRouteSessions(async () => {
      (await app.getSession("prefs")).language = "fr";
      redirect("/done");
    });
    await expect(redirecting(route("/"), {})).rejects.toMatchObject({
      digest: expect.stringMatching(/^NEXT_REDIRECT/),
    });
    expect(ok.setCookies().some((line) => line.startsWith("prefs="))).toBe(true);

    const failed = app.serve(fakeRequest());
    const failing = app.withRouteSessions(async () => {
      (await app.getSession("prefs")).language = "fr";
      throw new TypeError("bug");
    });
    await expect(failing(route("/"), {})).rejects.toThrow("bug");
    expect(failed.setCookies()).toEqual([]);
  });

  it("with { csrf: true }, refuses cross-origin or token-less posts with 403 and runs the handler otherwise", async () => {
    const app = setup();
    const page = app.serve(fakeRequest());
    const token = await app.csrfToken();
    const cookie = cookieHeaderFrom(page.setCookies());
    expect(cookie).toMatch(/satchel-csrf=/);
    let ran = 0;
    const POST = app.withRouteSessions(
      async (req: NextRequest) => {
        ran++;
        return new Response(String((await req.formData()).get("item")));
      },
      { csrf: true },
    );
    const post = (headers: Record<string, string>, body: string) => {
      app.serve(fakeRequest({ cookie }));
      return POST(
        route("/items", {
          method: "POST",
          headers: {
            cookie,
            host: "app.test",
            "content-type": "application/x-www-form-urlencoded",
            ...headers,
          },
          body,
        }),
        {},
      );
    };
    const good = await post({ origin: "https://app.test" }, `item=pen&_csrf=${encodeURIComponent(token)}`);
    expect(good.status).toBe(200);
    expect(await good.text()).toBe("pen"); // the handler could still read the body
    const crossSite = await post(
      { origin: "https://evil.example" },
      `item=pen&_csrf=${encodeURIComponent(token)}`,
    );
    expect(crossSite.status).toBe(403);
    expect(await crossSite.text()).toMatch(/^satchel: CSRF check failed: origin/);
    expect((await post({ origin: "http://app.test" }, "item=pen")).status).toBe(403);
    expect((await post({ origin: "http://app.test" }, "item=pen&_csrf=wrong")).status).toBe(403);
    expect((await post({}, `item=pen&_csrf=${encodeURIComponent(token)}`)).status).toBe(403);
    expect(ran).toBe(1);
  });
});

describe("getSession outside the wrappers", () => {
  it("reads in a Server Component and refuses writes, saying where to write instead", async () => {
    const app = setup();
    const writer = app.serve(fakeRequest());
    await app.withActionSessions(async () => {
      (await app.getSession("prefs")).language = "de";
    })();
    app.serve(fakeRequest({ cookie: cookieHeaderFrom(writer.setCookies()), readOnly: true }));
    const prefs = await app.getSession("prefs");
    expect(prefs.language).toBe("de");
    let error: unknown;
    try {
      prefs.language = "fr";
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SessionStateError);
    expect(String((error as Error).message)).toMatch(
      /^satchel: .*Server Component.*server action or route handler/,
    );
  });

  it("keeps one set of sessions per request: the same handle twice, a new one for the next request", async () => {
    const app = setup();
    app.serve(fakeRequest({ readOnly: true }));
    const a = await app.getSession("auth");
    expect(await app.getSession("auth")).toBe(a);
    app.serve(fakeRequest({ readOnly: true }));
    expect(await app.getSession("auth")).not.toBe(a);
  });

  it("in development, warns when an unwrapped request changed a session and never saved it", async () => {
    vi.stubEnv("NODE_ENV", "development");
    const app = setup();
    const unsaved = app.serve(fakeRequest());
    (await app.getSession("cart")).items = [{ sku: "x", qty: 1 }];
    unsaved.finish();
    expect(app.warnings).toHaveLength(1);
    expect(app.warnings[0]).toMatch(/^satchel: session "cart" changed in this request but was never saved/);

    const saved = app.serve(fakeRequest());
    const prefs = await app.getSession("prefs");
    prefs.language = "fr";
    await prefs.save();
    saved.finish();
    expect(app.warnings).toHaveLength(1);
  });

  it("in production, reports a change that cannot be saved once per route, naming it and the wrapper", async () => {
    vi.stubEnv("NODE_ENV", "production");
    const app = setup();
    const change = async (route: string) => {
      const request = app.serve(fakeRequest({ route }));
      (await app.getSession("cart")).items = [{ sku: "x", qty: 1 }];
      request.finish();
    };
    for (let i = 0; i < 3; i++) await change("/api/cart");
    expect(app.warnings).toHaveLength(1);
    expect(app.warnings[0]).toMatch(
      /^satchel: session "cart" changed in this request to \/api\/cart but was never saved/,
    );
    expect(app.warnings[0]).toMatch(/withRouteSessions\(\)/);
    await change("/api/other");
    expect(app.warnings).toHaveLength(2);
  });
});

/** The request headers a proxy response forwards to the render (`NextResponse.next({ request })`). */
function forwardedHeaders(response: Response): Headers {
  const names = response.headers.get("x-middleware-override-headers")?.split(",") ?? [];
  const headers = new Headers();
  for (const name of names) {
    const value = response.headers.get(`x-middleware-request-${name}`);
    if (value !== null) headers.set(name, value);
  }
  return headers;
}

describe("sessionProxy: flash shown once by a Server Component", () => {
  async function flashCookie(app: ReturnType<typeof setup>): Promise<string> {
    const action = app.serve(fakeRequest());
    await app
      .withActionSessions(async () => {
        const auth = await app.getSession("auth");
        auth.userId = "u1";
        auth.flash.notice.add("Successfully logged in as Alice");
        redirect("/");
      })()
      .catch(() => {});
    return cookieHeaderFrom(action.setCookies());
  }

  it("hands the flash to the render and removes it from the cookie in the same response", async () => {
    const app = setup();
    const cookie = await flashCookie(app);
    const proxy = app.sessionProxy();
    const response = await proxy(route("/", { headers: { cookie } }));
    expect(response.headers.get("x-middleware-next")).toBe("1");
    const forwarded = forwardedHeaders(response);
    expect(forwarded.get(FLASH_HANDOFF_HEADER)).toBeTruthy();

    // The render: Next merges the proxy's Set-Cookie into cookies(), and forwards the header.
    const afterProxy = cookieHeaderFrom(response.headers.getSetCookie(), cookie);
    app.serve(fakeRequest({ cookie: afterProxy, headers: forwarded, readOnly: true }));
    const auth = await app.getSession("auth");
    expect(auth.userId).toBe("u1");
    expect(auth.flash.notice.read()).toEqual(["Successfully logged in as Alice"]);

    // Reload: the browser sends the cookie the proxy rewrote; the flash is gone, the login is not.
    const reload = await proxy(route("/", { headers: { cookie: afterProxy } }));
    expect(forwardedHeaders(reload).get(FLASH_HANDOFF_HEADER)).toBeNull();
    app.serve(fakeRequest({ cookie: afterProxy, headers: forwardedHeaders(reload), readOnly: true }));
    const again = await app.getSession("auth");
    expect(again.flash.notice.read()).toEqual([]);
    expect(again.userId).toBe("u1");
  });

  it("drops a hand-off header sent by the client, and the render ignores a forged one", async () => {
    const app = setup();
    const cookie = await flashCookie(app);
    const proxy = app.sessionProxy();
    const real = forwardedHeaders(await proxy(route("/", { headers: { cookie } }))).get(
      FLASH_HANDOFF_HEADER,
    ) as string;

    const injected = await proxy(route("/", { headers: { [FLASH_HANDOFF_HEADER]: real } }));
    expect(forwardedHeaders(injected).get(FLASH_HANDOFF_HEADER)).toBeNull();
    expect(injected.headers.get("x-middleware-override-headers")?.split(",")).not.toContain(
      FLASH_HANDOFF_HEADER,
    );

    // Without the proxy (a path its matcher skips), a forged header must still show nothing.
    const forged = real.slice(0, -3) + (real.endsWith("AAA") ? "BBB" : "AAA");
    app.serve(fakeRequest({ headers: { [FLASH_HANDOFF_HEADER]: forged }, readOnly: true }));
    expect((await app.getSession("auth")).flash.notice.read()).toEqual([]);
  });

  it("answers Next's in-response render of an action redirect with 204 while flash is pending", async () => {
    const app = setup();
    const cookie = await flashCookie(app);
    const response = await app.sessionProxy()(
      route("/", { headers: { cookie, "x-action-redirect": "/;push" } }),
    );
    expect(response.status).toBe(204);
    expect(response.headers.getSetCookie()).toEqual([]); // nothing consumed: the real navigation will
  });

  it("lets your proxy function use sessions; a rotation there is what the render sees", async () => {
    const app = setup();
    const proxy = app.sessionProxy({
      proxy: async () => {
        const prefs = await app.getSession("prefs");
        prefs.language = "fr";
        return undefined;
      },
    });
    const response = await proxy(route("/"));
    // Set through NextResponse cookies, so Next merges them into cookies() for this render.
    expect(response.headers.get("x-middleware-set-cookie")).toMatch(/prefs=/);
    app.serve(fakeRequest({ cookie: cookieHeaderFrom(response.headers.getSetCookie()), readOnly: true }));
    expect((await app.getSession("prefs")).language).toBe("fr");
    // Route handlers read the forwarded Cookie header instead: it carries the new cookie as well.
    app.serve(fakeRequest({ cookie: forwardedHeaders(response).get("cookie") ?? "" }));
    expect((await app.getSession("prefs")).language).toBe("fr");
  });

  it("with { csrf: true }, gives every visitor a token cookie a Server Component can read", async () => {
    const app = setup();
    const response = await app.sessionProxy({ csrf: true })(route("/login"));
    const cookie = cookieHeaderFrom(response.headers.getSetCookie());
    expect(cookie).toMatch(/satchel-csrf=/);
    app.serve(fakeRequest({ cookie, readOnly: true }));
    expect(await app.csrfToken()).toMatch(/^[A-Za-z0-9_-]{86}$/);
    app.serve(fakeRequest({ readOnly: true }));
    await expect(app.csrfToken()).rejects.toThrow(/sessionProxy\(\) in proxy.ts/);
  });
});

/** One request through the proxy, then its render: what the Server Component sees, and the cookie after. */
async function navigate(app: ReturnType<typeof setup>, cookie: string, path = "/") {
  const response = await app.sessionProxy()(route(path, { headers: { cookie } }));
  const forwarded = forwardedHeaders(response);
  const after = cookieHeaderFrom(response.headers.getSetCookie(), cookie);
  app.serve(fakeRequest({ cookie: after, headers: forwarded, readOnly: true }));
  return { cookie: after, handedOff: forwarded.has(FLASH_HANDOFF_HEADER) };
}

describe("flash added by a server action that does not redirect", () => {
  it("does not break the action's re-render, and shows on the next navigation exactly once", async () => {
    const app = setup();
    const action = app.serve(fakeRequest());
    await app.withActionSessions(async () => {
      (await app.getSession("prefs")).language = "de";
      (await app.getSession("auth")).flash.notice.add("Language saved");
    })();
    const cookie = cookieHeaderFrom(action.setCookies());

    // Next re-renders the page in the action's response with read-only cookies() holding the new values.
    app.serve(fakeRequest({ cookie, readOnly: true }));
    const rerender = await app.getSession("auth");
    expect(rerender.flash.notice.read()).toEqual([]);
    expect(rerender.flash.notice.peek()).toEqual([]);
    expect((await app.getSession("prefs")).language).toBe("de");
    await (await app.requestSessions()).commit(); // nothing changed: no read-only write error

    const next = await navigate(app, cookie);
    expect(next.handedOff).toBe(true);
    expect((await app.getSession("auth")).flash.notice.read()).toEqual(["Language saved"]);
    const reload = await navigate(app, next.cookie);
    expect(reload.handedOff).toBe(false);
    expect((await app.getSession("auth")).flash.notice.read()).toEqual([]);
  });
});

describe("sessionProxy: leveled messages shown once by a Server Component", () => {
  async function cartWithMessages(app: ReturnType<typeof setup>, add: (cart: SessionTypes["cart"]) => void) {
    const action = app.serve(fakeRequest());
    await app
      .withActionSessions(async () => {
        const cart = await app.getSession("cart");
        await cart.update((data) => ({ items: [...data.items, { sku: "apple", qty: 1 }] }));
        add(cart);
        redirect("/cart");
      })()
      .catch(() => {});
    return cookieHeaderFrom(action.setCookies());
  }

  it("hands pending messages to the render and removes them from the store; a reload shows none", async () => {
    const app = setup();
    const cookie = await cartWithMessages(app, (cart) => {
      cart.messages.success("Added apple", { title: "Cart" });
      cart.messages.warning("Only 2 left");
    });

    // Without the proxy (or in the action's re-render), a read-only read shows nothing and never throws.
    app.serve(fakeRequest({ cookie, readOnly: true }));
    expect((await app.getSession("cart")).messages.read()).toEqual([]);

    // Next's in-response render of the redirect is refused while messages are pending.
    const inner = await app.sessionProxy()(
      route("/cart", { headers: { cookie, "x-action-redirect": "/cart" } }),
    );
    expect(inner.status).toBe(204);

    const page = await navigate(app, cookie, "/cart");
    expect(page.handedOff).toBe(true);
    const cart = await app.getSession("cart");
    expect(cart.items).toEqual([{ sku: "apple", qty: 1 }]);
    expect(cart.messages.peek()).toHaveLength(2);
    expect(cart.messages.read()).toEqual([
      { level: "success", body: "Added apple", title: "Cart" },
      { level: "warning", body: "Only 2 left" },
    ]);
    expect(cart.messages.read()).toEqual([]);

    const reload = await navigate(app, page.cookie, "/cart");
    expect(reload.handedOff).toBe(false);
    expect((await app.getSession("cart")).messages.read()).toEqual([]);
    expect((await app.getSession("cart")).items).toEqual([{ sku: "apple", qty: 1 }]);
  });

  it("drops messages whose life ran out before the next request", async () => {
    const app = setup();
    const cookie = await cartWithMessages(app, (cart) => {
      cart.messages.info("Short-lived", { life: 10 });
      cart.messages.info("Long-lived", { life: 600 });
    });
    app.clock.advance(30_000);
    await navigate(app, cookie, "/cart");
    expect((await app.getSession("cart")).messages.read()).toEqual([
      { level: "info", body: "Long-lived", life: 600 },
    ]);
  });

  it("a forged hand-off header cannot inject messages", async () => {
    const app = setup();
    const cookie = await cartWithMessages(app, (cart) => cart.messages.error("Card declined"));
    const response = await app.sessionProxy()(route("/cart", { headers: { cookie } }));
    const real = forwardedHeaders(response).get(FLASH_HANDOFF_HEADER) as string;
    const forged = real.slice(0, -3) + (real.endsWith("AAA") ? "BBB" : "AAA");
    app.serve(fakeRequest({ headers: { [FLASH_HANDOFF_HEADER]: forged }, readOnly: true }));
    expect((await app.getSession("cart")).messages.read()).toEqual([]);
  });
});
