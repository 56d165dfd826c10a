/**
 * Every example of the seeds (Tipfy, TurboGears, Pylons/Beaker) at its path, with its exact text, over
 * plain HTTP against the built app (`next start`, embedded file store in a temporary directory).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { BUILD_AND_START_MS, cookieOf, type RunningApp, startApp, text } from "./app-server.ts";
import { CookieJar } from "./cookie-jar.ts";

vi.setConfig({ testTimeout: 120_000 });

let app: RunningApp;

beforeAll(async () => {
  app = await startApp();
}, BUILD_AND_START_MS);

afterAll(async () => {
  await app?.stop();
});

const visit = async (jar: CookieJar, path: string, init?: RequestInit) =>
  text(await jar.fetch(`${app.url}${path}`, init));

describe("Tipfy", () => {
  it("/session-foo: not set on the first visit, then bar", async () => {
    const jar = new CookieJar();
    expect(await visit(jar, "/session-foo")).toBe("Session was not set!");
    expect(await visit(jar, "/session-foo")).toBe("bar");
    expect(await visit(jar, "/session-foo")).toBe("bar");
  });

  it("/sessions/quick-start sets foo = bar in the default session", async () => {
    const jar = new CookieJar();
    expect(await visit(jar, "/sessions/quick-start")).toBe("testing sessions");
    expect(jar.get(cookieOf("session"))).toBeTruthy();
    expect(await visit(jar, "/session-foo")).toBe("bar");
  });

  it("/sessions/multiple sets foo = bar in the cart, a store session, in the same request", async () => {
    const jar = new CookieJar();
    expect(await visit(jar, "/sessions/multiple")).toBe("testing multiple sessions");
    // A store session: the cookie is a sealed id, the data is in the store.
    expect(jar.get(cookieOf("cart"))).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(await visit(jar, "/sessions/multiple")).toBe("testing multiple sessions");
  });

  it("/sessions/flash adds a flash and consumes the ones set earlier", async () => {
    const jar = new CookieJar();
    const flash = async () => {
      const response = await jar.fetch(`${app.url}/sessions/flash`);
      return [await text(response), response.headers.get("x-flashes-read")];
    };
    expect(await flash()).toEqual(["testing flash messages", "0"]);
    expect(await flash()).toEqual(["testing flash messages", "1"]);
    expect(await flash()).toEqual(["testing flash messages", "1"]);
  });

  it("/sessions/cookies sets key=value and deletes another_key", async () => {
    const jar = new CookieJar();
    jar.set("another_key", "old");
    const response = await jar.fetch(`${app.url}/sessions/cookies`);
    expect(await text(response)).toBe("testing cookies");
    const setCookies = response.headers.getSetCookie();
    expect(setCookies.some((line) => line.startsWith("key=value;"))).toBe(true);
    expect(setCookies.some((line) => /^another_key=;.*Max-Age=0/i.test(line))).toBe(true);
    expect(jar.get("key")).toBe("value");
    expect(jar.get("another_key")).toBeUndefined();
  });

  it("/memcache-session-test: no key, then the value stored in the memcache session", async () => {
    const jar = new CookieJar();
    expect(await visit(jar, "/memcache-session-test")).toBe("Session does not have a test key.");
    expect(await visit(jar, "/memcache-session-test")).toBe("I am stored in the memcache session!");
    expect(jar.get(cookieOf("memcache"))).toBeTruthy();
  });

  it("/messages-test: none, then the success message with its level, once", async () => {
    const jar = new CookieJar();
    expect(await visit(jar, "/messages-test")).toContain("No messages were set.");
    expect(await visit(jar, "/messages-test")).toBe("success: This is a success message set using flash.");
    expect(await visit(jar, "/messages-test")).toContain("No messages were set.");
  });

  it("/cookie-test: none, then the value of the plain cookie test", async () => {
    const jar = new CookieJar();
    expect(await visit(jar, "/cookie-test")).toBe("No cookies were set.");
    expect(decodeURIComponent(jar.get("test") ?? "")).toBe("I am stored in a cookie!");
    expect(await visit(jar, "/cookie-test")).toBe("I am stored in a cookie!");
  });

  it("/secure-cookie-test: a sealed dictionary in my_cookie_name, not readable in clear", async () => {
    const jar = new CookieJar();
    expect(await visit(jar, "/secure-cookie-test")).toBe("No message was stored in the secure cookie.");
    const sealed = jar.get(cookieOf("my_cookie_name")) as string;
    expect(sealed).toBeTruthy();
    const decoded = Buffer.from(sealed, "base64url").toString("latin1");
    expect(decoded).not.toContain("stored");
    expect(sealed).not.toContain("stored");
    expect(await visit(jar, "/secure-cookie-test")).toBe("I am stored in a secure cookie!");
    // Tampered: a fresh, empty dictionary, not an error.
    jar.set(cookieOf("my_cookie_name"), `${sealed.slice(0, -2)}AA`);
    expect(await visit(jar, "/secure-cookie-test")).toBe("No message was stored in the secure cookie.");
  });

  it("/mixins-test sets foo in my_cookie_name and baz in the session", async () => {
    const jar = new CookieJar();
    expect(await visit(jar, "/mixins-test")).toBe("Session mixins are yummy!");
    expect(jar.get(cookieOf("my_cookie_name"))).toBeTruthy();
    expect(jar.get(cookieOf("session"))).toBeTruthy();
  });
});

describe("TurboGears", () => {
  it("/tg-session saves explicitly; /tg-session/delete deletes it", async () => {
    const jar = new CookieJar();
    expect(await visit(jar, "/tg-session")).toBe("mysuperkey is not set.");
    expect(await visit(jar, "/tg-session")).toBe("some python data I need to store");
    expect(await visit(jar, "/tg-session")).toBe("some python data I need to store");
    expect(await visit(jar, "/tg-session/delete")).toBe("The session was deleted.");
    expect(jar.get(cookieOf("tg"))).toBeUndefined();
    expect(await visit(jar, "/tg-session")).toBe("mysuperkey is not set.");
  });
});

describe("Pylons", () => {
  it("/pylons/protected: not signed in → flash 'Please login', redirect to /login, shown once", async () => {
    const jar = new CookieJar();
    const response = await jar.fetch(`${app.url}/pylons/protected`);
    expect(response.status).toBe(307);
    expect(new URL(response.headers.get("location") as string, app.url).pathname).toBe("/login");
    const login = await (await jar.fetch(`${app.url}/login`)).text();
    expect(login).toMatch(/data-testid="flash-error"[^>]*>Please login</);
    const again = await (await jar.fetch(`${app.url}/login`)).text();
    expect(again).not.toContain("Please login");
  });
});

describe("Beaker without cookies", () => {
  it("/no-cookie-session: the id travels in x-session-id, never in a cookie", async () => {
    const first = await fetch(`${app.url}/no-cookie-session`, { headers: { "x-session-id": "new" } });
    expect(await text(first)).toBe("fred is not set.");
    expect(first.headers.getSetCookie()).toEqual([]);
    const id = first.headers.get("x-session-id") as string;
    expect(id).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    const second = await fetch(`${app.url}/no-cookie-session`, { headers: { "x-session-id": id } });
    expect(await text(second)).toBe("fred = 42");
    expect(second.headers.getSetCookie()).toEqual([]);
    // Another client starts its own.
    const other = await fetch(`${app.url}/no-cookie-session`, { headers: { "x-session-id": "new" } });
    expect(await text(other)).toBe("fred is not set.");
  });
});

describe("the inspector at /_satchel", () => {
  it("shows the sessions without consuming flash, and refuses a post without the CSRF token", async () => {
    const jar = new CookieJar();
    await visit(jar, "/sessions/flash");
    const page = await jar.fetch(`${app.url}/_satchel`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("satchel inspector");
    expect(html).toContain("I am a flash message!");
    // Looking did not consume the flash: the tutorial still reads it.
    const flash = await jar.fetch(`${app.url}/sessions/flash`);
    expect(flash.headers.get("x-flashes-read")).toBe("1");
    await flash.arrayBuffer();
    const forged = await jar.fetch(`${app.url}/_satchel`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: app.url },
      body: "action=destroy&session=session",
    });
    expect(forged.status).toBe(403);
    // Not destroyed: the flash the previous visit added is still there to read.
    const after = await jar.fetch(`${app.url}/sessions/flash`);
    expect(after.headers.get("x-flashes-read")).toBe("1");
    await after.arrayBuffer();
  });
});
