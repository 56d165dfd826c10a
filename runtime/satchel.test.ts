import { afterEach, describe, expect, expectTypeOf, it, vi } from "vitest";
import { z } from "zod";
import { defineSessions } from "./define.ts";
import { SessionStoreUnavailableError } from "./errors.ts";
import { createSatchel } from "./satchel.ts";
import { createMemoryStore } from "./stores/memory.ts";
import type { SessionStore } from "./stores/types.ts";
import { CookieClient, testClock, testSatchel } from "./test-support/harness.ts";
import { type TestTypes, testConfig } from "./test-support/schema.ts";
import type { Message, SessionHandle } from "./types.ts";

afterEach(() => {
  vi.unstubAllEnvs();
});

/** A store that is down for the operations listed. */
function downStore(inner: SessionStore, down: Set<string>): SessionStore {
  const guard =
    <A extends unknown[], R>(operation: string, fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      if (down.has(operation)) throw new SessionStoreUnavailableError("flaky", operation);
      return fn(...args);
    };
  return {
    name: "flaky",
    get: guard("get", inner.get),
    set: guard("set", inner.set),
    compareAndSet: guard("compareAndSet", inner.compareAndSet),
    delete: guard("delete", inner.delete),
    touch: guard("touch", inner.touch),
  };
}

describe("createSatchel", () => {
  it("can be created without SESSION_SECRET (next build) and explains the secret on first use", async () => {
    vi.stubEnv("SESSION_SECRET", "");
    const satchel = createSatchel<TestTypes>(testConfig, { store: createMemoryStore() });
    const sessions = satchel.fromRequest(new Request("http://x/"));
    const auth = await sessions.get("auth");
    expect(auth.userId).toBeNull();
    auth.userId = "u1";
    await expect(sessions.commit()).rejects.toThrow(/SESSION_SECRET.*npx satchel secret/s);
  });

  it("reads SESSION_SECRET lazily", async () => {
    vi.stubEnv("SESSION_SECRET", "e".repeat(40));
    const satchel = createSatchel<TestTypes>(testConfig, { store: createMemoryStore() });
    const app = satchel.handle(async (_r, s) => {
      (await s.get("auth")).userId = "u1";
      return new Response("ok");
    });
    expect((await app(new Request("http://x/"))).headers.getSetCookie()).toHaveLength(1);
  });

  it("lets a store outage surface as SessionStoreUnavailableError and writes no cookie", async () => {
    const down = new Set<string>();
    const clock = testClock();
    const inner = createMemoryStore({ now: clock.now });
    const { satchel } = testSatchel<TestTypes>(testConfig, { store: downStore(inner, down), clock });
    const app = satchel.handle(async (req, sessions) => {
      const cart = await sessions.get("cart");
      if (req.method === "POST") cart.note = "x";
      return Response.json({ note: cart.note });
    });
    const client = new CookieClient(app);
    await client.fetch("/", { method: "POST" });
    const cookieBefore = client.cookies.get("cart");

    down.add("get");
    await expect(client.fetch("/")).rejects.toBeInstanceOf(SessionStoreUnavailableError);
    down.clear();

    down.add("compareAndSet");
    const fresh = new CookieClient(app);
    await expect(fresh.fetch("/", { method: "POST" })).rejects.toBeInstanceOf(SessionStoreUnavailableError);
    expect(fresh.cookies.size).toBe(0);
    down.clear();
    expect(client.cookies.get("cart")).toBe(cookieBefore);
    expect(await (await client.fetch("/")).json()).toEqual({ note: "x" });
  });

  it("a rolling touch that fails does not fail a request that only read", async () => {
    const down = new Set<string>(["touch"]);
    const clock = testClock();
    const { satchel } = testSatchel<TestTypes>(testConfig, {
      store: downStore(createMemoryStore({ now: clock.now }), down),
      clock,
    });
    const client = new CookieClient(
      satchel.handle(async (req, sessions) => {
        const cart = await sessions.get("cart");
        if (req.method === "POST") cart.note = "x";
        return Response.json({ note: cart.note });
      }),
    );
    await client.fetch("/", { method: "POST" });
    clock.advance(2 * 3600_000);
    const res = await client.fetch("/");
    expect(await res.json()).toEqual({ note: "x" });
  });

  it("cookie sessions keep working while the store is down (the store is only used when needed)", async () => {
    const { satchel } = testSatchel<TestTypes>(testConfig, {
      store: downStore(createMemoryStore(), new Set(["get", "set", "compareAndSet", "delete", "touch"])),
    });
    const app = satchel.handle(async (_r, s) => {
      (await s.get("auth")).userId = "u1";
      return new Response("ok");
    });
    expect((await app(new Request("http://x/"))).status).toBe(200);
  });

  it("resolves a store URL through stores/url.ts when a store session is used", async () => {
    const satchel = createSatchel<TestTypes>(testConfig, { secrets: ["s".repeat(40)], store: "memory:" });
    const app = satchel.handle(async (req, s) => {
      const cart = await s.get("cart");
      if (req.method === "POST") cart.note = "via url";
      return Response.json({ note: cart.note });
    });
    const client = new CookieClient(app);
    await client.fetch("/", { method: "POST" });
    expect(await (await client.fetch("/")).json()).toEqual({ note: "via url" });
    await satchel.close();
  });
});

describe("store selection", () => {
  it("reads SESSION_STORE_URL on first use of a store session", async () => {
    vi.stubEnv("SESSION_STORE_URL", "memory:");
    const satchel = createSatchel<TestTypes>(testConfig, { secrets: ["s".repeat(40)] });
    const client = new CookieClient(
      satchel.handle(async (req, s) => {
        const cart = await s.get("cart");
        if (req.method === "POST") cart.note = "env";
        return Response.json({ note: cart.note });
      }),
    );
    await client.fetch("/", { method: "POST" });
    expect(await (await client.fetch("/")).json()).toEqual({ note: "env" });
    await satchel.close();
  });

  it("reports a bad store URL when a store session is first used, not at creation", async () => {
    const satchel = createSatchel<TestTypes>(testConfig, { secrets: ["s".repeat(40)], store: "nosuch://x" });
    const sessions = satchel.fromRequest(new Request("http://x/"));
    await sessions.get("auth");
    const cart = await sessions.get("cart");
    cart.note = "x";
    await expect(sessions.commit()).rejects.toThrow(/^satchel:/);
  });
});

describe("types", () => {
  it("gives typed handles for an interface of session types (as the generated module declares)", async () => {
    interface Types {
      auth: SessionHandle<{ userId: string | null; roles: string[] }, { notice: string }>;
      cart: SessionHandle<
        { items: { sku: string; qty: number }[]; note: string; owner: string | null },
        { added: string },
        true
      >;
    }
    const { satchel } = testSatchel<Types>(testConfig);
    const sessions = satchel.fromRequest(new Request("http://x/"));
    const auth = await sessions.get("auth");
    expectTypeOf(auth.userId).toEqualTypeOf<string | null>();
    expectTypeOf(auth.get("roles")).toEqualTypeOf<string[]>();
    expectTypeOf(auth.flash.notice.read()).toEqualTypeOf<string[]>();
    expectTypeOf(auth).not.toHaveProperty("messages");
    const cart = await sessions.get("cart");
    expectTypeOf(cart.messages.read()).toEqualTypeOf<Message[]>();
    expectTypeOf(sessions.get).parameter(0).toEqualTypeOf<"auth" | "cart">();
    // @ts-expect-error a flash payload of the wrong type
    expect(() => auth.flash.notice.add(5)).toThrow();
    // @ts-expect-error a field of the wrong type
    auth.set("userId", 5);
  });
});

describe("per-session stores", () => {
  const user = z.string().nullable().default(null);
  function setupStores() {
    // Real time: the `memory:` URL store keeps its own (real) clock.
    const clock = testClock(Date.now());
    const cartStore = createMemoryStore({ now: clock.now });
    const prefsStore = createMemoryStore({ now: clock.now });
    const runtimeStore = createMemoryStore({ now: clock.now });
    let factoryCalls = 0;
    const config = defineSessions({
      cart: {
        storage: "store",
        schema: z.object({ owner: user, sku: z.string().default("") }),
        userField: "owner",
        store: cartStore,
      },
      prefs: {
        storage: "store",
        schema: z.object({ owner: user, theme: z.string().default("light") }),
        userField: "owner",
        store: () => {
          factoryCalls++;
          return prefsStore;
        },
      },
      notes: {
        storage: "store",
        schema: z.object({ owner: user, text: z.string().default("") }),
        userField: "owner",
      },
      scratch: { storage: "store", schema: z.object({ owner: user }), userField: "owner", store: "memory:" },
    });
    type Types = {
      cart: SessionHandle<{ owner: string | null; sku: string }>;
      prefs: SessionHandle<{ owner: string | null; theme: string }>;
      notes: SessionHandle<{ owner: string | null; text: string }>;
      scratch: SessionHandle<{ owner: string | null }>;
    };
    const { satchel } = testSatchel<Types>(config, { store: runtimeStore, clock });
    const app = satchel.handle(async (_request, sessions) => {
      const [cart, prefs, notes, scratch] = await Promise.all([
        sessions.get("cart"),
        sessions.get("prefs"),
        sessions.get("notes"),
        sessions.get("scratch"),
      ]);
      cart.owner = prefs.owner = notes.owner = scratch.owner = "u1";
      cart.sku = "apple";
      prefs.theme = "dark";
      notes.text = "hello";
      return Response.json({ sku: cart.sku, theme: prefs.theme, text: notes.text, fresh: scratch.$isNew });
    });
    return { satchel, app, cartStore, prefsStore, runtimeStore, factoryCalls: () => factoryCalls };
  }

  it("each session lives in its own store, in one request; revokeUser and listing use that store", async () => {
    const { satchel, app, cartStore, prefsStore, runtimeStore, factoryCalls } = setupStores();
    const client = new CookieClient(app);
    await client.fetch("/");
    expect(await cartStore.keysForUser?.("u1")).toEqual([expect.stringMatching(/^cart:/)]);
    expect(await prefsStore.keysForUser?.("u1")).toEqual([expect.stringMatching(/^prefs:/)]);
    expect(await runtimeStore.keysForUser?.("u1")).toEqual([expect.stringMatching(/^notes:/)]);
    expect(await (await client.fetch("/")).json()).toEqual({
      sku: "apple",
      theme: "dark",
      text: "hello",
      fresh: false,
    });
    expect(factoryCalls()).toBe(1); // the factory runs once, on first use

    expect((await satchel.listUserSessions("prefs", "u1")).map((entry) => entry.session)).toEqual(["prefs"]);
    expect((await satchel.listUserSessions("scratch", "u1")).map((entry) => entry.session)).toEqual([
      "scratch",
    ]);
    expect(await satchel.revokeUser("prefs", "u1")).toBe(1);
    expect(await prefsStore.keysForUser?.("u1")).toEqual([]);
    expect(await cartStore.keysForUser?.("u1")).toHaveLength(1);
    expect(await satchel.revokeUser("cart", "u1")).toBe(1);
    expect(await cartStore.keysForUser?.("u1")).toEqual([]);
    expect(await runtimeStore.keysForUser?.("u1")).toHaveLength(1);
    await satchel.close();
  });

  it("defineSessions refuses a store on a cookie session and a store that is not one", () => {
    const schema = z.object({ sku: z.string().default("") });
    expect(() => defineSessions({ cart: { storage: "cookie", schema, store: "memory:" } })).toThrow(
      /^satchel: session "cart" key "store": only store sessions live in a store/,
    );
    expect(() =>
      defineSessions({ cart: { storage: "store", schema, store: 42 as unknown as string } }),
    ).toThrow(/^satchel: session "cart" key "store": must be a store object, a URL, or a function/);
  });

  it("a session store factory that returns no store fails with a satchel error naming the session", async () => {
    const config = defineSessions({
      cart: {
        storage: "store",
        schema: z.object({ sku: z.string().default("") }),
        store: () => ({}) as SessionStore,
      },
    });
    const { satchel } = testSatchel<{ cart: SessionHandle<{ sku: string }> }>(config, {
      store: createMemoryStore(),
    });
    const sessions = satchel.fromRequest(new Request("http://x/"));
    const cart = await sessions.get("cart");
    cart.sku = "x";
    await expect(sessions.commit()).rejects.toThrow(
      /^satchel: the store factory did not return a store \(session "cart"\)/,
    );
  });
});
