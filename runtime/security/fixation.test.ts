/**
 * Session fixation: an attacker who can plant a cookie (a sibling subdomain, an XSS on another
 * path, a shared computer) must never get the victim onto an id the attacker knows.
 * - An id the server never issued is never adopted: whatever arrives, a write issues a fresh random id.
 * - `regenerate()` on login moves the data to a new id and deletes the old record, so the planted
 *   (or stolen) old cookie is worthless from then on.
 */
import { describe, expect, it } from "vitest";
import { createSealer } from "../crypto/seal.ts";
import { storeKey } from "../session/store-keys.ts";
import { createCountingStore } from "../stores/counting.ts";
import { createMemoryStore } from "../stores/memory.ts";
import { CookieClient, SECRET_A, testClock, testSatchel } from "../test-support/harness.ts";
import { type TestTypes, testConfig } from "../test-support/schema.ts";

/** An app with a login that regenerates (the right way) and one that does not (to show the difference). */
function app() {
  const clock = testClock();
  const store = createCountingStore(createMemoryStore({ now: clock.now }));
  const setup = testSatchel<TestTypes>(testConfig, { clock, store });
  const handler = setup.satchel.handle(async (request, sessions) => {
    const cart = await sessions.get("cart");
    const path = new URL(request.url).pathname;
    if (path === "/add") cart.note = "attacker's note";
    if (path === "/login") {
      await cart.regenerate();
      cart.owner = "victim";
    }
    if (path === "/login-without-regenerate") cart.owner = "victim";
    if (path === "/logout") await cart.destroy();
    return Response.json({ owner: cart.owner, note: cart.note, isNew: cart.$isNew });
  });
  return { ...setup, store, handler, sealer: createSealer([SECRET_A]) };
}

type App = ReturnType<typeof app>;

async function idOf(a: App, token: string | null | undefined): Promise<Uint8Array> {
  const result = await a.sealer.unseal("cart", token ?? "", a.clock.now());
  if (!result.ok) throw new Error(`not a live cart token: ${result.reason}`);
  return result.plaintext;
}

async function sealedId(a: App, id: Uint8Array): Promise<string> {
  const now = Math.floor(a.clock.now() / 1000);
  return a.sealer.seal("cart", id, { createdAt: now, absoluteExpiresAt: now + 86_400, idleExpiresAt: null });
}

const same = (x: Uint8Array, y: Uint8Array) => Buffer.from(x).equals(Buffer.from(y));

describe("ids the server never issued are never adopted", () => {
  it.each([
    ["a raw id in the clear", "0".repeat(64)],
    ["a random string", "attacker-chosen-session-id"],
    ["an empty value", ""],
  ])("%s in the cookie → a fresh session with a new random id", async (_label, planted) => {
    const a = app();
    const victim = new CookieClient(a.handler);
    victim.cookies.set("cart", planted);
    // Even a login that forgets regenerate() cannot adopt it.
    const body = await (await victim.fetch("/login-without-regenerate")).json();
    expect(body).toMatchObject({ owner: "victim", isNew: true });
    const issued = victim.cookies.get("cart");
    expect(issued).not.toBe(planted);
    expect((await idOf(a, issued)).length).toBe(32);
  });

  it("a correctly sealed id with no record (forged with the secret, or from a wiped store) is not adopted", async () => {
    const a = app();
    const plantedId = new Uint8Array(32).fill(7);
    const victim = new CookieClient(a.handler);
    victim.cookies.set("cart", await sealedId(a, plantedId));
    expect(await (await victim.fetch("/login-without-regenerate")).json()).toMatchObject({ isNew: true });
    expect(a.reports.map((r) => r.reason)).toEqual(["missing-record"]);
    const issuedId = await idOf(a, victim.cookies.get("cart"));
    expect(same(issuedId, plantedId)).toBe(false);
    // Nothing was ever written under the planted id.
    expect(await a.store.get(await storeKey("cart", plantedId))).toBeNull();
    expect(a.store.log().filter((entry) => entry.startsWith("compareAndSet"))).toHaveLength(1);
    expect(a.store.log()).not.toContain(`compareAndSet ${await storeKey("cart", plantedId)}`);
  });

  it("the same holds for the header transport (x-cart-session): a new id comes back in the response header", async () => {
    const a = app();
    const plantedId = new Uint8Array(32).fill(9);
    const response = await a.handler(
      new Request("http://localhost/login-without-regenerate", {
        headers: { "x-cart-session": await sealedId(a, plantedId) },
      }),
    );
    expect(await response.json()).toMatchObject({ isNew: true });
    const issued = response.headers.get("x-cart-session");
    expect(issued).toBeTruthy();
    expect(same(await idOf(a, issued), plantedId)).toBe(false);
    expect(response.headers.getSetCookie()).toEqual([]); // a header client gets no cookie
  });

  it("an expired session's id is not revived: the next write gets a new id", async () => {
    const a = app();
    const user = new CookieClient(a.handler);
    await user.fetch("/add");
    const oldId = await idOf(a, user.cookies.get("cart"));
    a.clock.advance(8 * 86_400_000); // past the 7-day idle limit
    await user.fetch("/add");
    expect(same(await idOf(a, user.cookies.get("cart")), oldId)).toBe(false);
  });
});

describe("regenerate() on login", () => {
  it("classic fixation: the attacker's planted session id is useless once the victim logs in", async () => {
    const a = app();
    const attacker = new CookieClient(a.handler);
    await attacker.fetch("/add"); // a real session, issued to the attacker
    const planted = attacker.cookies.get("cart") as string;
    const plantedId = await idOf(a, planted);

    const victim = new CookieClient(a.handler);
    victim.cookies.set("cart", planted);
    // The victim's session is the planted one until login; regenerate() keeps its data, new id.
    expect(await (await victim.fetch("/login")).json()).toEqual({
      owner: "victim",
      note: "attacker's note",
      isNew: false,
    });
    expect(victim.cookies.get("cart")).not.toBe(planted);
    expect(same(await idOf(a, victim.cookies.get("cart")), plantedId)).toBe(false);

    // The attacker replays the planted cookie: a fresh session, not the victim's.
    expect(await (await attacker.fetch("/")).json()).toEqual({ owner: null, note: "", isNew: true });
    expect(a.reports.at(-1)).toMatchObject({ session: "cart", reason: "missing-record" });
    // The old record is gone from the store, not just unreferenced.
    expect(await a.store.get(await storeKey("cart", plantedId))).toBeNull();
    // The victim is still logged in.
    expect(await (await victim.fetch("/")).json()).toMatchObject({ owner: "victim", isNew: false });
  });

  it("without regenerate() the fixation works — which is why login must call it", async () => {
    const a = app();
    const attacker = new CookieClient(a.handler);
    await attacker.fetch("/add");
    const victim = new CookieClient(a.handler);
    victim.cookies.set("cart", attacker.cookies.get("cart") as string);
    await victim.fetch("/login-without-regenerate");
    expect(await (await attacker.fetch("/")).json()).toMatchObject({ owner: "victim" });
  });

  it("destroy() on logout: the old cookie replayed gives a fresh session and the record is gone", async () => {
    const a = app();
    const user = new CookieClient(a.handler);
    await user.fetch("/login");
    const token = user.cookies.get("cart") as string;
    const id = await idOf(a, token);
    await user.fetch("/logout");
    expect(user.cookies.has("cart")).toBe(false);
    expect(await a.store.get(await storeKey("cart", id))).toBeNull();
    const replay = await a.handler(
      new Request("http://localhost/", { headers: { cookie: `cart=${token}` } }),
    );
    expect(await replay.json()).toEqual({ owner: null, note: "", isNew: true });
  });

  it("the store never sees a raw id: keys are SHA-256 hashes", async () => {
    const a = app();
    const user = new CookieClient(a.handler);
    await user.fetch("/login");
    const id = Buffer.from(await idOf(a, user.cookies.get("cart"))).toString("hex");
    for (const entry of a.store.log()) expect(entry).not.toContain(id);
  });
});

describe("cookie sessions: regenerate() gives a new token, but an old token cannot be revoked", () => {
  it("the old token stays valid until its sealed expiry (the documented limit of cookie sessions)", async () => {
    const clock = testClock();
    const { satchel } = testSatchel<TestTypes>(testConfig, { clock });
    const handler = satchel.handle(async (request, sessions) => {
      const auth = await sessions.get("auth");
      if (new URL(request.url).pathname === "/login") {
        await auth.regenerate();
        auth.userId = "u1";
      }
      return Response.json({ userId: auth.userId });
    });
    const user = new CookieClient(handler);
    await user.fetch("/login");
    const first = user.cookies.get("auth") as string;
    await user.fetch("/login");
    expect(user.cookies.get("auth")).not.toBe(first);
    const replay = async () =>
      (await (
        await handler(new Request("http://localhost/", { headers: { cookie: `auth=${first}` } }))
      ).json()) as {
        userId: string | null;
      };
    expect(await replay()).toEqual({ userId: "u1" }); // still valid: nothing server-side to delete
    clock.advance(2 * 3_600_000); // the 2h idle limit sealed inside it
    expect(await replay()).toEqual({ userId: null });
  });
});
