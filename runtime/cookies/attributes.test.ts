/**
 * Issue 22 item 6: cookie attributes the peers get right (jshttp/cookie's and express-session's own
 * test suites, run against satchel). Browsers silently drop a `SameSite=None` cookie without Secure and
 * a `Partitioned` one without Secure, cap Max-Age at 400 days, and never match a path holding
 * characters a URL path must %-encode; jshttp/cookie refuses a fractional Max-Age. Each is refused
 * with a message (or, for Max-Age on a plain cookie, capped as the browser would) instead of becoming
 * a cookie that silently does something else.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { defineSessions } from "../define.ts";
import { SatchelConfigError, SatchelError } from "../errors.ts";
import { CookieClient, testSatchel } from "../test-support/harness.ts";
import type { SessionHandle } from "../types.ts";
import { serializeCookie } from "./header.ts";

const DAYS_400 = 400 * 24 * 60 * 60;
const schema = z.object({ user: z.string().nullable().default(null) });
type Handle = SessionHandle<z.output<typeof schema>>;

afterEach(() => vi.unstubAllEnvs());

describe("serializeCookie refuses what browsers drop", () => {
  it("SameSite=None without Secure", () => {
    expect(() => serializeCookie("foo", "bar", { sameSite: "none" })).toThrow(SatchelError);
    expect(() => serializeCookie("foo", "bar", { sameSite: "none" })).toThrow(
      /SameSite=None without Secure.*secure: true/,
    );
    expect(serializeCookie("foo", "bar", { sameSite: "none", secure: true })).toBe(
      "foo=bar; Secure; SameSite=None",
    );
  });

  it("a fractional maxAge (jshttp/cookie: 'should throw when max-age is not an integer')", () => {
    expect(() => serializeCookie("foo", "bar", { maxAge: 3.14 })).toThrow(/maxAge must be a whole number/);
    expect(serializeCookie("foo", "bar", { maxAge: 1000 })).toBe("foo=bar; Max-Age=1000");
    expect(serializeCookie("foo", "bar", { maxAge: 0 })).toBe("foo=bar; Max-Age=0");
  });

  it("a Max-Age past 400 days is sent as 400 days, the most browsers keep", () => {
    expect(serializeCookie("foo", "bar", { maxAge: 10 * 365 * 24 * 3600 })).toBe(
      `foo=bar; Max-Age=${DAYS_400}`,
    );
  });

  it.each(['/login"><script>alert(1)</script>', '/a"b', "/a<b", "/a>b", "/\n", "/; Path=/x"])(
    "a path holding %j, which a URL path never holds raw",
    (path) => {
      expect(() => serializeCookie("foo", "bar", { path })).toThrow(/option path/);
    },
  );

  it("Partitioned (CHIPS) without Secure", () => {
    expect(() => serializeCookie("foo", "bar", { partitioned: true })).toThrow(/Partitioned.*Secure/);
    expect(serializeCookie("foo", "bar", { partitioned: true, secure: true })).toBe(
      "foo=bar; Secure; Partitioned",
    );
  });
});

describe("plain cookies (sessions.cookies)", () => {
  function plainApp(options: Record<string, unknown>) {
    const config = defineSessions({ auth: { storage: "cookie", schema } });
    const { satchel } = testSatchel<{ auth: Handle }>(config);
    return new CookieClient(
      satchel.handle(async (_request, sessions) => {
        sessions.cookies.set("theme", "dark", options);
        return new Response("ok");
      }),
    );
  }

  it("sameSite: 'none' in development (not Secure by default) is refused where it is set", async () => {
    vi.stubEnv("NODE_ENV", "development");
    await expect(plainApp({ sameSite: "none" }).fetch("/")).rejects.toThrow(/SameSite=None without Secure/);
  });

  it("partitioned: true gives a Partitioned, Secure cookie", async () => {
    const client = plainApp({ partitioned: true, sameSite: "none" });
    await client.fetch("/");
    expect(client.lastSetCookie[0]).toMatch(/; Secure;.*; Partitioned/);
  });
});

describe("session cookie definitions", () => {
  const define = (session: Record<string, unknown>) => () =>
    defineSessions({ auth: { storage: "cookie", schema, ...session } });

  it("a persistent absolute expiry over 400 days is refused, naming the limit", () => {
    expect(define({ expiry: { absolute: "401d" } })).toThrow(SatchelConfigError);
    expect(define({ expiry: { absolute: "401d" } })).toThrow(/400 days/);
    expect(define({ storage: "store", expiry: { absolute: "60w" } })).toThrow(/400 days/);
    expect(define({ expiry: { absolute: "400d" } })).not.toThrow();
    // A browser-session cookie carries no Max-Age: the sealed expiry alone ends it.
    expect(define({ expiry: { absolute: "60w" }, cookie: { persistent: false } })).not.toThrow();
  });

  it("sameSite: 'none' without Secure is refused", () => {
    expect(define({ cookie: { sameSite: "none", secure: false } })).toThrow(/SameSite=None without Secure/);
  });

  it.each(['/a"b', "/a<b", "/a>b", "/a;b"])("a cookie.path of %j is refused", (path) => {
    expect(define({ cookie: { path } })).toThrow(/cookie\.path/);
  });

  it("partitioned: true (CHIPS) puts Partitioned on the session's cookie; without Secure it is refused", async () => {
    expect(define({ cookie: { partitioned: true, secure: false } })).toThrow(/cookie\.partitioned.*Secure/);
    const config = defineSessions({
      auth: { storage: "cookie", schema, cookie: { partitioned: true, sameSite: "none" } },
      cart: { storage: "store", schema, cookie: { partitioned: true } },
    });
    const { satchel } = testSatchel<{ auth: Handle; cart: Handle }>(config);
    const client = new CookieClient(
      satchel.handle(async (request, sessions) => {
        const name = new URL(request.url).pathname.slice(1) as "auth" | "cart";
        (await sessions.get(name)).user = "u1";
        return new Response("ok");
      }),
    );
    for (const name of ["auth", "cart"]) {
      await client.fetch(`/${name}`);
      expect(client.lastSetCookie).toHaveLength(1);
      expect(client.lastSetCookie[0]).toMatch(new RegExp(`^${name}=.*; Secure;.*; Partitioned`));
    }
  });
});

describe('secure: "auto" follows the request\'s scheme', () => {
  function autoApp(trustForwardedHeaders?: boolean) {
    const config = defineSessions({
      auth: { storage: "cookie", schema, cookie: { secure: "auto" } },
      cart: { storage: "store", schema, cookie: { secure: "auto" } },
    });
    const setup = testSatchel<{ auth: Handle; cart: Handle }>(
      config,
      trustForwardedHeaders === undefined ? {} : { trustForwardedHeaders },
    );
    const app = setup.satchel.handle(async (request, sessions) => {
      const name = new URL(request.url).pathname.slice(1);
      if (name === "plain") sessions.cookies.set("theme", "dark", { secure: "auto" });
      else (await sessions.get(name as "auth" | "cart")).user = "u1";
      return new Response("ok");
    });
    return async (url: string, headers: Record<string, string> = {}) =>
      (await app(new Request(url, { headers }))).headers.getSetCookie();
  }

  it.each(["auth", "cart", "plain"])("%s: Secure over https, not over plain http", async (name) => {
    const send = autoApp();
    const secure = await send(`https://app.example.com/${name}`);
    expect(secure).toHaveLength(1);
    expect(secure[0]).toMatch(/; Secure/);
    const plain = await send(`http://app.example.com/${name}`);
    expect(plain).toHaveLength(1);
    expect(plain[0]).not.toMatch(/; Secure/);
  });

  it("X-Forwarded-Proto counts only with trustForwardedHeaders", async () => {
    const forwarded = { "x-forwarded-proto": "https" };
    expect((await autoApp()("http://app.example.com/auth", forwarded))[0]).not.toMatch(/; Secure/);
    expect((await autoApp(true)("http://app.example.com/auth", forwarded))[0]).toMatch(/; Secure/);
    // A proxy that says http is believed too.
    const down = { "x-forwarded-proto": "http" };
    expect((await autoApp(true)("https://app.example.com/auth", down))[0]).not.toMatch(/; Secure/);
  });

  it('"auto" cannot go with what needs Secure: sameSite "none", partitioned, hostPrefix', () => {
    for (const cookie of [
      { secure: "auto", sameSite: "none" },
      { secure: "auto", partitioned: true },
      { secure: "auto", hostPrefix: true },
    ]) {
      expect(() => defineSessions({ auth: { storage: "cookie", schema, cookie } as never })).toThrow(
        SatchelConfigError,
      );
    }
  });
});

describe("a new store session whose only cookie the browser would drop is not stored", () => {
  function storeApp() {
    const config = defineSessions({ cart: { storage: "store", schema, header: "x-cart-session" } });
    const setup = testSatchel<{ cart: Handle }>(config);
    const app = setup.satchel.handle(async (_request, sessions) => {
      const cart = await sessions.get("cart");
      cart.user = "u1";
      return Response.json({ user: cart.user });
    });
    return { app, store: setup.store };
  }

  it("a Secure cookie over plain http to another host: no record, no cookie, the request still works", async () => {
    const { app, store } = storeApp();
    const writes: string[] = [];
    const compareAndSet = store.compareAndSet.bind(store);
    store.compareAndSet = async (key, ...rest) => {
      writes.push(key);
      return compareAndSet(key, ...rest);
    };
    const response = await app(new Request("http://app.example.com/"));
    expect(await response.json()).toEqual({ user: "u1" });
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(writes).toEqual([]);

    // Over https, over plain http to localhost (browsers keep Secure cookies there), and by header,
    // the record is written as usual.
    for (const [url, headers] of [
      ["https://app.example.com/", {}],
      ["http://localhost:3000/", {}],
      ["http://127.0.0.1:3000/", {}],
      ["http://app.example.com/", { "x-cart-session": "new" }],
    ] as const) {
      const before = writes.length;
      await app(new Request(url, { headers }));
      expect(writes.length, url).toBe(before + 1);
    }
  });
});
