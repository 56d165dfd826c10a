/**
 * Ended means ended through the Next.js wrappers (issue 16): a request that loaded a store session
 * before another request (here: another server instance) destroyed it must not write it back when
 * its wrapper commits. The store-level race matrix is runtime/stores/lifecycle.test.ts; this proves
 * the wrappers' own commit path, which users reach through `withRouteSessions`/`withActionSessions`.
 */
import { NextRequest } from "next/server";
import { describe, expect, it } from "vitest";
import type { SessionTypes } from "../../generated/sessions.ts";
import config from "../../sessions.schema.ts";
import { SessionEndedError } from "../errors.ts";
import { testSatchel } from "../test-support/harness.ts";
import { createNextSessions } from "./create.ts";
import { cookieHeaderFrom, fakeRequest, servingApi } from "./test-support/fake-request.ts";

const route = (cookie: string) =>
  new NextRequest("http://app.test/api/cart", { method: "POST", headers: { cookie } });

/** Two server instances over one store, and a shopper whose cart holds an apple. */
async function twoInstancesAndACart() {
  const setup = testSatchel<SessionTypes>(config);
  const instance = () => {
    const seam = servingApi();
    return { seam, app: createNextSessions(setup.satchel, { requestApi: seam.api, warn: () => {} }) };
  };
  const one = instance();
  const two = instance();
  const first = one.seam.serve(fakeRequest());
  await one.app.withActionSessions(async () => {
    (await one.app.getSession("cart")).items = [{ sku: "apple", qty: 1 }];
  })();
  const cookie = cookieHeaderFrom(first.setCookies());
  expect(cookie).toMatch(/cart=/);
  return { ...setup, one, two, cookie };
}

/** A gate the slow request waits at, and a signal that it has loaded the cart. */
function gates() {
  let release = () => {};
  let loaded = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  const hasLoaded = new Promise<void>((resolve) => (loaded = resolve));
  return { release, loaded, released, hasLoaded };
}

describe("a store session ended by another request stays ended through the Next wrappers", () => {
  it("withRouteSessions: the slow handler's change is not saved; its response clears the cookie", async () => {
    const { one, two, cookie, reports } = await twoInstancesAndACart();
    const gate = gates();

    // Request A (instance one) loads the cart, then waits (a slow API call, a second tab).
    one.seam.serve(fakeRequest({ cookie }));
    const responseA = one.app.withRouteSessions(async () => {
      const cart = await one.app.getSession("cart");
      expect(cart.items).toHaveLength(1);
      gate.loaded();
      await gate.released;
      cart.items = [...cart.items, { sku: "pear", qty: 1 }];
      return new Response("added");
    })(route(cookie), {});
    await gate.hasLoaded;

    // Request B (instance two) logs the cart out.
    two.seam.serve(fakeRequest({ cookie }));
    await two.app.withActionSessions(async () => {
      await (await two.app.getSession("cart")).destroy();
    })();

    gate.release();
    const answered = await responseA;
    expect(answered.status).toBe(200);
    // The wrapper puts its writes on the handler's response.
    const cleared = answered.headers.getSetCookie().find((line) => line.startsWith("cart="));
    expect(cleared).toMatch(/Max-Age=0/i);
    expect(reports.map((report) => report.reason)).toContain("ended");

    // The stolen or logged-out cookie opens nothing: the cart is empty, not apple + pear.
    one.seam.serve(fakeRequest({ cookie }));
    const items = await one.app.withActionSessions(async () => (await one.app.getSession("cart")).items)();
    expect(items).toEqual([]);
  });

  it("withActionSessions: update() after the session was ended throws SessionEndedError and writes nothing", async () => {
    const { one, two, cookie } = await twoInstancesAndACart();
    const gate = gates();

    one.seam.serve(fakeRequest({ cookie }));
    const actionA = one.app.withActionSessions(async () => {
      const cart = await one.app.getSession("cart");
      expect(cart.items).toHaveLength(1);
      gate.loaded();
      await gate.released;
      await cart.update((data) => ({ ...data, items: [...data.items, { sku: "pear", qty: 1 }] }));
    })();
    await gate.hasLoaded;

    two.seam.serve(fakeRequest({ cookie }));
    await two.app.withActionSessions(async () => {
      await (await two.app.getSession("cart")).destroy();
    })();

    gate.release();
    await expect(actionA).rejects.toBeInstanceOf(SessionEndedError);

    one.seam.serve(fakeRequest({ cookie }));
    const items = await one.app.withActionSessions(async () => (await one.app.getSession("cart")).items)();
    expect(items).toEqual([]);
  });
});
