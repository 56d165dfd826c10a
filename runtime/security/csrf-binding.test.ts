/**
 * CSRF tokens are bound to a random value of each session, not to the second it was created in
 * (issue 22 item 2). The clock stands still in these tests, so every session is created in the same
 * second: what tells two sessions apart must be random.
 */
import { describe, expect, it } from "vitest";
import type { SessionTypes } from "../../generated/sessions.ts";
import config from "../../sessions.schema.ts";
import { fetchCsrfToken, verifyFetchCsrf } from "../fetch/csrf.ts";
import { CsrfError } from "../session/csrf.ts";
import { CookieClient, testSatchel } from "../test-support/harness.ts";

const ORIGIN = "https://app.test";

/** A Fetch app: `/form` renders a token, `/welcome` creates the session and renders a token, posts are checked. */
function app() {
  const { satchel } = testSatchel<SessionTypes>(config);
  const handler = satchel.handle(async (request, sessions) => {
    const path = new URL(request.url).pathname;
    if (request.method === "GET") {
      if (path === "/welcome") (await sessions.get("auth")).name = "guest";
      if (path === "/cart-welcome") (await sessions.get("cart")).items = [{ sku: "a", qty: 1 }];
      return new Response(await fetchCsrfToken(satchel, request, sessions));
    }
    try {
      await verifyFetchCsrf(satchel, request, sessions);
    } catch (error) {
      if (error instanceof CsrfError) return new Response(error.message, { status: 403 });
      throw error;
    }
    const auth = await sessions.get("auth");
    if (path === "/visit") auth.name = "visitor";
    if (path === "/sign-in") {
      auth.userId = "alice";
      await auth.regenerate();
    }
    return new Response("done");
  });
  const client = () => new CookieClient(handler, ORIGIN);
  const post = (browser: CookieClient, path: string, token: string) =>
    browser.fetch(path, { method: "POST", headers: { origin: ORIGIN, "x-csrf-token": token } });
  return { client, post };
}

describe("CSRF binding", () => {
  it("an attacker's CSRF cookie and token do not verify next to a victim's session of the same second", async () => {
    const { client, post } = app();
    const attacker = client();
    const victim = client();
    // Both sessions start in the same second (the test clock does not move).
    await attacker.fetch("/welcome");
    await victim.fetch("/welcome");
    const token = await (await attacker.fetch("/form")).text();
    expect((await post(attacker, "/items", token)).status).toBe(200);
    // The attacker plants their CSRF cookie in the victim's browser (a sibling subdomain, plain http).
    const csrfName = [...attacker.cookies.keys()].find((name) => name.includes("satchel-csrf")) as string;
    victim.cookies.set(csrfName, attacker.cookies.get(csrfName) as string);
    expect((await post(victim, "/items", token)).status).toBe(403);
  });

  it("a token issued before regenerate() in the same second does not verify after it", async () => {
    const { client, post } = app();
    const browser = client();
    await browser.fetch("/welcome");
    const before = await (await browser.fetch("/form")).text();
    expect((await post(browser, "/sign-in", before)).status).toBe(200);
    expect((await post(browser, "/items", before)).status).toBe(403);
    const after = await (await browser.fetch("/form")).text();
    expect((await post(browser, "/items", after)).status).toBe(200);
  });

  it("a token issued in the request that creates a cookie session verifies when its form is posted", async () => {
    const { client, post } = app();
    const browser = client();
    const token = await (await browser.fetch("/welcome")).text();
    expect((await post(browser, "/items", token)).status).toBe(200);
  });

  it("a token issued in the request that creates a store session verifies when its form is posted", async () => {
    const { client, post } = app();
    const browser = client();
    const token = await (await browser.fetch("/cart-welcome")).text();
    expect((await post(browser, "/items", token)).status).toBe(200);
  });

  it("a token issued before the session is first written (a later request creates it) stops verifying", async () => {
    // Documented: the token binds the sessions as the request that issued it left them.
    const { client, post } = app();
    const browser = client();
    const token = await (await browser.fetch("/form")).text();
    expect((await post(browser, "/visit", token)).status).toBe(200);
    expect((await post(browser, "/items", token)).status).toBe(403);
  });
});
