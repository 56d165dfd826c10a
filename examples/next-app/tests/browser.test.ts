/**
 * End to end in a real browser: Debian's Chromium driven by playwright-core, against the built app
 * served by `next start`. Server actions, redirects, the proxy's flash hand-off and cookies all run
 * exactly as they do for a user.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { startRedis } from "../../../runtime/stores/test-support/servers.ts";
import { launchChromium } from "../../test-support/chromium.ts";
import { BUILD_AND_START_MS, cookieOf, type RunningApp, startApp } from "./app-server.ts";

// Generous limits: `npm test` may run these next to load tests on a busy 2-core machine.
vi.setConfig({ testTimeout: 120_000 });
const STEP_TIMEOUT_MS = 45_000;
const POLL = { timeout: STEP_TIMEOUT_MS, interval: 100 };

let app: RunningApp;
let browser: Browser;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  app = await startApp();
  browser = await launchChromium();
}, BUILD_AND_START_MS);

afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

beforeEach(async () => {
  context = await browser.newContext({ baseURL: app.url });
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  page = await context.newPage();
});

afterEach(async () => {
  await context?.close();
});

async function logIn(username: string, password: string): Promise<void> {
  await page.goto("/login");
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
}

const flash = () => page.getByTestId("flash");
const messages = () => page.getByTestId("message");

describe("login", () => {
  it("signs in, shows the flash once on /, and not again after a reload", async () => {
    await logIn("alice", "wonderland");
    await page.waitForURL(`${app.url}/`);
    await expect.poll(() => flash().allTextContents(), POLL).toEqual(["Successfully logged in as alice"]);
    expect(await page.getByTestId("signed-in").textContent()).toContain("Alice");
    expect(await page.getByTestId("user").textContent()).toBe("Alice");

    await page.reload();
    await page.getByTestId("signed-in").waitFor();
    expect(await flash().count()).toBe(0);
    expect(await page.getByTestId("signed-in").textContent()).toContain("Alice");

    // The auth cookie is HttpOnly: scripts on the page cannot read it.
    const auth = (await context.cookies()).find((c) => c.name === cookieOf("auth"));
    expect(auth?.httpOnly).toBe(true);
    expect(await page.evaluate(() => document.cookie)).not.toContain(`${cookieOf("auth")}=`);
  });

  it("flashes 'Invalid username/password' on /login for a wrong password, once", async () => {
    await logIn("alice", "wrong");
    await page.waitForURL(`${app.url}/login`);
    await expect
      .poll(() => page.getByTestId("flash-error").allTextContents())
      .toEqual(["Invalid username/password"]);
    await page.reload();
    await page.getByLabel("Username").waitFor();
    expect(await page.getByTestId("flash-error").count()).toBe(0);
    await page.goto("/");
    await page.getByTestId("signed-out").waitFor();
  });

  it("logs out: auth is cleared and a notice flashed", async () => {
    await logIn("bob", "builder");
    await page.waitForURL(`${app.url}/`);
    await page.getByTestId("signed-in").waitFor();
    await page.getByRole("button", { name: "Log out" }).click();
    await page.getByTestId("signed-out").waitFor();
    await expect
      .poll(() => flash().allTextContents(), POLL)
      .toEqual(["Goodbye, Bob. You have been logged out."]);
    await page.reload();
    await page.getByTestId("signed-out").waitFor();
    expect(await flash().count()).toBe(0);
    expect(await page.getByTestId("user").count()).toBe(0);
  });
});

describe("remember me", () => {
  /** Signs in with the checkbox as given; the auth cookie's Set-Cookie line of the sign-in response. */
  async function signIn(remember: boolean): Promise<string> {
    await page.goto("/login");
    await page.getByLabel("Username").fill("alice");
    await page.getByLabel("Password").fill("wonderland");
    await page.getByLabel("Remember me for 30 days").setChecked(remember);
    const posted = page.waitForResponse((r) => r.request().method() === "POST" && r.url().endsWith("/login"));
    await page.getByRole("button", { name: "Log in" }).click();
    const headers = await (await posted).headersArray();
    await page.getByTestId("signed-in").waitFor();
    const lines = headers
      .filter((h) => h.name.toLowerCase() === "set-cookie")
      .flatMap((h) => h.value.split("\n"));
    return lines.find((line) => line.startsWith(`${cookieOf("auth")}=`)) ?? "";
  }
  const authCookie = async () => (await context.cookies()).find((c) => c.name === cookieOf("auth"));

  it("checked: a persistent auth cookie for 30 days (Max-Age=2592000)", async () => {
    const before = Date.now() / 1000;
    const line = await signIn(true);
    expect(line).toMatch(/; Max-Age=2592000(;|$)/);
    const expires = (await authCookie())?.expires ?? -1;
    expect(expires).toBeGreaterThanOrEqual(before + 30 * 86_400 - 5);
    expect(expires).toBeLessThanOrEqual(Date.now() / 1000 + 30 * 86_400 + 5);
    // Still a persistent cookie after the next page's requests.
    await page.goto("/cart");
    expect((await authCookie())?.expires).toBeGreaterThan(before + 29 * 86_400);
  });

  it("unchecked: a browser-session cookie (no Max-Age, no Expires)", async () => {
    const line = await signIn(false);
    expect(line).not.toBe("");
    expect(line).not.toMatch(/Max-Age|Expires/i);
    expect((await authCookie())?.expires).toBe(-1);
    await page.goto("/cart");
    expect((await authCookie())?.expires).toBe(-1);
    expect(await page.getByTestId("user").textContent()).toBe("Alice");
  });
});

describe("cart", () => {
  it("adds and removes products with server actions; the count in the header follows", async () => {
    await page.goto("/cart");
    await page.getByTestId("cart-empty").waitFor();
    expect(await page.getByTestId("cart-count").textContent()).toBe("0");
    await page.getByTestId("add-apple").click();
    await expect.poll(() => page.getByTestId("cart-count").textContent(), POLL).toBe("1");
    await page.getByTestId("add-bread").click();
    await expect.poll(() => page.getByTestId("cart-count").textContent(), POLL).toBe("2");
    // Each action's message shows once, in the page it redirected to; a reload shows none.
    await expect.poll(() => messages().allTextContents(), POLL).toEqual(["Added Bread to your cart."]);
    await page.reload();
    await page.getByTestId("cart-items").waitFor();
    expect(await messages().count()).toBe(0);
    await page.getByTestId("add-apple").click();
    await expect.poll(() => page.getByTestId("cart-count").textContent(), POLL).toBe("3");
    expect(await page.getByTestId("cart-items").locator("li").allTextContents()).toEqual([
      expect.stringContaining("Apple × 2"),
      expect.stringContaining("Bread"),
    ]);
    await page.getByTestId("remove-apple").click();
    await expect.poll(() => page.getByTestId("cart-count").textContent(), POLL).toBe("1");
    await expect.poll(() => messages().allTextContents(), POLL).toEqual(["Removed Apple from your cart."]);
    // Kept across a reload and on other pages.
    await page.goto("/");
    expect(await page.getByTestId("cart-count").textContent()).toBe("1");
    await page.goto("/cart");
    expect(await page.getByTestId("cart-items").locator("li").allTextContents()).toEqual([
      expect.stringContaining("Bread"),
    ]);
  });
});

describe("language", () => {
  it("switches the interface language on every page and keeps it", async () => {
    await page.goto("/");
    expect(await page.getByTestId("app").getAttribute("lang")).toBe("en");
    await page.getByLabel("Language").selectOption("de");
    await page.getByTestId("set-language").click();
    await expect.poll(() => page.getByTestId("app").getAttribute("lang"), POLL).toBe("de");
    await expect.poll(() => page.getByTestId("cart-link").textContent(), POLL).toContain("Warenkorb");
    await page.goto("/login");
    await page.getByRole("heading", { name: "Anmelden" }).waitFor();
    await page.goto("/cart");
    await page.getByText("Ihr Warenkorb ist leer.").waitFor();
    await page.getByLabel("Sprache").selectOption("fr");
    await page.getByTestId("set-language").click();
    await expect.poll(() => page.getByTestId("app").getAttribute("lang"), POLL).toBe("fr");
    await page.reload();
    await page.getByText("Votre panier est vide.").waitFor();
  });
});

describe("the language switch", () => {
  it("confirms in the new language on the page it was made on, once", async () => {
    await page.goto("/cart");
    await page.getByTestId("cart-empty").waitFor();
    await page.getByLabel("Language").selectOption("de");
    await page.getByTestId("set-language").click();
    await expect
      .poll(() => page.getByTestId("flash-message").allTextContents(), POLL)
      .toEqual(["Ihre Spracheinstellung wurde gespeichert."]);
    expect(new URL(page.url()).pathname).toBe("/cart");
    expect(await page.getByTestId("app").getAttribute("lang")).toBe("de");
    await page.reload();
    await page.getByText("Ihr Warenkorb ist leer.").waitFor();
    expect(await page.getByTestId("flash-message").count()).toBe(0);
  });
});

describe("tampered cookies", () => {
  it("render the pages with fresh sessions instead of failing", async () => {
    await logIn("alice", "wonderland");
    await page.waitForURL(`${app.url}/`);
    await page.getByTestId("signed-in").waitFor();
    const cookies = await context.cookies();
    const auth = cookies.find((c) => c.name === cookieOf("auth"));
    expect(auth).toBeDefined();
    const value = auth?.value ?? "";
    const flipped = value.slice(0, 20) + (value[20] === "A" ? "B" : "A") + value.slice(21);
    await context.addCookies([
      { ...(auth as (typeof cookies)[number]), value: flipped },
      { name: "cart", value: "garbage", url: app.url },
      { name: "prefs", value: "%00%ff", url: app.url },
    ]);
    for (const path of ["/", "/cart", "/login"]) {
      const response = await page.goto(path);
      expect(response?.status(), path).toBe(200);
    }
    await page.goto("/");
    await page.getByTestId("signed-out").waitFor();
    expect(await page.getByTestId("app").getAttribute("lang")).toBe("en");
  });
});

describe("form posting to a route handler", () => {
  it("carries the CSRF token and is accepted", async () => {
    await page.goto("/contact");
    await page.getByLabel("Your name").fill("Ada");
    await page.getByRole("button", { name: "Send" }).click();
    await page.getByText("Thanks, Ada. Your message was received.").waitFor();
  });
});

describe("the cart with its store stopped", () => {
  // Its own server, with the cart in a private Redis this test stops and starts again.
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let storeApp: RunningApp;
  beforeAll(async () => {
    redis = await startRedis();
    storeApp = await startApp({ env: { SESSION_STORE_URL: redis.url } });
  }, BUILD_AND_START_MS);
  afterAll(async () => {
    await storeApp?.stop();
    await redis?.cleanup();
  });

  it("shows 'cart unavailable, try again' instead of an error page, and the cart once the store is back", async () => {
    const own = await browser.newContext({ baseURL: storeApp.url });
    own.setDefaultTimeout(STEP_TIMEOUT_MS);
    const tab = await own.newPage();
    try {
      await tab.goto("/cart");
      await tab.getByTestId("add-apple").click();
      await expect.poll(() => tab.getByTestId("cart-count").textContent(), POLL).toBe("1");

      await redis.server.stop();
      const response = await tab.goto("/cart");
      expect(response?.status()).toBe(200);
      const notice = tab.getByTestId("cart-unavailable");
      expect(await notice.textContent()).toBe("Cart unavailable, try again.");
      // "try again" is a plain link: a full load of the page, with or without JavaScript.
      expect(await notice.getByRole("link", { name: "try again" }).getAttribute("href")).toBe("/cart");
      expect(await tab.getByText("This page couldn't load").count()).toBe(0);
      // Nothing offered that needs the store; the header says the count is unknown.
      expect(await tab.getByTestId("add-apple").count()).toBe(0);
      expect(await tab.getByTestId("cart-count").textContent()).toBe("–");
      // Pages that use no store session are unaffected.
      expect((await tab.goto("/login"))?.status()).toBe(200);
      await tab.getByLabel("Username").waitFor();

      await redis.server.start();
      // Trying again until the app's store client has reconnected.
      await expect
        .poll(async () => {
          await tab.goto("/cart");
          return tab.getByTestId("cart-items").count();
        }, POLL)
        .toBe(1);
      expect(await tab.getByTestId("cart-items").locator("li").allTextContents()).toEqual([
        expect.stringContaining("Apple"),
      ]);
      expect(await tab.getByTestId("cart-count").textContent()).toBe("1");
    } finally {
      await own.close();
    }
  });
});

/**
 * Screenshots for the README, made by these tests. They replace the committed ones under screenshots/
 * only with SATCHEL_SCREENSHOTS=1, so an ordinary test run leaves the working tree clean.
 */
const SCREENSHOTS = process.env.SATCHEL_SCREENSHOTS
  ? fileURLToPath(new URL("../screenshots/", import.meta.url))
  : `${mkdtempSync(join(tmpdir(), "satchel-screenshots-"))}/`;

describe("the demo and the session inspector", () => {
  it("styles flash and messages by level (screenshots of the demo)", async () => {
    await page.setViewportSize({ width: 900, height: 760 });
    await logIn("alice", "wonderland");
    await page.waitForURL(`${app.url}/`);
    await expect.poll(() => flash().allTextContents(), POLL).toEqual(["Successfully logged in as alice"]);
    expect(await flash().getAttribute("class")).toContain("level-success");
    await page.screenshot({ path: `${SCREENSHOTS}demo-home.png` });
    await page.goto("/cart");
    await page.getByTestId("add-cheese").click();
    await expect.poll(() => messages().allTextContents(), POLL).toEqual(["Added Cheese to your cart."]);
    expect(await messages().getAttribute("class")).toContain("level-success");
    expect(await page.getByTestId("cart-items").locator("li").allTextContents()).toEqual([
      expect.stringContaining("Cheese"),
    ]);
    await page.screenshot({ path: `${SCREENSHOTS}demo-cart.png` });
    // Every tutorial is one click away.
    for (const path of ["/session-foo", "/sessions/flash", "/tg-session", "/no-cookie-session"]) {
      expect(await page.locator(`footer a[href="${path}"]`).count(), path).toBe(1);
    }
  });

  it("shows this browser's sessions decoded; its buttons clear flash, reset and destroy", async () => {
    await page.setViewportSize({ width: 1100, height: 900 });
    await logIn("alice", "wonderland");
    await page.waitForURL(`${app.url}/`);
    await page.goto("/cart");
    await page.getByTestId("add-apple").click();
    await expect.poll(() => page.getByTestId("cart-count").textContent(), POLL).toBe("1");
    expect(await page.getByTestId("inspector-link").getAttribute("href")).toBe("/_satchel");
    // Every request through the proxy hands pending flash to its render, so the flash is set last.
    for (const path of ["/session-test?add-product=foo", "/sessions/flash"]) {
      expect((await page.goto(path))?.status(), path).toBe(200);
    }
    expect((await page.goto("/_satchel"))?.status()).toBe(200);
    const card = (name: string) => page.getByTestId(`session-${name}`);
    await card("auth").waitFor();
    const auth = await card("auth").textContent();
    expect(auth).toContain("sealed cookie");
    expect(auth).toContain('"Alice"');
    // The TYPE column reads as the schema declares the fields.
    expect(auth).toContain('("admin" | "member")[]');
    expect(auth).toContain("string | null");
    expect(auth).toContain("Date?");
    expect(auth).toContain("absolute expiry");
    expect(await card("cart").textContent()).toMatch(/store file.*"apple"/s);
    const session = await card("session").textContent();
    expect(session).toContain('"foo"');
    expect(session).toContain("I am a flash message!");
    await page.screenshot({ path: `${SCREENSHOTS}inspector.png`, fullPage: true });

    await card("session").getByRole("button", { name: "Clear flash" }).click();
    await expect.poll(() => card("session").textContent(), POLL).not.toContain("I am a flash message!");
    expect(await card("session").textContent()).toContain('"foo"');
    await card("cart").getByRole("button", { name: "Reset" }).click();
    await expect.poll(() => card("cart").textContent(), POLL).not.toContain('"apple"');
    // Destroy asks first; Cancel leaves the session as it was.
    await card("auth").getByRole("button", { name: "Destroy" }).click();
    await page.getByTestId("confirm-destroy-auth").waitFor();
    await page.getByTestId("cancel-destroy-auth").click();
    await expect.poll(() => page.getByTestId("confirm-destroy-auth").count(), POLL).toBe(0);
    expect(await card("auth").textContent()).toContain('"Alice"');
    await card("auth").getByRole("button", { name: "Destroy" }).click();
    await page.getByTestId("confirm-destroy-auth").getByRole("button", { name: "Yes, destroy" }).click();
    await expect.poll(() => card("auth").textContent(), POLL).toContain("not sent");
    await page.goto("/");
    await page.getByTestId("signed-out").waitFor();
    expect(await page.getByTestId("cart-count").textContent()).toBe("0");
  });
});

describe("the password-reset link", () => {
  /** Asks for `username`'s reset link from the login page; returns the link the page shows. */
  async function resetLinkFor(username: string): Promise<string> {
    await page.goto("/login");
    expect(await page.getByRole("link", { name: "Forgot your password?" }).getAttribute("href")).toBe(
      "/forgot-password",
    );
    // A full load: during a client-side navigation the login form may still be in the document.
    await page.goto("/forgot-password");
    await page.getByRole("heading", { name: "Forgot your password?" }).waitFor();
    await page.getByLabel("Username").fill(username);
    await page.getByRole("button", { name: "Get a reset link" }).click();
    const link = page.getByTestId("reset-link");
    await link.waitFor();
    return (await link.getAttribute("href")) ?? "";
  }

  /** Follows `link` and sets `password` through its form; ends on /login with the notice. */
  async function setPasswordThrough(link: string, password: string): Promise<void> {
    await page.goto(link);
    await expect.poll(() => page.getByTestId("reset-for").textContent(), POLL).toContain("bob");
    await page.getByLabel("New password").fill(password);
    await page.getByRole("button", { name: "Set the new password" }).click();
    await page.waitForURL(`${app.url}/login`);
    await expect
      .poll(() => flash().allTextContents(), POLL)
      .toEqual(["Your password was changed. Log in with the new one."]);
  }

  it("is shown on the page, survives a reload, sets the password once, and is refused after", async () => {
    const link = await resetLinkFor("bob");
    expect(link).toMatch(/^\/reset-password\?token=[\w-]+$/);
    // The page checks the link without using it up: a reload (or a mail scanner) shows the form again.
    await page.goto(link);
    await page.getByTestId("reset-for").waitFor();
    await page.reload();
    await setPasswordThrough(link, "new-builder");

    // The action used the token: the same link now says so.
    await page.goto(link);
    await expect
      .poll(() => page.getByTestId("reset-invalid").textContent(), POLL)
      .toContain("This link has expired or was already used.");

    await logIn("bob", "builder");
    await page.waitForURL(`${app.url}/login`);
    await expect
      .poll(() => page.getByTestId("flash-error").allTextContents(), POLL)
      .toEqual(["Invalid username/password"]);
    await logIn("bob", "new-builder");
    await page.waitForURL(`${app.url}/`);
    expect(await page.getByTestId("signed-in").textContent()).toContain("Bob");

    // A second link is a new token; it gives bob the demo password back for the tests after this one.
    const again = await resetLinkFor("bob");
    expect(again).not.toBe(link);
    await setPasswordThrough(again, "builder");
    await logIn("bob", "builder");
    await page.waitForURL(`${app.url}/`);
  });

  it("waits for the page's scripts when filled and clicked before they ran, then shows the link", async () => {
    // Held scripts stand for a slow phone (or a busy test machine): a click that reached the
    // server-rendered form before React did was posted natively and answered with a blank page.
    let releaseScripts = () => {};
    const scriptsHeld = new Promise<void>((resolve) => {
      releaseScripts = resolve;
    });
    await page.route(/\/_next\/static\/.*\.js(\?|$)/, async (route) => {
      await scriptsHeld;
      await route.continue();
    });
    // `load` would wait for the held scripts; the form itself streams in through inline scripts.
    await page.goto("/forgot-password", { waitUntil: "commit" });
    await page.getByRole("heading", { name: "Forgot your password?" }).waitFor();
    await page.getByLabel("Username").fill("bob");
    const button = page.getByRole("button", { name: "Get a reset link" });
    expect(await button.isDisabled()).toBe(true);
    const clicked = button.click();
    releaseScripts();
    await clicked;
    expect(await page.getByTestId("reset-link").getAttribute("href")).toMatch(/^\/reset-password\?token=/);
    expect(await page.getByLabel("Username").inputValue()).toBe("bob");
  });

  it("says so for an unknown user and a broken link, in German and French", async () => {
    await page.goto("/forgot-password?lang=de");
    await page.getByRole("heading", { name: "Passwort vergessen?" }).waitFor();
    await page.getByLabel("Benutzername").fill("mallory");
    await page.getByRole("button", { name: "Link zum Zurücksetzen anfordern" }).click();
    await page.getByText("Kein Demo-Benutzer hat diesen Benutzernamen.").waitFor();
    expect(await page.getByTestId("reset-link").count()).toBe(0);

    await page.goto("/reset-password?token=not-a-token&lang=fr");
    await expect
      .poll(() => page.getByTestId("reset-invalid").textContent(), POLL)
      .toContain("Ce lien a expiré ou a déjà servi.");
    await page.getByRole("link", { name: "En demander un nouveau" }).click();
    await page.getByRole("heading", { name: "Mot de passe oublié ?" }).waitFor();
  });
});
