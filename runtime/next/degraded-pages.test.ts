/**
 * Pages with the store down (issue 22, item 7), against a private Redis stopped mid-run: a page
 * that asks `getSession(name, { unavailable: "empty" })` renders with a read-only empty handle
 * (`$unavailable: true`) instead of failing; without the option the typed error still reaches the
 * page (for its error.tsx), and route handlers still answer 503.
 */
import { randomBytes } from "node:crypto";
import { NextRequest } from "next/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SessionTypes } from "../../generated/sessions.ts";
import config from "../../sessions.schema.ts";
import { SatchelConfigError, SessionStoreUnavailableError } from "../errors.ts";
import { createRedisStore } from "../stores/redis.ts";
import { type ManagedServer, startRedis } from "../stores/test-support/servers.ts";
import type { SessionStore } from "../stores/types.ts";
import { testSatchel } from "../test-support/harness.ts";
import { createNextSessions, type NextSessions } from "./create.ts";
import { cookieHeaderFrom, fakeRequest, servingApi } from "./test-support/fake-request.ts";

let redis: { server: ManagedServer; url: string; cleanup(): Promise<void> };
let store: SessionStore;

beforeAll(async () => {
  redis = await startRedis();
  // Generous: the machine may be busy; an outage costs at most this per store call.
  store = createRedisStore({
    url: redis.url,
    timeoutMs: 2000,
    prefix: `degraded-${randomBytes(4).toString("hex")}:`,
  });
}, 120_000);

afterAll(async () => {
  await store?.close?.();
  await redis?.cleanup();
}, 60_000);

/** Waits until the restarted store answers again (bounded by the test timeout, not a clock here). */
async function storeBack(): Promise<void> {
  for (;;) {
    const up = await store.get("probe").then(
      () => true,
      () => false,
    );
    if (up) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe("pages with the store down", () => {
  it("render with a read-only empty handle when they ask for it; the data is back with the store", async () => {
    const clock = { now: () => Date.now(), advance: () => {} };
    const { satchel } = testSatchel<SessionTypes>(config, { store, clock });
    const seam = servingApi();
    const warnings: string[] = [];
    const app: NextSessions<SessionTypes> = createNextSessions(satchel, {
      requestApi: seam.api,
      warn: (message) => void warnings.push(message),
    });

    // A visitor with a cart in the store and a cookie session.
    const first = seam.serve(fakeRequest());
    await app.withActionSessions(async () => {
      (await app.getSession("auth")).userId = "u1";
      (await app.getSession("cart")).items = [{ sku: "apple", qty: 2 }];
    })();
    const cookie = cookieHeaderFrom(first.setCookies());

    // Up: the option changes nothing.
    seam.serve(fakeRequest({ cookie, readOnly: true }));
    const live = await app.getSession("cart", { unavailable: "empty" });
    expect(live.$unavailable).toBe(false);
    expect(live.items).toEqual([{ sku: "apple", qty: 2 }]);
    expect(warnings).toEqual([]);

    await redis.server.stop();

    // A Server Component render.
    seam.serve(fakeRequest({ cookie, readOnly: true }));
    // Without the option the typed error reaches the page, as before (its error.tsx shows it).
    await expect(app.getSession("cart")).rejects.toBeInstanceOf(SessionStoreUnavailableError);
    const cart = await app.getSession("cart", { unavailable: "empty" });
    expect(cart.$unavailable).toBe(true);
    expect(cart.$isNew).toBe(false);
    expect(cart.$name).toBe("cart");
    expect(cart.items).toEqual([]); // the schema default
    expect(cart.toJSON()).toEqual({ items: [] });
    expect(cart.messages.read()).toEqual([]);
    expect(cart.messages.peek()).toEqual([]);
    expect(await cart.$metadata()).toEqual({
      publicId: null,
      createdAt: null,
      lastAccessedAt: null,
      expiresAt: null,
      lifetime: null,
    });
    // The same handle for every call of this render, without asking the store again.
    expect(await app.getSession("cart", { unavailable: "empty" })).toBe(cart);
    // Sessions that do not live in the store are untouched.
    const auth = await app.getSession("auth", { unavailable: "empty" });
    expect(auth.$unavailable).toBe(false);
    expect(auth.userId).toBe("u1");
    // The operator hears about it.
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^satchel: session "cart" is shown empty .*unavailable: "empty".*redis/);

    // Read-only: every write says the store is down (a 503 where a wrapper answers).
    const writes: [string, () => unknown][] = [
      ["setter", () => (cart.items = [{ sku: "pear", qty: 1 }])],
      ["set()", () => cart.set("foo", "x")],
      ["reset()", () => cart.reset()],
      ["message", () => cart.messages.success("x")],
      ["save()", () => cart.save()],
      ["update()", () => cart.update((data) => data)],
      ["destroy()", () => cart.destroy()],
      ["regenerate()", () => cart.regenerate()],
    ];
    for (const [label, write] of writes) {
      const outcome = await Promise.resolve()
        .then(write)
        .then(
          () => null,
          (error: unknown) => error,
        );
      expect(outcome, label).toBeInstanceOf(SessionStoreUnavailableError);
      expect((outcome as Error).message, label).toMatch(/session "cart".*unavailable: "empty"/);
    }
    expect(cart.items).toEqual([]);

    // A wrapped route handler may opt in too: reads work, a write answers 503 as before.
    const route = (method: string) =>
      app.withRouteSessions(async () => {
        const handle = await app.getSession("cart", { unavailable: "empty" });
        if (method === "POST") handle.items = [];
        return Response.json({ unavailable: handle.$unavailable, items: handle.items });
      })(new NextRequest("http://app.test/api/cart", { method, headers: { cookie } }), {});
    const read = await route("GET");
    expect(read.status).toBe(200);
    expect(await read.json()).toEqual({ unavailable: true, items: [] });
    expect((await route("POST")).status).toBe(503);
    // Without the option a route handler answers 503, as today.
    const plain = await app.withRouteSessions(async () =>
      Response.json((await app.getSession("cart")).items),
    )(new NextRequest("http://app.test/api/cart", { headers: { cookie } }), {});
    expect(plain.status).toBe(503);

    // Back up: the next render shows the cart again.
    await redis.server.start();
    await storeBack();
    seam.serve(fakeRequest({ cookie, readOnly: true }));
    const back = await app.getSession("cart", { unavailable: "empty" });
    expect(back.$unavailable).toBe(false);
    expect(back.items).toEqual([{ sku: "apple", qty: 2 }]);
  }, 120_000);

  it("refuses an option value it does not know, saying which it takes", async () => {
    const { satchel } = testSatchel<SessionTypes>(config);
    const seam = servingApi();
    const app = createNextSessions(satchel, { requestApi: seam.api });
    seam.serve(fakeRequest({ readOnly: true }));
    const typo = { unavailable: "emtpy" } as unknown as { unavailable: "empty" };
    await expect(app.getSession("cart", typo)).rejects.toBeInstanceOf(SatchelConfigError);
    await expect(app.getSession("cart", typo)).rejects.toThrow(/"empty" or "throw"/);
  });
});
