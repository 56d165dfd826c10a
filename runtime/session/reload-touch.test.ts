/**
 * `reload()` drops unsaved changes and reads the session as stored; `touch()` pushes the idle
 * expiry forward at commit without waiting for `touchAfter`. Both storages, and the Server
 * Component rule: reload is a read (allowed), touch a write (refused).
 */
import { describe, expect, it } from "vitest";
import { memoryCookieJar } from "../cookies/header.ts";
import { SessionEndedError, SessionStateError } from "../errors.ts";
import { createCountingStore } from "../stores/counting.ts";
import { createMemoryStore } from "../stores/memory.ts";
import { sameBrowser, testClock, testSatchel } from "../test-support/harness.ts";
import { type TestTypes, testConfig } from "../test-support/schema.ts";

const MINUTE = 60_000;

/** One browser against one app; each `request(fn)` is one Fetch request. Store calls are counted. */
function setup() {
  const clock = testClock();
  const store = createCountingStore(createMemoryStore({ now: clock.now }));
  const { satchel } = testSatchel<TestTypes>(testConfig, { store, clock });
  const browser = sameBrowser(satchel);
  /** A second request of the same browser, held open while `request()` runs others. */
  const another = () =>
    satchel.fromRequest(
      new Request("http://localhost/", { headers: { cookie: browser.client.cookieHeader() } }),
    );
  return { satchel, clock, store, another, ...browser };
}

describe("reload()", () => {
  it("cookie: drops changes made by setters, in place and to flash, and writes nothing", async () => {
    const { request, client } = setup();
    await request(async (s) => {
      const auth = await s.get("auth");
      auth.userId = "u1";
      auth.roles = ["member"];
      auth.flash.notice.add("welcome");
    });
    const seen = await request(async (s) => {
      const auth = await s.get("auth");
      auth.userId = "u2";
      auth.roles.push("admin");
      auth.flash.notice.add("second");
      await auth.reload();
      return { ...auth.toJSON(), notice: auth.flash.notice.peek() };
    });
    expect(seen).toEqual({ userId: "u1", roles: ["member"], notice: ["welcome"] });
    expect(client.lastSetCookie).toEqual([]);
  });

  it("cookie: goes back to what this request last saved; a fresh session goes back to the defaults", async () => {
    const { request, client } = setup();
    const seen = await request(async (s) => {
      const auth = await s.get("auth");
      auth.userId = "draft";
      await auth.reload();
      const fresh = auth.toJSON();
      auth.userId = "u1";
      await auth.save();
      auth.userId = "u2";
      await auth.reload();
      return { fresh, saved: auth.toJSON() };
    });
    expect(seen).toEqual({ fresh: { userId: null, roles: [] }, saved: { userId: "u1", roles: [] } });
    expect(client.lastSetCookie).toHaveLength(1);
    expect(await request(async (s) => (await s.get("auth")).userId)).toBe("u1");
  });

  it("store: reads the record again, so another request's write since shows, and drops this one's changes", async () => {
    const { another, request } = setup();
    await request(async (s) => {
      (await s.get("cart")).note = "first";
    });
    const mine = another();
    const cart = await mine.get("cart");
    cart.items.push({ sku: "mine", qty: 1 });
    await request(async (s) => {
      (await s.get("cart")).note = "theirs";
    });
    await cart.reload();
    expect(cart.toJSON()).toEqual({ items: [], note: "theirs", owner: null });
    await mine.commit();
    expect(mine.apply(new Response("ok")).headers.getSetCookie()).toEqual([]);
    // The other request's write stands.
    expect(await request(async (s) => (await s.get("cart")).note)).toBe("theirs");
  });

  it("store: a session another request ended meanwhile is SessionEndedError; a destroyed one is refused", async () => {
    const { another, request } = setup();
    await request(async (s) => {
      (await s.get("cart")).note = "n";
    });
    const mine = another();
    const cart = await mine.get("cart");
    await request(async (s) => (await s.get("cart")).destroy());
    await expect(cart.reload()).rejects.toThrow(SessionEndedError);

    const auth = await mine.get("auth");
    await auth.destroy();
    await expect(auth.reload()).rejects.toThrow(/destroyed in this request; reload\(\) is not allowed/);
  });

  it("is a read: it works where writes are impossible (a Server Component)", async () => {
    const { satchel, request, client } = setup();
    await request(async (s) => {
      (await s.get("cart")).note = "n";
    });
    const render = satchel.open(memoryCookieJar(client.cookieHeader()), { readOnly: "a Server Component" });
    const cart = await render.get("cart");
    cart.items.push({ sku: "oops", qty: 1 });
    await cart.reload();
    expect(cart.items).toEqual([]);
    await expect(render.commit()).resolves.toBeUndefined();
  });
});

describe("touch()", () => {
  it("cookie: re-seals the cookie at commit before touchAfter, so the idle limit counts from now", async () => {
    const { request, client, clock } = setup();
    await request(async (s) => {
      (await s.get("auth")).userId = "u1";
    });
    clock.advance(MINUTE); // touchAfter is 5 minutes: no rolling touch is due
    await request(async (s) => (await s.get("auth")).userId);
    expect(client.lastSetCookie).toEqual([]);
    clock.advance(MINUTE);
    const before = await request(async (s) => {
      const auth = await s.get("auth");
      const expires = (await auth.$metadata()).expiresAt;
      auth.touch();
      return expires;
    });
    expect(client.lastSetCookie).toHaveLength(1);
    expect(client.lastSetCookie[0]).toContain("Max-Age=7200");
    const after = await request(async (s) => (await (await s.get("auth")).$metadata()).expiresAt);
    expect(after?.getTime()).toBe((before?.getTime() ?? 0) + 2 * MINUTE);
    // Two hours after the first write (idle is 2h) the session lives on: it was touched later.
    clock.advance(2 * 60 * MINUTE - 3 * MINUTE);
    expect(await request(async (s) => (await s.get("auth")).userId)).toBe("u1");
  });

  it("store: one store touch at commit, no record write and no cookie", async () => {
    const { request, client, clock, store } = setup();
    await request(async (s) => {
      (await s.get("cart")).note = "n";
    });
    clock.advance(MINUTE); // touchAfter is 1 hour
    store.reset();
    const before = await request(async (s) => {
      const cart = await s.get("cart");
      const expires = (await cart.$metadata()).expiresAt;
      cart.touch();
      return expires;
    });
    expect(store.counts()).toMatchObject({ get: 1, touch: 1, compareAndSet: 0, set: 0 });
    expect(client.lastSetCookie).toEqual([]);
    const after = await request(async (s) => (await (await s.get("cart")).$metadata()).expiresAt);
    expect(after?.getTime()).toBe((before?.getTime() ?? 0) + MINUTE);
  });

  it("writes nothing for a session not stored yet, and is done by a write in the same request", async () => {
    const { request, client, clock, store } = setup();
    await request(async (s) => {
      (await s.get("auth")).touch();
      (await s.get("cart")).touch();
    });
    expect(client.lastSetCookie).toEqual([]);
    expect(store.log()).toEqual([]);
    await request(async (s) => {
      (await s.get("cart")).note = "n";
    });
    clock.advance(MINUTE);
    store.reset();
    await request(async (s) => {
      const cart = await s.get("cart");
      cart.touch();
      cart.note = "changed";
    });
    expect(store.counts()).toMatchObject({ compareAndSet: 1, touch: 0 });
  });

  it("is a write: refused where writes are impossible (a Server Component)", async () => {
    const { satchel, request, client } = setup();
    await request(async (s) => {
      (await s.get("auth")).userId = "u1";
    });
    const render = satchel.open(memoryCookieJar(client.cookieHeader()), { readOnly: "a Server Component" });
    const auth = await render.get("auth");
    expect(() => auth.touch()).toThrow(SessionStateError);
    expect(() => auth.touch()).toThrow(/read-only here \(a Server Component\), so touch\(\) cannot be saved/);
  });
});
