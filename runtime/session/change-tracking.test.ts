/**
 * What a request writes: exactly the sessions it changed. A request that only reads writes nothing
 * (no Set-Cookie, no store write), and every way of changing a session is saved — setters, and
 * nested objects changed in place however they left the handle.
 */
import { describe, expect, it } from "vitest";
import { memoryCookieJar } from "../cookies/header.ts";
import { createCountingStore } from "../stores/counting.ts";
import { createMemoryStore } from "../stores/memory.ts";
import { keysOf } from "../test-support/cart-app.ts";
import { sameBrowser, testClock, testSatchel } from "../test-support/harness.ts";
import { type TestTypes, testConfig } from "../test-support/schema.ts";

/** Runs each `request(fn)` as one Fetch request of the same browser; store calls are counted. */
function setup() {
  const clock = testClock();
  const store = createCountingStore(createMemoryStore({ now: clock.now }));
  const { satchel } = testSatchel<TestTypes>(testConfig, { store, clock });
  return { ...sameBrowser(satchel), store, satchel };
}

describe("a request that only reads writes nothing", () => {
  it("a fresh session that is only looked at, nested defaults included, sets no cookie and stores nothing", async () => {
    const { request, client, store } = setup();
    const seen = await request(async (s) => {
      const auth = await s.get("auth");
      const cart = await s.get("cart");
      return {
        roles: auth.roles,
        items: cart.items,
        spread: { ...auth },
        json: JSON.stringify(cart),
        flash: auth.flash.notice.peek(),
        messages: cart.messages.read(),
      };
    });
    expect(seen.roles).toEqual([]);
    expect(seen.items).toEqual([]);
    expect(client.lastSetCookie).toEqual([]);
    expect(store.log()).toEqual([]);
  });

  it("a stored session read in every way (fields, nested fields, spread, get, keys) sets no cookie and stores nothing", async () => {
    const { request, client, store } = setup();
    await request(async (s) => {
      const auth = await s.get("auth");
      auth.userId = "u1";
      auth.roles = ["admin"];
      auth.flash.notice.add("welcome"); // pending flash: the token is not the canonical text
      const cart = await s.get("cart");
      cart.items = [{ sku: "a", qty: 1 }];
    });
    expect(client.lastSetCookie).toHaveLength(2);
    store.reset();
    const seen = await request(async (s) => {
      const auth = await s.get("auth");
      const cart = await s.get("cart");
      return {
        userId: auth.userId,
        roles: [...auth.roles, ...auth.get("roles")],
        spread: { ...cart },
        keys: auth.keys(),
        notice: auth.flash.notice.peek(),
      };
    });
    expect(seen).toEqual({
      userId: "u1",
      roles: ["admin", "admin"],
      spread: { items: [{ sku: "a", qty: 1 }], note: "", owner: null },
      keys: ["userId", "roles"],
      notice: ["welcome"],
    });
    expect(client.lastSetCookie).toEqual([]);
    expect(store.log().filter((call) => !call.startsWith("get "))).toEqual([]);
  });

  it("setting a field to the value it holds, or changing it and back, writes nothing", async () => {
    const { request, client, store } = setup();
    await request(async (s) => {
      (await s.get("auth")).userId = "u1";
      (await s.get("cart")).note = "gift";
    });
    store.reset();
    await request(async (s) => {
      const auth = await s.get("auth");
      auth.userId = "u1";
      auth.set("userId", "u1");
      const cart = await s.get("cart");
      cart.note = "other";
      cart.note = "gift";
    });
    expect(client.lastSetCookie).toEqual([]);
    expect(store.log().filter((call) => !call.startsWith("get "))).toEqual([]);
  });
});

describe("every change is saved", () => {
  /** Each way a nested object can leave the handle, then be changed in place. */
  const nestedWays: [string, (auth: TestTypes["auth"]) => void][] = [
    ["a property", (auth) => auth.roles.push("x")],
    ["get(key)", (auth) => auth.get("roles").push("x")],
    ["spread", (auth) => ({ ...auth }).roles.push("x")],
    ["Object.entries", (auth) => (Object.fromEntries(Object.entries(auth)).roles as string[]).push("x")],
    ["setdefault", (auth) => auth.setdefault("roles", []).push("x")],
    ["a property descriptor", (auth) => Object.getOwnPropertyDescriptor(auth, "roles")?.value.push("x")],
  ];

  for (const [way, change] of nestedWays) {
    it(`a nested change through ${way} is saved, on a stored and on a fresh session`, async () => {
      const { request } = setup();
      // Fresh: nothing stored yet.
      await request(async (s) => change(await s.get("auth")));
      expect(await request(async (s) => (await s.get("auth")).roles)).toEqual(["x"]);
      // Stored.
      await request(async (s) => change(await s.get("auth")));
      expect(await request(async (s) => (await s.get("auth")).roles)).toEqual(["x", "x"]);
    });
  }

  it("a nested change after a setter of another field is saved with it (cookie and store)", async () => {
    const { request } = setup();
    await request(async (s) => {
      (await s.get("auth")).userId = "u1";
      (await s.get("cart")).note = "gift";
    });
    await request(async (s) => {
      const auth = await s.get("auth");
      auth.userId = "u2";
      auth.roles.push("admin");
      const cart = await s.get("cart");
      cart.note = "none";
      cart.items.push({ sku: "b", qty: 2 });
    });
    const seen = await request(async (s) => ({
      auth: (await s.get("auth")).toJSON(),
      cart: (await s.get("cart")).toJSON(),
    }));
    expect(seen).toEqual({
      auth: { userId: "u2", roles: ["admin"] },
      cart: { items: [{ sku: "b", qty: 2 }], note: "none", owner: null },
    });
  });

  it("a nested change to a store session is saved; only looking at it is not a write", async () => {
    const { request, store } = setup();
    await request(async (s) => (await s.get("cart")).items.push({ sku: "a", qty: 1 }));
    expect(store.counts().compareAndSet).toBe(1);
    await request(async (s) => (await s.get("cart")).items.length);
    expect(store.counts().compareAndSet).toBe(1);
    await request(async (s) => {
      const item = (await s.get("cart")).items[0];
      if (item !== undefined) item.qty = 5;
    });
    expect(store.counts().compareAndSet).toBe(2);
    expect(await request(async (s) => (await s.get("cart")).items)).toEqual([{ sku: "a", qty: 5 }]);
  });

  it("flash and messages count as changes on a session whose data did not change", async () => {
    const { request, client } = setup();
    await request(async (s) => (await s.get("auth")).flash.notice.add("hi"));
    expect(client.lastSetCookie).toHaveLength(1);
    expect(await request(async (s) => (await s.get("auth")).flash.notice.read())).toEqual(["hi"]);
    // Reading it consumed it: that request wrote the cookie without it.
    expect(client.lastSetCookie).toHaveLength(1);
    expect(await request(async (s) => (await s.get("auth")).flash.notice.read())).toEqual([]);
    await request(async (s) => (await s.get("cart")).messages.info("saved"));
    expect(await request(async (s) => (await s.get("cart")).messages.read())).toEqual([
      { level: "info", body: "saved" },
    ]);
  });
});

describe("a store session compares the record it would write with the record as read", () => {
  /** A stored cart (items [a], owner user-1) whose record is then replaced by `rewrite` of its text. */
  async function storedAs(rewrite: (json: Record<string, unknown>) => Record<string, unknown>) {
    const { request, store, client, satchel } = setup();
    await request(async (s) => {
      const cart = await s.get("cart");
      cart.items.push({ sku: "a", qty: 1 });
      cart.owner = "user-1";
    });
    const [key] = await keysOf(store, "user-1");
    const record = await store.get(key as string);
    if (record === null) throw new Error("test: no record");
    const { json } = JSON.parse(record.value) as { json: Record<string, unknown> };
    await store.set(key as string, JSON.stringify({ json: rewrite(json) }), {
      expiresAt: record.expiresAt,
      userId: "user-1",
    });
    store.reset();
    const writes = () => store.counts().compareAndSet;
    return {
      request,
      writes,
      read: () => request(async (s) => (await s.get("cart")).toJSON()),
      render: () => satchel.open(memoryCookieJar(client.cookieHeader()), { readOnly: "a Server Component" }),
    };
  }
  const stored = { items: [{ sku: "a", qty: 1 }], note: "", owner: "user-1" };

  it("another build's frame (info first), changed and set back: written once in this build's, nothing lost", async () => {
    const { request, writes, read } = await storedAs(({ version, data, info }) => ({ info, version, data }));
    const changeAndBack = async () =>
      request(async (s) => {
        const cart = await s.get("cart");
        cart.owner = "user-2";
        cart.owner = "user-1";
      });
    await changeAndBack();
    expect(writes()).toBe(1);
    await changeAndBack();
    expect(writes()).toBe(1);
    expect(await read()).toEqual(stored);
  });

  it("a record the schema completes on read (a default missing), only looked at: written once, then reads are reads", async () => {
    const { request, writes, read } = await storedAs(({ version, data, info }) => {
      const { note: _dropped, ...rest } = data as Record<string, unknown>;
      return { version, data: rest, info };
    });
    const look = async () => request(async (s) => (await s.get("cart")).items.length);
    expect(await look()).toBe(1);
    expect(writes()).toBe(1);
    expect(await look()).toBe(1);
    expect(writes()).toBe(1);
    expect(await read()).toEqual(stored);
  });

  it("a record in another frame, read where writes are impossible (a Server Component): no change", async () => {
    for (const rewrite of [
      ({ version, data, info }: Record<string, unknown>) => ({ info, version, data }),
      ({ version, data, info }: Record<string, unknown>) => {
        const { note: _dropped, ...rest } = data as Record<string, unknown>;
        return { version, data: rest, info };
      },
    ]) {
      const { render, writes } = await storedAs(rewrite);
      const page = render();
      const cart = await page.get("cart");
      expect(cart.items.map((item) => item.sku)).toEqual(["a"]);
      await expect(page.commit()).resolves.toBeUndefined();
      expect(writes()).toBe(0);
    }
  });

  it("a record in this build's frame, changed in place and back: nothing written", async () => {
    const { request, writes } = await storedAs((json) => json);
    await request(async (s) => {
      const cart = await s.get("cart");
      cart.items.push({ sku: "b", qty: 1 });
      cart.items.pop();
      cart.note = "x";
      cart.note = "";
    });
    expect(writes()).toBe(0);
  });
});
