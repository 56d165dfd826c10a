/**
 * The session engine over every store backend: no lost updates under 100 concurrent update()
 * calls, the lazy round-trip rules (counted with counting.ts), and "log out everywhere".
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Satchel } from "../satchel.ts";
import { CookieClient, type TestClock, testClock, testSatchel } from "../test-support/harness.ts";
import { type TestTypes, testConfig } from "../test-support/schema.ts";
import { type CountingStore, createCountingStore } from "./counting.ts";
import { storeBackends } from "./test-support/backends.ts";

const run = randomBytes(4).toString("hex");
const report = (line: string) => console.info(`[measure] ${line}`);

/** Each backend, built over the test clock (so expiry and touchAfter follow it). */
const { backends, startSharedServers, stopSharedServers } = storeBackends("sos");
beforeAll(startSharedServers, 60_000);
afterAll(stopSharedServers, 60_000);

function cartApp(satchel: Satchel<TestTypes>) {
  return satchel.handle(async (request, sessions) => {
    const url = new URL(request.url);
    if (url.pathname === "/health") return new Response("ok"); // never touches the session
    const cart = await sessions.get("cart");
    if (url.pathname === "/owner") cart.owner = url.searchParams.get("user");
    if (url.pathname === "/same") cart.items = cart.items.map((item) => ({ ...item })); // equal data
    if (url.pathname === "/append") {
      const sku = url.searchParams.get("sku") ?? "";
      await cart.update((data) => {
        data.items.push({ sku, qty: 1 });
        return undefined;
      });
    }
    return Response.json({ items: cart.items.map((item) => item.sku), isNew: cart.$isNew });
  });
}

for (const backend of backends) {
  describe(`sessions over the ${backend.name} store`, () => {
    let clock: TestClock;
    let store: CountingStore;
    let satchel: Satchel<TestTypes>;
    beforeAll(async () => {
      // Near real time: Redis and memcached expire by their own clocks too.
      clock = testClock(Date.now());
      store = createCountingStore(await backend.make(clock.now));
      satchel = testSatchel<TestTypes>(testConfig, { store, clock }).satchel;
    });
    afterAll(async () => {
      await satchel?.close();
    });

    it("100 concurrent update() appends to one cart keep exactly 100", { timeout: 120_000 }, async () => {
      const app = cartApp(satchel);
      const client = new CookieClient(app);
      await client.fetch("/owner?user=appender");
      const cookie = client.cookieHeader();
      // Four app instances over the same backend, like four server processes: the engine queues
      // updates of one record within an instance, so only the store's compare-and-set keeps
      // instances from losing each other's appends.
      const instances = Array.from({ length: 4 }, () => {
        const counted = createCountingStore(store.inner);
        const { satchel: instance } = testSatchel<TestTypes>(testConfig, { store: counted, clock });
        return { counted, app: cartApp(instance) };
      });
      const started = performance.now();
      const responses = await Promise.all(
        Array.from({ length: 100 }, (_, i) => {
          const instance = instances[i % instances.length] as (typeof instances)[number];
          return instance.app(new Request(`http://localhost/append?sku=s${i}`, { headers: { cookie } }));
        }),
      );
      const ms = performance.now() - started;
      expect(responses.map((response) => response.status).filter((status) => status !== 200)).toEqual([]);
      const items = (await (await client.fetch("/")).json()).items as string[];
      expect(items).toHaveLength(100);
      expect(new Set(items).size).toBe(100);
      const cas = instances.reduce((sum, { counted }) => sum + counted.counts().compareAndSet, 0);
      const gets = instances.reduce((sum, { counted }) => sum + counted.counts().get, 0);
      report(
        `sessions/${backend.name}: 100 concurrent update() from 4 instances in ${ms.toFixed(0)} ms ` +
          `(${cas} compare-and-sets, ${gets} gets)`,
      );
    });

    it("a request that does not touch the session makes no store call", async () => {
      const client = new CookieClient(cartApp(satchel));
      await client.fetch("/owner?user=lazy");
      store.reset();
      await client.fetch("/health");
      expect(store.log()).toEqual([]);
    });

    it("a read-only request makes exactly one get; an unchanged session is not written", async () => {
      const client = new CookieClient(cartApp(satchel));
      await client.fetch("/append?sku=a");
      store.reset();
      expect(await (await client.fetch("/")).json()).toEqual({ items: ["a"], isNew: false });
      expect(store.counts()).toMatchObject({ get: 1, set: 0, compareAndSet: 0, touch: 0, delete: 0 });
      store.reset();
      await client.fetch("/same");
      expect(store.counts()).toMatchObject({ get: 1, set: 0, compareAndSet: 0, touch: 0, delete: 0 });
      expect(client.lastSetCookie).toEqual([]);
    });

    it("touches at most once per touchAfter (1h), and keeps the record alive", async () => {
      const client = new CookieClient(cartApp(satchel));
      await client.fetch("/append?sku=t");
      const touches: number[] = [];
      for (const minutes of [30, 31, 1, 1, 58]) {
        clock.advance(minutes * 60_000);
        store.reset();
        expect((await (await client.fetch("/")).json()).items).toEqual(["t"]);
        touches.push(store.counts().touch);
        expect(store.counts().get).toBe(1);
      }
      // 30 min: too early; 61: touch; 62, 63: within the hour of that touch; 121: touch again.
      expect(touches).toEqual([0, 1, 0, 0, 1]);
    });

    it.runIf(backend.userIndex)("revokeUser logs a user out of every cart", async () => {
      const user = `revoke-${run}`;
      const phone = new CookieClient(cartApp(satchel));
      const laptop = new CookieClient(cartApp(satchel));
      const other = new CookieClient(cartApp(satchel));
      await phone.fetch(`/owner?user=${user}`);
      await laptop.fetch(`/owner?user=${user}`);
      await other.fetch("/owner?user=someone-else");
      await phone.fetch("/append?sku=phone");
      expect(await satchel.revokeUser("cart", user)).toBe(2);
      expect(await (await phone.fetch("/")).json()).toEqual({ items: [], isNew: true });
      expect(await (await laptop.fetch("/")).json()).toEqual({ items: [], isNew: true });
      expect((await (await other.fetch("/")).json()).isNew).toBe(false);
    });
  });
}
