import { afterEach, describe, expect, expectTypeOf, it, vi } from "vitest";
import { z } from "zod";
import { largeSchema, largeSession, smallSchema, smallSession } from "../bench/lib/payloads.ts";
import { packForCookie, unpackFromCookie } from "./codec/compress.ts";
import { checksHash } from "./codec/fingerprint.ts";
import { type GeneratedCodec, layoutHash, type Plan, planOf, positionalKey } from "./codec/plan.ts";
import { planCodec } from "./codec/plan-interpreter.ts";
import { createSealer } from "./crypto/seal.ts";
import { defineSessions, type SessionsConfig } from "./define.ts";
import { SatchelConfigError, SessionStoreUnavailableError } from "./errors.ts";
import { ironSession } from "./import/index.ts";
import { createSatchel } from "./satchel.ts";
import { createMemoryStore } from "./stores/memory.ts";
import type { SessionStore } from "./stores/types.ts";
import { CookieClient, SECRET_A, testClock, testSatchel } from "./test-support/harness.ts";
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

describe("checkConfig (instrumentation.ts: the secrets checked when the server starts)", () => {
  it("throws the satchel: message naming SESSION_SECRET for a missing, short or (production) weak secret", () => {
    vi.stubEnv("NODE_ENV", "production");
    const check = () => createSatchel<TestTypes>(testConfig, { store: createMemoryStore() }).checkConfig();
    vi.stubEnv("SESSION_SECRET", "");
    expect(check).toThrow(SatchelConfigError);
    expect(check).toThrow(/^satchel: no session secret\. Set SESSION_SECRET .*npx satchel secret/s);
    vi.stubEnv("SESSION_SECRET", "short");
    expect(check).toThrow(/^satchel: SESSION_SECRET entry #1 is 5 characters long/);
    vi.stubEnv("SESSION_SECRET", "ab".repeat(20));
    expect(check).toThrow(/^satchel: SESSION_SECRET entry #1 is too predictable/);
    vi.stubEnv("SESSION_SECRET", SECRET_A);
    expect(check).not.toThrow();
  });

  it("checks the secrets given in code instead of SESSION_SECRET when there are some", () => {
    vi.stubEnv("SESSION_SECRET", "");
    expect(() => createSatchel<TestTypes>(testConfig, { secrets: SECRET_A }).checkConfig()).not.toThrow();
    expect(() => createSatchel<TestTypes>(testConfig, { secrets: "x" }).checkConfig()).toThrow(
      /^satchel: secret #1 is 1 characters long/,
    );
  });
});

describe("checkConfig and importers", () => {
  it("names an importer's secret the schema file ran without (e.g. IRON_PASSWORD unset at start)", () => {
    const config = defineSessions({
      auth: {
        storage: "cookie",
        schema: z.object({ userId: z.string().nullable().default(null) }),
        importFrom: ironSession({
          cookieName: "old_session",
          password: process.env.SATCHEL_TEST_UNSET_PASSWORD ?? "",
          map: () => ({ userId: null }),
        }),
      },
    });
    const satchel = createSatchel(config, { secrets: SECRET_A });
    expect(() => satchel.checkConfig()).toThrow(SatchelConfigError);
    expect(() => satchel.checkConfig()).toThrow(
      /^satchel: ironSession\(\) option "password" is shorter than 32/,
    );
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
    const sessions = satchel.fromRequest(new Request("https://x/"));
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
    const sessions = satchel.fromRequest(new Request("https://x/"));
    const cart = await sessions.get("cart");
    cart.sku = "x";
    await expect(sessions.commit()).rejects.toThrow(
      /^satchel: the store factory did not return a store \(session "cart"\)/,
    );
  });
});

/**
 * A generated codec built on the plan interpreter: the reference generated codecs are tested
 * against, so what createSatchel does with it is what it does with the generator's output.
 */
function referenceCodec(
  schema: z.ZodType,
  version = 1,
  history: Record<string, Plan> = {},
  checks = checksHash(schema),
): GeneratedCodec {
  const plan = planOf(schema);
  const codec = planCodec(plan);
  return { layout: layoutHash(plan), checks, version, encode: codec.encode, decode: codec.decode, history };
}

/** The text sealed in a cookie session's token. */
async function openToken(session: string, token: string, now: number): Promise<string> {
  const unsealed = await createSealer([SECRET_A]).unseal(session, token, now);
  if (!unsealed.ok) throw new Error(`token did not unseal: ${unsealed.reason}`);
  return unpackFromCookie(unsealed.plaintext);
}

/** Seals `text` as the app would (for tokens no codec writes: forged checks, unknown layouts). */
async function sealText(session: string, text: string, now: number): Promise<string> {
  const s = Math.floor(now / 1000);
  const times = { createdAt: s, absoluteExpiresAt: s + 86_400, idleExpiresAt: null };
  return createSealer([SECRET_A]).seal(session, await packForCookie(text), times);
}

describe("generated codecs (format 3)", () => {
  const prefsSchema = z.object({
    name: z.string().refine((v) => v !== "bad", "no bad names"),
    at: z.date().optional(),
    tags: z.array(z.string()).default([]),
  });
  const config = defineSessions({
    prefs: { storage: "cookie", schema: prefsSchema },
    other: { storage: "cookie", schema: z.object({ n: z.number().default(0) }) },
  });
  type Types = {
    prefs: SessionHandle<{ name: string; at?: Date | undefined; tags: string[] }>;
    other: SessionHandle<{ n: number }>;
  };
  const layout = layoutHash(planOf(prefsSchema));
  const checks = checksHash(prefsSchema);

  /** A client over a satchel of `cfg`; GET reads `prefs`, POST /?name=… writes it. */
  function prefsApp(cfg: SessionsConfig, codecs?: Record<string, GeneratedCodec>, clock = testClock()) {
    const { satchel, reports } = testSatchel<Types>(cfg, { clock, ...(codecs ? { codecs } : {}) });
    const client = new CookieClient(
      satchel.handle(async (req, sessions) => {
        const prefs = await sessions.get("prefs");
        const name = new URL(req.url).searchParams.get("name");
        if (name !== null) prefs.name = name;
        const at = new URL(req.url).searchParams.get("at");
        if (at !== null) prefs.at = new Date(Number(at));
        return Response.json({ ...prefs.toJSON(), isNew: prefs.$isNew });
      }),
    );
    return { client, reports, clock, satchel };
  }

  it("seals through an up-to-date generated codec: positional data after format, version, layout, checks", async () => {
    const { client, clock } = prefsApp(config, { prefs: referenceCodec(prefsSchema) });
    await client.fetch("/?name=ada&at=7");
    const text = await openToken("prefs", client.cookies.get("prefs") as string, clock.now());
    expect(text).toBe(`[3,1,${JSON.stringify(layout)},${JSON.stringify(checks)},[1,"ada",7,[]]]`);
    const body = await (await client.fetch("/")).json();
    expect(body).toMatchObject({ name: "ada", tags: [], isNew: false });
    expect(client.lastSetCookie).toEqual([]); // read, unchanged: nothing written
  });

  it("runs the schema's refinement on every read, whatever checks the token carries", async () => {
    const { client, clock, reports } = prefsApp(config, { prefs: referenceCodec(prefsSchema) });
    // "bad" fails the refinement: a token that skipped zod would read it back.
    const forged = (tokenChecks: string, name = "bad") =>
      sealText(
        "prefs",
        `[3,1,${JSON.stringify(layout)},${JSON.stringify(tokenChecks)},[0,${JSON.stringify(name)},[]]]`,
        clock.now(),
      );
    client.cookies.set("prefs", await forged(checks, "good"));
    expect(await (await client.fetch("/")).json()).toMatchObject({ name: "good", isNew: false });
    expect(reports).toEqual([]);

    client.cookies.set("prefs", await forged(checks));
    expect(await (await client.fetch("/")).json()).toMatchObject({ isNew: true });
    expect(reports).toEqual([
      { reason: "schema-mismatch", session: "prefs", detail: expect.stringMatching(/no bad names/) },
    ]);
    reports.length = 0;

    client.cookies.set("prefs", await forged("other-checks"));
    expect(await (await client.fetch("/")).json()).toMatchObject({ isNew: true });
    expect(reports).toEqual([
      { reason: "schema-mismatch", session: "prefs", detail: expect.stringMatching(/no bad names/) },
    ]);
    expect(client.cookies.has("prefs")).toBe(false); // the unusable cookie is cleared
  });

  /** Version 2 of `prefs` over `schema`: a migration splits v1's `name` into `first` and `last`. */
  const splitName = (schema: z.ZodObject) =>
    defineSessions({
      prefs: {
        storage: "cookie",
        schema,
        version: 2,
        migrations: {
          2: (old: { name: string }) => {
            const [first = "", last = ""] = old.name.split(" ");
            return { first, last };
          },
        },
      },
    });

  it("reads a token of an earlier layout from the codec's history, through migrations and zod", async () => {
    const v1Schema = z.object({ name: z.string() });
    const v2Schema = z.object({ first: z.string(), last: z.string().min(1) });
    const v1 = defineSessions({ prefs: { storage: "cookie", schema: v1Schema } });
    const v2 = splitName(v2Schema);
    const clock = testClock();
    const writer = prefsApp(v1, { prefs: referenceCodec(v1Schema) }, clock);
    const v1Layout = layoutHash(planOf(v1Schema));
    const history = { [v1Layout]: planOf(v1Schema) };
    const readerSatchel = testSatchel<{ prefs: SessionHandle<{ first: string; last: string }> }>(v2, {
      clock,
      codecs: { prefs: referenceCodec(v2Schema, 2, history) },
    });
    const v2Client = new CookieClient(
      readerSatchel.satchel.handle(async (_req, sessions) => {
        const prefs = await sessions.get("prefs");
        return Response.json({ ...prefs.toJSON(), isNew: prefs.$isNew });
      }),
    );

    await writer.client.fetch("/?name=Ada%20Lovelace");
    const v1Token = writer.client.cookies.get("prefs") as string;
    expect(await openToken("prefs", v1Token, clock.now())).toMatch(`[3,1,${JSON.stringify(v1Layout)},`);
    v2Client.cookies.set("prefs", v1Token);
    expect(await (await v2Client.fetch("/")).json()).toEqual({
      first: "Ada",
      last: "Lovelace",
      isNew: false,
    });
    // Migrated data is written back at once, under the current layout.
    const rewritten = await openToken("prefs", v2Client.cookies.get("prefs") as string, clock.now());
    expect(rewritten).toMatch(`[3,2,${JSON.stringify(layoutHash(planOf(v2Schema)))},`);
    expect(JSON.parse(rewritten)[4]).toEqual(["Ada", "Lovelace"]);

    // zod runs on migrated data: an empty last name fails `min(1)`.
    await writer.client.fetch("/?name=Ada");
    v2Client.cookies.set("prefs", writer.client.cookies.get("prefs") as string);
    expect(await (await v2Client.fetch("/")).json()).toMatchObject({ isNew: true });
    expect(readerSatchel.reports).toEqual([
      { reason: "migration-failed", session: "prefs", detail: expect.stringMatching(/last/) },
    ]);
  });

  it("reads format 4 of an earlier layout by the key in the codec's history: a field added, then a version bump", async () => {
    /** The module gen emits since format 4: the codec carries the key of its layout and checks. */
    const keyed = (codec: GeneratedCodec): GeneratedCodec => ({
      ...codec,
      key: positionalKey(codec.layout, codec.checks),
    });
    const v1Schema = z.object({ name: z.string() });
    const widened = z.object({ name: z.string(), theme: z.string().default("light") });
    const v2Schema = z.object({ first: z.string(), last: z.string() });
    const v1Key = positionalKey(layoutHash(planOf(v1Schema)), checksHash(v1Schema));
    const clock = testClock();
    const writer = prefsApp(
      defineSessions({ prefs: { storage: "cookie", schema: v1Schema } }),
      { prefs: keyed(referenceCodec(v1Schema)) },
      clock,
    );
    await writer.client.fetch("/?name=Ada%20Lovelace");
    const v1Token = writer.client.cookies.get("prefs") as string;
    expect(await openToken("prefs", v1Token, clock.now())).toBe(
      `[4,1,${JSON.stringify(v1Key)},["Ada Lovelace"]]`,
    );

    // The snapshot keeps every hash a token may carry: the next build's history has the v1 key.
    const history = { [layoutHash(planOf(v1Schema))]: planOf(v1Schema), [v1Key]: planOf(v1Schema) };
    const reader = (schema: z.ZodObject, config: SessionsConfig, version: number) => {
      const { satchel, reports } = testSatchel<{ prefs: SessionHandle<Record<string, unknown>> }>(config, {
        clock,
        codecs: { prefs: keyed(referenceCodec(schema, version, history)) },
      });
      const client = new CookieClient(
        satchel.handle(async (_req, sessions) => {
          const prefs = await sessions.get("prefs");
          return Response.json({ ...prefs.toJSON(), isNew: prefs.$isNew });
        }),
      );
      client.cookies.set("prefs", v1Token);
      return { client, reports };
    };
    const added = reader(widened, defineSessions({ prefs: { storage: "cookie", schema: widened } }), 1);
    expect(await (await added.client.fetch("/")).json()).toEqual({
      name: "Ada Lovelace",
      theme: "light",
      isNew: false,
    });
    expect(added.reports).toEqual([]);

    const v2Config = splitName(v2Schema);
    const bumped = reader(v2Schema, v2Config, 2);
    expect(await (await bumped.client.fetch("/")).json()).toEqual({
      first: "Ada",
      last: "Lovelace",
      isNew: false,
    });
    expect(bumped.reports).toEqual([]);
  });

  it("treats a layout neither current nor in the history as malformed, naming it, and clears the cookie", async () => {
    const { client, clock, reports } = prefsApp(config, { prefs: referenceCodec(prefsSchema) });
    client.cookies.set(
      "prefs",
      await sealText("prefs", `[3,1,"zz9plural",${JSON.stringify(checks)},[]]`, clock.now()),
    );
    expect(await (await client.fetch("/")).json()).toMatchObject({ isNew: true });
    expect(reports).toEqual([
      {
        reason: "malformed",
        session: "prefs",
        detail: expect.stringContaining('written under layout "zz9plural", which this build does not know'),
      },
    ]);
    expect(client.lastSetCookie).toEqual([expect.stringMatching(/^prefs=; .*Max-Age=0/)]);
    expect(client.cookies.has("prefs")).toBe(false);

    // A newer deploy's token (a higher version) is left alone: rolling back does not log anyone out.
    reports.length = 0;
    client.cookies.set("prefs", await sealText("prefs", `[3,7,"zz9plural","c",[]]`, clock.now()));
    await client.fetch("/");
    expect(reports).toEqual([expect.objectContaining({ reason: "newer-version" })]);
    expect(client.lastSetCookie).toEqual([]);
  });

  it("keeps format 2 with a stale generated codec, warning once per session, and still reads format 3", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      const clock = testClock();
      const fresh = prefsApp(config, { prefs: referenceCodec(prefsSchema) }, clock);
      const stale = prefsApp(
        config,
        // Generated before `tags` was added, and for version 2 of `other`.
        {
          prefs: referenceCodec(z.object({ name: z.string(), at: z.date().optional() })),
          other: referenceCodec(z.object({ n: z.number() }), 2),
        },
        clock,
      );
      await stale.client.fetch("/?name=ada");
      await stale.client.fetch("/?name=bob");
      const otherSessions = stale.satchel.fromRequest(new Request("http://x/"));
      await otherSessions.get("other");
      await stale.satchel.fromRequest(new Request("http://x/")).get("other");
      expect(warn.mock.calls).toEqual([
        [
          'satchel: the generated codec of session "prefs" does not match sessions.schema.ts (run npm run gen); using the slower runtime codec until then.',
        ],
        [
          'satchel: the generated codec of session "other" does not match sessions.schema.ts (run npm run gen); using the slower runtime codec until then.',
        ],
      ]);
      const text = await openToken("prefs", stale.client.cookies.get("prefs") as string, clock.now());
      expect(text).toMatch(/^\[2,1,/);

      // Tokens of each format are read by the other satchel (a rolling deploy).
      await fresh.client.fetch("/?name=cyd");
      stale.client.cookies.set("prefs", fresh.client.cookies.get("prefs") as string);
      expect(await (await stale.client.fetch("/")).json()).toMatchObject({ name: "cyd", isNew: false });
      expect(stale.client.lastSetCookie).toEqual([]);
      fresh.client.cookies.set("prefs", text);
      fresh.client.cookies.set("prefs", stale.client.cookies.get("prefs") as string);
      await stale.client.fetch("/?name=dee");
      fresh.client.cookies.set("prefs", stale.client.cookies.get("prefs") as string);
      expect(await (await fresh.client.fetch("/")).json()).toMatchObject({ name: "dee", isNew: false });
      expect(fresh.reports).toEqual([]);
      expect(stale.reports).toEqual([]);
    } finally {
      warn.mockRestore();
    }
  });

  it("refuses a generated codec for a session the schema does not declare", () => {
    expect(() => createSatchel(config, { codecs: { gone: referenceCodec(prefsSchema) } })).toThrow(
      SatchelConfigError,
    );
    expect(() => createSatchel(config, { codecs: { gone: referenceCodec(prefsSchema) } })).toThrow(
      /session "gone".*npm run gen/,
    );
  });

  it.each([
    ["~300 B", smallSchema, smallSession],
    ["~2 KB", largeSchema, largeSession],
  ] as const)("seals the bench's %s session into a smaller cookie than format 2", async (_, schema, data) => {
    // Neither text reaches codec/compress.ts's deflate threshold, so this compares the layouts alone.
    const cfg = defineSessions({ s: { storage: "cookie", schema } });
    const sizes: number[] = [];
    for (const codecs of [undefined, { s: referenceCodec(schema) }]) {
      const { satchel } = testSatchel<{ s: SessionHandle<Record<string, unknown>> }>(
        cfg,
        codecs ? { codecs } : {},
      );
      const sessions = satchel.fromRequest(new Request("http://x/"));
      const handle = await sessions.get("s");
      for (const [key, value] of Object.entries(data)) handle.set(key, value);
      await sessions.commit();
      const line = sessions.apply(new Response()).headers.getSetCookie()[0] as string;
      sizes.push(line.split(";")[0]?.length ?? 0);
    }
    const [format2 = 0, format3 = 0] = sizes;
    expect(format3).toBeGreaterThan(0);
    expect(format3).toBeLessThan(format2 * 0.9);
  });
});
