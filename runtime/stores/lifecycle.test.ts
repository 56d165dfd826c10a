/**
 * Ended means ended, over every store: a request that loaded a store session before another request
 * ended it (destroy(), satchel.revokeUser(), regenerate()) must not write it back under its old id.
 * Each case races the two requests deterministically: A loads, B ends, A writes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SessionEndedError } from "../errors.ts";
import type { Satchel } from "../satchel.ts";
import { CookieClient, type TestClock, testClock, testSatchel } from "../test-support/harness.ts";
import { type TestTypes, testConfig } from "../test-support/schema.ts";
import { storeBackends } from "./test-support/backends.ts";
import type { SessionStore } from "./types.ts";

const { backends, startSharedServers, stopSharedServers } = storeBackends("lifecycle");
beforeAll(startSharedServers, 60_000);
afterAll(stopSharedServers, 60_000);

function cartApp(satchel: Satchel<TestTypes>) {
  return satchel.handle(async (request, sessions) => {
    const url = new URL(request.url);
    const cart = await sessions.get("cart");
    const owner = url.searchParams.get("owner");
    if (owner !== null) cart.owner = owner;
    const sku = url.searchParams.get("append");
    if (sku !== null) {
      await cart.update((data) => {
        data.items.push({ sku, qty: 1 });
        return undefined;
      });
    }
    if (url.searchParams.has("flash")) cart.flash.added.add("x");
    return Response.json({
      items: cart.items.map((item) => item.sku),
      owner: cart.owner,
      isNew: cart.$isNew,
    });
  });
}

type Ending = "destroy" | "revokeUser" | "regenerate";
type Write = "save" | "update" | "commit after a flash read";
const endings: Ending[] = ["destroy", "revokeUser", "regenerate"];
const writes: Write[] = ["save", "update", "commit after a flash read"];

let userCounter = 0;

for (const backend of backends) {
  describe(`ended sessions stay ended: ${backend.name}`, () => {
    let clock: TestClock;
    let store: SessionStore;
    let satchel: Satchel<TestTypes>;
    let reports: Array<{ reason: string }>;
    beforeAll(async () => {
      clock = testClock(Date.now());
      store = await backend.make(clock.now);
      ({ satchel, reports } = testSatchel<TestTypes>(testConfig, { store, clock }));
    });
    afterAll(async () => {
      await satchel?.close();
    });

    const request = (cookie: string) =>
      satchel.fromRequest(new Request("http://localhost/", { headers: { cookie } }));

    async function end(ending: Ending, cookie: string, user: string): Promise<void> {
      if (ending === "revokeUser") {
        expect(await satchel.revokeUser("cart", user)).toBe(1);
        return;
      }
      const sessions = request(cookie);
      const cart = await sessions.get("cart");
      expect(cart.$isNew).toBe(false);
      if (ending === "destroy") await cart.destroy();
      else await cart.regenerate();
      await sessions.commit();
    }

    for (const ending of endings) {
      for (const write of writes) {
        it.skipIf(ending === "revokeUser" && !backend.userIndex)(
          `${ending} while another request holds the session, then its ${write}: the old cookie stays signed out`,
          async () => {
            const user = `user-${++userCounter}-${Date.now()}`;
            const client = new CookieClient(cartApp(satchel));
            await client.fetch(`/?owner=${user}&flash=1`);
            await client.fetch("/?append=kept");
            const stolen = client.cookieHeader();
            reports.length = 0;

            // A: a slow request that loaded the session before it ended.
            const slow = request(stolen);
            const cart = await slow.get("cart");
            expect(cart.owner).toBe(user);
            // B: ends it.
            await end(ending, stolen, user);
            // A writes.
            let outcome: unknown = "no error";
            try {
              if (write === "save") {
                cart.note = "written after the end";
                await cart.save();
              } else if (write === "update") {
                await cart.update((data) => {
                  data.items.push({ sku: "after-the-end", qty: 1 });
                  return undefined;
                });
              } else {
                expect(cart.flash.added.read()).toEqual(["x"]);
                await slow.commit();
              }
            } catch (error) {
              outcome = error;
            }

            const again = await (
              await cartApp(satchel)(new Request("http://localhost/", { headers: { cookie: stolen } }))
            ).json();
            expect(again, "the ended session came back").toEqual({ items: [], owner: null, isNew: true });
            if (write === "commit after a flash read") {
              // A wrapper's or the proxy's commit does not fail the response: the cookie is cleared.
              expect(outcome).toBe("no error");
              expect(slow.apply(new Response()).headers.getSetCookie().join()).toMatch(/^cart=;/);
            } else {
              expect(outcome).toBeInstanceOf(SessionEndedError);
            }
            expect(reports.map((report) => report.reason)).toContain("ended");
            if (backend.userIndex)
              expect(await store.keysForUser?.(user)).toEqual(
                ending === "regenerate" ? [expect.any(String)] : [],
              );
          },
        );
      }
    }

    it.runIf(backend.userIndex)(
      "4 looping add-to-cart requests and revokeUser at a random moment: the revoked cookie stays signed out",
      { timeout: 60_000 },
      async () => {
        const user = `looper-${++userCounter}-${Date.now()}`;
        const app = cartApp(satchel);
        const client = new CookieClient(app);
        await client.fetch(`/?owner=${user}`);
        const stolen = client.cookieHeader();
        const revokeAfter = 1 + Math.floor(Math.random() * 30);
        let requests = 0;
        let revoked = 0;
        const loop = async (worker: number) => {
          for (let i = 0; i < 10; i++) {
            requests++;
            if (requests === revokeAfter) revoked = await satchel.revokeUser("cart", user);
            // Errors (the session ended under the request) are the expected outcome after the revoke.
            await app(
              new Request(`http://localhost/?append=w${worker}-${i}`, { headers: { cookie: stolen } }),
            ).catch(() => undefined);
          }
        };
        await Promise.all([0, 1, 2, 3].map(loop));
        expect(revoked).toBe(1);
        const again = await (
          await app(new Request("http://localhost/", { headers: { cookie: stolen } }))
        ).json();
        expect(again).toMatchObject({ owner: null, isNew: true });
        expect(await store.keysForUser?.(user)).toEqual([]);
      },
    );
  });
}

for (const backend of backends) {
  describe(`a user's sessions one by one: ${backend.name}`, () => {
    let clock: TestClock;
    let satchel: Satchel<TestTypes>;
    beforeAll(async () => {
      clock = testClock(Date.now());
      const store = await backend.make(clock.now);
      ({ satchel } = testSatchel<TestTypes>(testConfig, {
        store,
        clock,
        describeDevice: (headers) => headers.get("user-agent") ?? undefined,
      }));
    });
    afterAll(async () => {
      await satchel?.close();
    });

    it.runIf(backend.userIndex)(
      "lists them with public id, created-at, last access and device; revokes one; then all but the current",
      async () => {
        const user = `lister-${++userCounter}-${Date.now()}`;
        const app = cartApp(satchel);
        const devices = new Map<string, CookieClient>();
        const on = (device: string) => devices.get(device) as CookieClient;
        for (const device of ["phone", "laptop", "tablet"]) {
          const client = new CookieClient(app);
          await client.fetch(`/?owner=${user}`, { headers: { "user-agent": device } });
          devices.set(device, client);
          clock.advance(60_000);
        }
        // A later request from the laptop with another user agent: the device recorded at creation stays.
        await on("laptop").fetch("/?append=x", { headers: { "user-agent": "changed" } });
        const listed = await satchel.listUserSessions("cart", user);
        expect(listed.map((entry) => entry.device)).toEqual(["laptop", "tablet", "phone"]); // most recent first
        for (const entry of listed) {
          expect(entry.publicId).toMatch(/^[0-9a-f]{32}$/);
          expect(entry.session).toBe("cart");
          expect(entry.createdAt?.getTime()).toBeLessThanOrEqual(entry.lastAccessedAt?.getTime() ?? 0);
          expect(entry.expiresAt.getTime()).toBeGreaterThan(clock.now());
        }
        // The public id is not the bearer token nor anything in the cookie.
        const cookies = [...devices.values()].map((client) => client.cookieHeader()).join(" ");
        for (const entry of listed) expect(cookies).not.toContain(entry.publicId);
        const byDevice = new Map(listed.map((entry) => [entry.device, entry.publicId]));

        expect(await satchel.revokeSession("cart", user, byDevice.get("phone") ?? "")).toBe(true);
        expect(await satchel.revokeSession("cart", user, byDevice.get("phone") ?? "")).toBe(false);
        expect(await satchel.revokeSession("cart", "someone-else", byDevice.get("tablet") ?? "")).toBe(false);
        expect((await (await on("phone").fetch("/")).json()).isNew).toBe(true);
        expect((await satchel.listUserSessions("cart", user)).map((entry) => entry.device)).toEqual([
          "laptop",
          "tablet",
        ]);

        // "Sign out all other devices" from the laptop's own request: its handle is the exception.
        const current = satchel.fromRequest(
          new Request("http://localhost/", { headers: { cookie: on("laptop").cookieHeader() } }),
        );
        const laptopCart = await current.get("cart");
        expect((await laptopCart.$metadata()).publicId).toBe(byDevice.get("laptop"));
        expect(await satchel.revokeUser("cart", user, { except: laptopCart })).toBe(1);
        expect((await (await on("tablet").fetch("/")).json()).isNew).toBe(true);
        expect(await (await on("laptop").fetch("/")).json()).toMatchObject({
          owner: user,
          isNew: false,
        });
        expect((await satchel.listUserSessions("cart", user)).map((entry) => entry.device)).toEqual([
          "laptop",
        ]);
      },
    );

    it.skipIf(backend.userIndex)("says clearly that it cannot list a user's sessions", async () => {
      await expect(satchel.listUserSessions("cart", "anyone")).rejects.toThrow(
        /^satchel: the "memcached" store cannot list a user's sessions, so listUserSessions\(\) is unavailable/,
      );
      await expect(satchel.revokeSession("cart", "anyone", "0".repeat(32))).rejects.toThrow(/cannot list/);
      await expect(satchel.revokeUser("cart", "anyone")).rejects.toThrow(/cannot list/);
    });
  });
}
