import { describe, expect, it } from "vitest";
import { SessionEndedError } from "../errors.ts";
import { createSatchel } from "../satchel.ts";
import { createCountingStore } from "../stores/counting.ts";
import { createMemoryStore } from "../stores/memory.ts";
import { cartApp, keysOf } from "../test-support/cart-app.ts";
import { CookieClient, SECRET_A, SECRET_B, testClock, testSatchel } from "../test-support/harness.ts";
import { type TestTypes, testConfig } from "../test-support/schema.ts";

function setup(options: Parameters<typeof testSatchel>[1] = {}) {
  return testSatchel<TestTypes>(testConfig, options);
}

describe("store sessions through the Fetch adapter", () => {
  it("keeps only a sealed id in the cookie and the data in the store under a hashed key", async () => {
    const { satchel, store } = setup();
    const client = new CookieClient(cartApp(satchel));
    await client.fetch("/owner?add=apple");
    const token = client.cookies.get("cart") as string;
    expect(token).toBeDefined();
    expect(token).not.toContain("apple");
    const [key] = await keysOf(store, "user-1");
    expect(key).toMatch(/^cart:[0-9a-f]{64}$/);
    const record = await store.get(key as string);
    expect(record?.value).toContain("apple");
    expect(await (await client.fetch("/")).json()).toEqual({ items: ["apple"], isNew: false });
    expect(client.lastSetCookie).toEqual([]);
  });

  it("sends nothing and stores nothing for a session that is only read", async () => {
    const spy = createCountingStore(createMemoryStore());
    const { satchel } = setup({ store: spy });
    const client = new CookieClient(cartApp(satchel));
    await client.fetch("/");
    expect(client.lastSetCookie).toEqual([]);
    expect(spy.log()).toEqual([]);
  });

  it("never adopts an id without a live record: a new id is issued and missing-record reported", async () => {
    const { satchel, reports, store } = setup();
    const client = new CookieClient(cartApp(satchel));
    await client.fetch("/owner?add=a");
    const [key] = await keysOf(store, "user-1");
    await store.delete(key as string);
    const before = client.cookies.get("cart");
    expect(await (await client.fetch("/?add=b")).json()).toEqual({ items: ["b"], isNew: true });
    expect(reports).toEqual([
      { reason: "missing-record", session: "cart", detail: "no live record for this id" },
    ]);
    expect(client.cookies.get("cart")).not.toBe(before);
  });

  it("invalid stored data becomes a fresh session with one onInvalid report", async () => {
    const { satchel, reports, store } = setup();
    const client = new CookieClient(cartApp(satchel));
    await client.fetch("/owner?add=a");
    const [key] = await keysOf(store, "user-1");
    await store.set(key as string, '{"json":{"version":1,"data":{"items":"nope"}}}', {
      expiresAt: Date.now() * 2,
    });
    expect(await (await client.fetch("/")).json()).toEqual({ items: [], isNew: true });
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ reason: "schema-mismatch", session: "cart" });
  });

  it("regenerate moves the data to a new id and deletes the old record", async () => {
    const { satchel, store } = setup();
    const client = new CookieClient(cartApp(satchel));
    await client.fetch("/owner?add=a");
    const before = client.cookies.get("cart");
    const [oldKey] = await keysOf(store, "user-1");
    await client.fetch("/regen");
    expect(client.cookies.get("cart")).not.toBe(before);
    expect(await store.get(oldKey as string)).toBeNull();
    const keys = await keysOf(store, "user-1");
    expect(keys).toHaveLength(1);
    expect(keys[0]).not.toBe(oldKey);
    expect(await (await client.fetch("/")).json()).toEqual({ items: ["a"], isNew: false });
  });

  it("regenerate after an unusable cookie (its record gone) keeps the new id's cookie", async () => {
    const { satchel, reports, store } = setup();
    const client = new CookieClient(cartApp(satchel));
    await client.fetch("/owner?add=a");
    const [key] = await keysOf(store, "user-1");
    await store.delete(key as string);
    // The sign-in that follows: a fresh session (missing-record reported) moved to a new id at once.
    expect(await (await client.fetch("/regen?add=b")).json()).toEqual({ items: ["b"], isNew: false });
    expect(reports.map((r) => r.reason)).toEqual(["missing-record"]);
    expect(client.cookies.get("cart")).toBeDefined();
    expect(await (await client.fetch("/")).json()).toEqual({ items: ["b"], isNew: false });
  });

  it("destroy deletes the record and the cookie", async () => {
    const { satchel, store } = setup();
    const client = new CookieClient(cartApp(satchel));
    await client.fetch("/owner?add=a");
    await client.fetch("/destroy");
    expect(client.cookies.has("cart")).toBe(false);
    expect(await keysOf(store, "user-1")).toEqual([]);
  });

  it("update() inside its own update function is refused instead of waiting forever", async () => {
    const { satchel } = setup();
    const cart = await satchel.fromRequest(new Request("https://x/")).get("cart");
    await expect(
      cart.update(async () => {
        await cart.update(() => undefined);
        return undefined;
      }),
    ).rejects.toThrow(/update\(\) was called inside its own update function/);
  });

  it("update() refuses to recreate a record that vanished meanwhile: SessionEndedError, fresh handle, cookie cleared", async () => {
    const clock = testClock();
    const inner = createMemoryStore({ now: clock.now });
    const { satchel, reports } = setup({ store: inner, clock });
    const client = new CookieClient(cartApp(satchel));
    await client.fetch("/owner?add=a");
    const [key] = await keysOf(inner, "user-1");
    let calls = 0;
    const sessions = satchel.fromRequest(
      new Request("http://x/", { headers: { cookie: client.cookieHeader() } }),
    );
    const cart = await sessions.get("cart");
    await inner.delete(key as string);
    await expect(
      cart.update((data) => {
        calls++;
        data.items.push({ sku: "b", qty: 1 });
        return undefined;
      }),
    ).rejects.toBeInstanceOf(SessionEndedError);
    expect(calls).toBe(1); // the optimistic try lost (record gone); nothing was written
    expect(await inner.get(key as string)).toBeNull();
    expect(cart.items).toEqual([]);
    expect(cart.$isNew).toBe(true);
    expect(reports.map((report) => report.reason)).toEqual(["ended"]);
    await sessions.commit();
    expect(sessions.apply(new Response()).headers.getSetCookie().join()).toMatch(/^cart=;/);
  });

  it("touches the record (not the cookie) at most once per touchAfter", async () => {
    const { satchel, clock, store } = setup();
    const client = new CookieClient(cartApp(satchel));
    await client.fetch("/owner?add=a");
    const [key] = await keysOf(store, "user-1");
    const first = (await store.get(key as string))?.expiresAt as number;
    clock.advance(30 * 60_000);
    await client.fetch("/");
    expect((await store.get(key as string))?.expiresAt).toBe(first);
    clock.advance(31 * 60_000);
    await client.fetch("/");
    expect(client.lastSetCookie).toEqual([]);
    expect((await store.get(key as string))?.expiresAt).toBe(first + 61 * 60_000);
    // Idle limit (7d) counts from the touch.
    clock.advance(7 * 86_400_000 - 1000);
    expect(await (await client.fetch("/")).json()).toEqual({ items: ["a"], isNew: false });
  });

  it("re-seals an old-key id cookie with the first secret, keeping the record", async () => {
    const clock = testClock();
    const store = createMemoryStore({ now: clock.now });
    const old = setup({ secrets: [SECRET_B], store, clock });
    const client = new CookieClient(cartApp(old.satchel));
    await client.fetch("/?add=a");
    const before = client.cookies.get("cart");
    const rotated = setup({ secrets: [SECRET_A, SECRET_B], store, clock });
    const next = new CookieClient(cartApp(rotated.satchel));
    next.cookies.set("cart", before as string);
    expect(await (await next.fetch("/")).json()).toEqual({ items: ["a"], isNew: false });
    expect(next.cookies.get("cart")).not.toBe(before);
    const onlyNew = new CookieClient(cartApp(setup({ secrets: [SECRET_A], store, clock }).satchel));
    onlyNew.cookies.set("cart", next.cookies.get("cart") as string);
    expect(await (await onlyNew.fetch("/")).json()).toEqual({ items: ["a"], isNew: false });
  });

  it("refuses an expired id that opened on earlier requests, though its record still lives", async () => {
    const clock = testClock();
    // The store's clock stands still: the record outlives the sealed id's absolute limit.
    const store = createMemoryStore({ now: testClock().now });
    const { satchel, reports } = setup({ store, clock });
    const client = new CookieClient(cartApp(satchel));
    await client.fetch("/owner?add=a");
    expect(await (await client.fetch("/")).json()).toEqual({ items: ["a"], isNew: false });
    clock.advance(400 * 86_400_000);
    expect(await (await client.fetch("/")).json()).toEqual({ items: [], isNew: true });
    expect(reports.map((report) => report.reason)).toEqual(["expired"]);
  });

  it("carries the sealed id in a request header and answers in the same response header", async () => {
    const { satchel } = setup();
    const client = new CookieClient(cartApp(satchel));
    await client.fetch("/?add=a");
    const token = client.cookies.get("cart") as string;
    const api = cartApp(satchel);
    const res = await api(new Request("http://x/?add=b", { headers: { "x-cart-session": token } }));
    expect(await res.json()).toEqual({ items: ["a", "b"], isNew: false });
    expect(res.headers.getSetCookie()).toEqual([]);
    const regen = await api(new Request("http://x/regen", { headers: { "x-cart-session": token } }));
    const fresh = regen.headers.get("x-cart-session");
    expect(fresh).toBeTruthy();
    expect(fresh).not.toBe(token);
    expect(regen.headers.getSetCookie()).toEqual([]);
    const again = await api(new Request("http://x/", { headers: { "x-cart-session": fresh as string } }));
    expect(await again.json()).toEqual({ items: ["a", "b"], isNew: false });
  });
});

describe("tokens in response headers are never cached (issue 22 item 4)", () => {
  /** A Fetch app over the cart that answers with the handler's own caching headers. */
  function apiWith(
    satchel: ReturnType<typeof setup>["satchel"],
    own: Record<string, string>,
    redirect = false,
  ) {
    return satchel.handle(async (request, sessions) => {
      const cart = await sessions.get("cart");
      cart.items.push({ sku: new URL(request.url).searchParams.get("add") ?? "x", qty: 1 });
      if (redirect) return Response.redirect("http://x/done", 303); // immutable headers
      return new Response("ok", { headers: own });
    });
  }

  it.each([false, true])(
    "a response carrying x-cart-session is private, no-store and varies on the header (redirect: %s)",
    async (redirect) => {
      const { satchel } = setup();
      const api = apiWith(
        satchel,
        { "cache-control": "public, max-age=600", vary: "Accept-Encoding" },
        redirect,
      );
      const response = await api(
        new Request("http://x/?add=a", { headers: { "x-cart-session": "garbage" } }),
      );
      expect(response.headers.get("x-cart-session")).toMatch(/^[A-Za-z0-9_-]{20,}$/);
      expect(response.headers.get("cache-control")).toBe("private, no-store");
      const vary = (response.headers.get("vary") ?? "").split(",").map((v) => v.trim().toLowerCase());
      expect(vary).toContain("x-cart-session");
      if (!redirect) expect(vary).toContain("accept-encoding");
    },
  );

  it("leaves the caching headers of a response without a token alone", async () => {
    const { satchel } = setup();
    const api = apiWith(satchel, { "cache-control": "public, max-age=600" });
    const response = await api(new Request("http://x/?add=a"));
    expect(response.headers.get("x-cart-session")).toBeNull();
    expect(response.headers.get("cache-control")).toBe("public, max-age=600");
  });
});

describe("store sessions on real servers (127.0.0.1)", () => {
  const urls = {
    redis: "redis://127.0.0.1:6379/0?prefix=satchel-core-test:",
    postgres: "postgres://postgres@127.0.0.1:5432/test?table=satchel_core_test",
  };
  for (const [name, url] of Object.entries(urls)) {
    it(`keeps all 100 concurrent update() appends on ${name}`, async () => {
      const satchel = createSatchel<TestTypes>(testConfig, { secrets: [SECRET_A], store: url });
      const app = satchel.handle(async (req, sessions) => {
        const cart = await sessions.get("cart");
        const sku = new URL(req.url).searchParams.get("sku");
        if (sku !== null) {
          await cart.update((data) => {
            data.items.push({ sku, qty: 1 });
            return undefined;
          });
        }
        if (req.method === "DELETE") await cart.destroy();
        return Response.json({ items: cart.items.length });
      });
      const client = new CookieClient(app);
      try {
        await client.fetch("/?sku=first");
        const cookie = client.cookieHeader();
        await Promise.all(
          Array.from({ length: 100 }, (_, i) =>
            app(new Request(`http://x/?sku=s${i}`, { headers: { cookie } })),
          ),
        );
        expect(await (await client.fetch("/")).json()).toEqual({ items: 101 });
        await client.fetch("/", { method: "DELETE" });
      } finally {
        await satchel.close();
      }
    });
  }
});
