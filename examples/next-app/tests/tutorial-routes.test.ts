/**
 * The seeds' tutorial routes over plain HTTP, with a cookie jar like curl's, against the built app
 * served by `next start` (file store in a temporary directory).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { BUILD_AND_START_MS, cookieOf, type RunningApp, startApp, text } from "./app-server.ts";
import { CookieJar } from "./cookie-jar.ts";

// Generous limits: `npm test` may run these next to load tests on a busy 2-core machine.
vi.setConfig({ testTimeout: 120_000 });

let app: RunningApp;

beforeAll(async () => {
  app = await startApp();
}, BUILD_AND_START_MS);

afterAll(async () => {
  await app?.stop();
});

describe("GET /session-test (Tipfy's cart of product names, in the default session)", () => {
  it("appends (duplicates kept), removes the first copy, ignores a missing product", async () => {
    const jar = new CookieJar();
    const get = async (query: string) => text(await jar.fetch(`${app.url}/session-test${query}`));
    expect(await get("")).toBe("The cart is empty.");
    expect(await get("?add-product=foo")).toBe("Products in cart: foo");
    expect(await get("?add-product=bar")).toBe("Products in cart: foo, bar");
    expect(await get("?add-product=foo")).toBe("Products in cart: foo, bar, foo");
    expect(await get("")).toBe("Products in cart: foo, bar, foo");
    expect(await get("?remove-product=baz")).toBe("Products in cart: foo, bar, foo");
    expect(await get("?remove-product=foo")).toBe("Products in cart: bar, foo");
    expect(await get("?remove-product=bar")).toBe("Products in cart: foo");
    expect(await get("?remove-product=foo")).toBe("The cart is empty.");
    expect(await get("?remove-product=foo")).toBe("The cart is empty.");
    // Another client has its own cart.
    expect(await text(await new CookieJar().fetch(`${app.url}/session-test`))).toBe("The cart is empty.");
  });
});

describe("GET /api/cart (the catalog cart, a store session)", () => {
  it("adds and removes products, listing them in the order added", async () => {
    const jar = new CookieJar();
    const get = async (query: string) => text(await jar.fetch(`${app.url}/api/cart${query}`));
    expect(await get("")).toBe("The cart is empty.");
    expect(await get("?add-product=foo")).toBe("Products in cart: foo");
    expect(await get("?add-product=bar")).toBe("Products in cart: foo, bar");
    expect(await get("?remove-product=foo")).toBe("Products in cart: bar");
    expect(await get("?remove-product=bar")).toBe("The cart is empty.");
  });

  it("keeps all of 50 concurrent adds to one cart", async () => {
    const jar = new CookieJar();
    expect(await text(await jar.fetch(`${app.url}/api/cart?add-product=seed`))).toBe(
      "Products in cart: seed",
    );
    const cookie = jar.header();
    const names = Array.from({ length: 50 }, (_, i) => `p${i}`);
    const responses = await Promise.all(
      names.map((name) => fetch(`${app.url}/api/cart?add-product=${name}`, { headers: { cookie } })),
    );
    for (const response of responses) expect(response.status).toBe(200);
    await Promise.all(responses.map((r) => r.arrayBuffer()));
    const listed = (await text(await jar.fetch(`${app.url}/api/cart`)))
      .replace("Products in cart: ", "")
      .split(", ");
    expect(listed[0]).toBe("seed");
    expect(listed).toHaveLength(51);
    expect(new Set(listed)).toEqual(new Set(["seed", ...names]));
  });

  it("carries the cart in the x-cart-session header for clients without cookies", async () => {
    const jar = new CookieJar();
    await text(await jar.fetch(`${app.url}/api/cart?add-product=foo`));
    const token = jar.get(cookieOf("cart")) as string;
    expect(token).toBeTruthy();
    const viaHeader = await fetch(`${app.url}/api/cart?add-product=bar`, {
      headers: { "x-cart-session": token },
    });
    expect(await text(viaHeader)).toBe("Products in cart: foo, bar");
    expect(viaHeader.headers.getSetCookie().filter((c) => c.startsWith(`${cookieOf("cart")}=`))).toEqual([]);
    // An unusable token starts a new cart; its token comes back in the response header.
    const fresh = await fetch(`${app.url}/api/cart?add-product=baz`, {
      headers: { "x-cart-session": "bogus" },
    });
    expect(await text(fresh)).toBe("Products in cart: baz");
    const newToken = fresh.headers.get("x-cart-session") as string;
    expect(newToken).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    const again = await fetch(`${app.url}/api/cart`, { headers: { "x-cart-session": newToken } });
    expect(await text(again)).toBe("Products in cart: baz");
  });
});

describe("GET /flash-test", () => {
  it("says none were set, then shows the flash set by the previous request, once", async () => {
    const jar = new CookieJar();
    const get = async () => text(await jar.fetch(`${app.url}/flash-test`));
    expect(await get()).toBe("No flash messages were set.");
    expect(await get()).toBe("I am a flash message. I was set during the previous request!");
    expect(await get()).toBe("No flash messages were set.");
    expect(await get()).toBe("I am a flash message. I was set during the previous request!");
  });

  it("ignores a flash hand-off header sent by the client", async () => {
    const jar = new CookieJar();
    const forged = await jar.fetch(`${app.url}/flash-test`, {
      headers: { "x-satchel-flash": "v1.e30.AAAA" },
    });
    expect(await text(forged)).toBe("No flash messages were set.");
  });
});

describe("GET /session-key-test", () => {
  it("has no key at first, then reads back what the first request stored", async () => {
    const jar = new CookieJar();
    expect(await text(await jar.fetch(`${app.url}/session-key-test`))).toBe(
      "Session does not have a test key.",
    );
    expect(await text(await jar.fetch(`${app.url}/session-key-test`))).toBe("I am stored in the session!");
    expect(await text(await jar.fetch(`${app.url}/session-key-test`))).toBe("I am stored in the session!");
  });
});

describe("tampered or garbage cookies", () => {
  it("never give a 500: every route answers with a fresh session", async () => {
    const real = new CookieJar();
    await text(await real.fetch(`${app.url}/api/cart?add-product=foo`));
    await text(await real.fetch(`${app.url}/session-key-test`));
    const flip = (value: string) => value.slice(0, 10) + (value[10] === "A" ? "B" : "A") + value.slice(11);
    const [cartName, prefsName, authName] = ["cart", "prefs", "auth"].map(cookieOf);
    const cookies = [
      `${cartName}=garbage; ${prefsName}=%%%; ${authName}=x`,
      "cart=garbage; prefs=%%%; auth=x", // under the names from before the __Host- prefix
      `${cartName}=${flip(real.get(cartName as string) as string)}; ${prefsName}=${flip(real.get(prefsName as string) as string)}`,
      `${cartName}=${real.get(prefsName as string)}`, // a prefs token replayed as cart
      `${authName}=${"A".repeat(5000)}`,
    ];
    for (const cookie of cookies) {
      const cart = await fetch(`${app.url}/api/cart`, { headers: { cookie } });
      expect(await text(cart)).toBe("The cart is empty.");
      const key = await fetch(`${app.url}/session-key-test`, { headers: { cookie } });
      expect(await text(key)).toBe("Session does not have a test key.");
      for (const page of ["/", "/cart", "/login"]) {
        const response = await fetch(`${app.url}${page}`, { headers: { cookie } });
        expect(response.status, `${page} with ${cookie.slice(0, 40)}`).toBe(200);
        await response.arrayBuffer();
      }
    }
  });
});

describe("POST /contact/send (a form-posting route handler with CSRF protection)", () => {
  async function formPage(jar: CookieJar): Promise<string> {
    const page = await jar.fetch(`${app.url}/contact`);
    expect(page.status).toBe(200);
    const token = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1];
    expect(token).toMatch(/^[A-Za-z0-9_-]{43,}$/);
    return token as string;
  }
  const send = (jar: CookieJar, body: string, origin: string | null) =>
    jar.fetch(`${app.url}/contact/send`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", ...(origin ? { origin } : {}) },
      body,
    });

  it("accepts the form with its token from the same origin", async () => {
    const jar = new CookieJar();
    const token = await formPage(jar);
    const response = await send(jar, `name=Ada&_csrf=${token}`, app.url);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("Thanks, Ada. Your message was received.");
  });

  it("refuses a missing or wrong token, a foreign origin, or no origin, with 403", async () => {
    const jar = new CookieJar();
    const token = await formPage(jar);
    for (const [body, origin] of [
      ["name=Eve", app.url],
      ["name=Eve&_csrf=wrong", app.url],
      [`name=Eve&_csrf=${token}`, "https://evil.example"],
      [`name=Eve&_csrf=${token}`, null],
    ] as const) {
      const response = await send(jar, body, origin);
      expect(response.status, `${body} from ${origin}`).toBe(403);
      expect(await response.text()).toMatch(/^satchel: CSRF check failed/);
    }
    // Another visitor's token does not fit this visitor's cookie.
    const other = await formPage(new CookieJar());
    expect((await send(jar, `name=Eve&_csrf=${other}`, app.url)).status).toBe(403);
  });
});

describe("a session changed in proxy.ts", () => {
  it("is what the page rendered for the same request sees (?lang=de), and is kept", async () => {
    const jar = new CookieJar();
    const first = await jar.fetch(`${app.url}/cart?lang=de`);
    expect(first.status).toBe(200);
    const html = await first.text();
    expect(html).toMatch(/lang="de" data-testid="app"/);
    expect(html).toContain("Ihr Warenkorb ist leer.");
    const again = await (await jar.fetch(`${app.url}/cart`)).text();
    expect(again).toMatch(/lang="de" data-testid="app"/);
    // Route handlers see it too (they read the Cookie header the proxy forwards).
    await text(await jar.fetch(`${app.url}/session-key-test?lang=fr`));
    expect(await (await jar.fetch(`${app.url}/`)).text()).toMatch(/lang="fr" data-testid="app"/);
  });
});
