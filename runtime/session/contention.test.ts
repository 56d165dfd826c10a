/**
 * Writers of one store record under contention: updates from one process take turns, writers in other
 * processes retry their compare-and-set, and `update(fn)` gives up only once its attempts and its time
 * budget are both spent.
 */
import { describe, expect, it } from "vitest";
import { createMemoryStore } from "../stores/memory.ts";
import type { SessionStore } from "../stores/types.ts";
import { cartApp } from "../test-support/cart-app.ts";
import { CookieClient, testClock, testSatchel } from "../test-support/harness.ts";
import { type TestTypes, testConfig } from "../test-support/schema.ts";

function setup(options: Parameters<typeof testSatchel>[1] = {}) {
  return testSatchel<TestTypes>(testConfig, options);
}

describe("concurrent update() of one store session", () => {
  it("keeps all 100 concurrent update() appends to one session", async () => {
    const { satchel } = setup();
    const client = new CookieClient(cartApp(satchel));
    await client.fetch("/?add=first");
    const cookie = client.cookieHeader();
    const appendOne = satchel.handle(async (req, sessions) => {
      const cart = await sessions.get("cart");
      const sku = new URL(req.url).searchParams.get("sku") as string;
      await cart.update((data) => {
        data.items.push({ sku, qty: 1 });
        return undefined;
      });
      return new Response("ok");
    });
    const responses = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        appendOne(new Request(`http://localhost/?sku=s${i}`, { headers: { cookie } })),
      ),
    );
    expect(responses.every((r) => r.status === 200)).toBe(true);
    const items = (await (await client.fetch("/")).json()).items as string[];
    expect(items).toHaveLength(101);
    expect(new Set(items).size).toBe(101);
  });

  it("keeps all appends when two app instances (each with its own store client) contend", async () => {
    const clock = testClock();
    const shared = createMemoryStore({ now: clock.now });
    // Two store objects over one backend: like two server processes, they share no in-process queue.
    const one = setup({ store: { ...shared }, clock });
    const two = setup({ store: { ...shared }, clock });
    const client = new CookieClient(cartApp(one.satchel));
    await client.fetch("/?add=first");
    const cookie = client.cookieHeader();
    const append = (satchel: typeof one.satchel) =>
      satchel.handle(async (req, sessions) => {
        const sku = new URL(req.url).searchParams.get("sku") as string;
        await (await sessions.get("cart")).update((data) => ({
          ...data,
          items: [...data.items, { sku, qty: 1 }],
        }));
        return new Response("ok");
      });
    const apps = [append(one.satchel), append(two.satchel)];
    await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        (apps[i % 2] as (r: Request) => Promise<Response>)(
          new Request(`http://x/?sku=s${i}`, { headers: { cookie } }),
        ),
      ),
    );
    const items = (await (await client.fetch("/")).json()).items as string[];
    expect(new Set(items).size).toBe(61);
  });

  it("update() gives up with a clear error when every attempt loses the race", async () => {
    const clock = testClock();
    const inner = createMemoryStore({ now: clock.now });
    const { satchel } = setup({ store: inner, clock });
    const client = new CookieClient(cartApp(satchel));
    await client.fetch("/?add=a");
    // Another writer bumps the record between every read and write of this request.
    const busy: SessionStore = {
      ...inner,
      async compareAndSet(key, value, expected, options) {
        const current = await inner.get(key);
        if (current !== null) await inner.set(key, current.value, { expiresAt: current.expiresAt });
        return inner.compareAndSet(key, value, expected, options);
      },
    };
    const contended = setup({ store: busy, clock });
    const sessions = contended.satchel.fromRequest(
      new Request("http://x/", { headers: { cookie: client.cookieHeader() } }),
    );
    const cart = await sessions.get("cart");
    await expect(cart.update((d) => ({ ...d, note: "x" }))).rejects.toThrow(
      /session "cart" update\(\) gave up after \d+ attempts in \d+ ms/,
    );
  }, 20_000);

  it("update() keeps trying past its attempt count while contention lasts less than its time budget", async () => {
    const clock = testClock();
    const inner = createMemoryStore({ now: clock.now });
    const { satchel } = setup({ store: inner, clock });
    const client = new CookieClient(cartApp(satchel));
    await client.fetch("/?add=a");
    // Another writer wins the first 70 races (more than the attempt count), then lets this one through.
    let conflicts = 70;
    const slowlyClearing: SessionStore = {
      ...inner,
      async compareAndSet(key, value, expected, options) {
        if (conflicts > 0) {
          conflicts--;
          const current = await inner.get(key);
          if (current !== null) await inner.set(key, current.value, { expiresAt: current.expiresAt });
        }
        return inner.compareAndSet(key, value, expected, options);
      },
    };
    const contended = setup({ store: slowlyClearing, clock });
    const sessions = contended.satchel.fromRequest(
      new Request("http://x/", { headers: { cookie: client.cookieHeader() } }),
    );
    const cart = await sessions.get("cart");
    await cart.update((d) => ({ ...d, items: [...d.items, { sku: "b", qty: 1 }] }));
    expect(conflicts).toBe(0);
    const after = satchel.fromRequest(
      new Request("http://x/", { headers: { cookie: client.cookieHeader() } }),
    );
    expect((await after.get("cart")).items.map((i) => i.sku)).toEqual(["a", "b"]);
  }, 20_000);
});
