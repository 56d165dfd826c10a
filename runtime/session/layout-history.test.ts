import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { unpackFromCookie } from "../codec/compress.ts";
import { checksHash } from "../codec/fingerprint.ts";
import { layoutHash, type Plan, planOf, positionalKey } from "../codec/plan.ts";
import { createSealer } from "../crypto/seal.ts";
import { defineSessions } from "../define.ts";
import { SessionStoreUnavailableError } from "../errors.ts";
import { createSatchel } from "../satchel.ts";
import { createCountingStore } from "../stores/counting.ts";
import { createFileStore } from "../stores/file.ts";
import { createMemcachedStore } from "../stores/memcached.ts";
import { createMemoryStore } from "../stores/memory.ts";
import { storeBackends } from "../stores/test-support/backends.ts";
import { startMemcached } from "../stores/test-support/servers.ts";
import type { SessionStore } from "../stores/types.ts";
import { SECRET_A, sameBrowser, testClock, testSatchel } from "../test-support/harness.ts";
import { interpretedCodec } from "../test-support/interpreted-codec.ts";
import type { InvalidReport, SessionHandle } from "../types.ts";
import { layoutKey } from "./store-keys.ts";

const expiry = { absolute: "7d", idle: "2h" } as const;
const schemaA = z.object({
  userId: z.string().nullable().default(null),
  roles: z.array(z.string()).default([]),
  signedInAt: z.date().optional(),
});
/** A field added with a default: a new layout, the same version. */
const schemaB = schemaA.extend({ theme: z.enum(["light", "dark"]).default("light") });
/** Version 2: `roles` became `role`, a migration converts. */
const schemaV2 = z.object({
  userId: z.string().nullable().default(null),
  role: z.string().nullable().default(null),
});
const configA = defineSessions({ auth: { storage: "cookie", schema: schemaA, expiry } });
const configB = defineSessions({ auth: { storage: "cookie", schema: schemaB, expiry } });
const configV2 = defineSessions({
  auth: {
    storage: "cookie",
    schema: schemaV2,
    expiry,
    version: 2,
    migrations: {
      2: (old: { userId: string | null; roles: string[] }) => ({
        userId: old.userId,
        role: old.roles[0] ?? null,
      }),
    },
  },
});

type Auth = SessionHandle<Record<string, unknown>>;
interface Types {
  auth: Auth;
}

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A file store in a fresh temp dir, on the test clock (the files outlive "restarts"). */
function fileStore(now: () => number, dir = mkdtempSync(join(tmpdir(), "satchel-layouts-"))) {
  dirs.push(dir);
  return { dir, store: createFileStore({ dir, fsync: false, sweepIntervalMs: 0, now }) };
}

/** One process of the app: a satchel without generated codecs over `store`, and a browser. */
function app(config: typeof configA, store: SessionStore, clock = testClock(Date.now())) {
  const setup = testSatchel<Types>(config, { store, clock });
  return { ...setup, browser: sameBrowser(setup.satchel) };
}

/** Another process of the app, `config` over `store`, and the browser that holds `cookies`. */
function restartedApp(
  config: typeof configA,
  store: SessionStore,
  cookies: Map<string, string>,
  clock: ReturnType<typeof testClock>,
) {
  const restarted = app(config, store, clock);
  for (const [name, value] of cookies) restarted.browser.client.cookies.set(name, value);
  return restarted;
}

/** The text sealed in the browser's `auth` cookie. */
async function sealedText(cookies: Map<string, string>, now: number): Promise<string> {
  const token = cookies.get("auth");
  if (token === undefined) throw new Error("no auth cookie");
  const opened = await createSealer([SECRET_A]).unseal("auth", token, now);
  if (!opened.ok) throw new Error(opened.reason);
  return unpackFromCookie(opened.plaintext);
}

/** The key format-4 tokens of `schema` carry, and its layout is recorded under. */
const keyOf = (schema: unknown) => positionalKey(layoutHash(planOf(schema)), checksHash(schema));

/** Until the store holds the layout record (bounded: a hang guard, not a time limit). */
async function recorded(store: SessionStore, schema: unknown): Promise<void> {
  const key = layoutKey("auth", keyOf(schema));
  for (let i = 0; i < 2000; i++) {
    if ((await store.get(key)) !== null) {
      // The recorder's own continuation runs after the write resolved.
      await new Promise((done) => setTimeout(done, 0));
      return;
    }
    await new Promise((done) => setTimeout(done, 5));
  }
  throw new Error("the layout was never recorded");
}

const signIn = async (sessions: { get(name: "auth"): Promise<Auth> }, userId: string) => {
  const auth = await sessions.get("auth");
  auth.userId = userId;
  auth.roles = ["admin"];
  auth.signedInAt = new Date(Date.UTC(2026, 5, 1));
};

/** Signs a user in under schema A and returns the browser's cookies once they are format 4. */
async function signedInUnderA(store: SessionStore, clock = testClock(Date.now())) {
  const first = app(configA, store, clock);
  await first.browser.request((s) => signIn(s, "u1"));
  expect((await sealedText(first.browser.client.cookies, clock.now())).startsWith("[2,")).toBe(true);
  await recorded(store, schemaA);
  await first.browser.request(async (s) => {
    (await s.get("auth")).roles = ["admin", "editor"];
  });
  const text = await sealedText(first.browser.client.cookies, clock.now());
  expect(text.startsWith(`[4,1,${JSON.stringify(keyOf(schemaA))},[`)).toBe(true);
  return new Map(first.browser.client.cookies);
}

/** Three sign-ins over `store` write format 2 and never call the store (it keeps no layouts). */
async function expectKeyedOnly(
  store: ReturnType<typeof createCountingStore>,
  clock: ReturnType<typeof testClock>,
): Promise<void> {
  const runtime = app(configA, store, clock);
  for (let i = 0; i < 3; i++) {
    await runtime.browser.request((s) => signIn(s, `u${i}`));
    await new Promise((done) => setTimeout(done, 10));
  }
  expect(await sealedText(runtime.browser.client.cookies, clock.now())).toMatch(/^\[2,1,/);
  expect(store.log()).toEqual([]);
}

describe("cookie layouts kept in the store (no generated codecs)", () => {
  it("writes format 2 until the layout is recorded, then format 4, as the generated codec writes it", async () => {
    const clock = testClock(Date.now());
    const { store } = fileStore(clock.now);
    const runtime = app(configA, store, clock);
    await runtime.browser.request((s) => signIn(s, "u1"));
    expect(await sealedText(runtime.browser.client.cookies, clock.now())).toMatch(/^\[2,1,/);
    await recorded(store, schemaA);
    await runtime.browser.request(async (s) => {
      (await s.get("auth")).roles = ["admin", "editor"];
    });
    const runtimeText = await sealedText(runtime.browser.client.cookies, clock.now());

    const generated = testSatchel<Types>(configA, {
      clock,
      codecs: { auth: interpretedCodec(schemaA, 1, true) },
    });
    const withCodec = sameBrowser(generated.satchel);
    await withCodec.request(async (s) => {
      await signIn(s, "u1");
      (await s.get("auth")).roles = ["admin", "editor"];
    });
    expect(runtimeText).toBe(await sealedText(withCodec.client.cookies, clock.now()));
    expect(runtimeText).toMatch(/^\[4,/);
  });

  it("keeps a user signed in after a restart with a field added (format 4 of the old layout read from the store)", async () => {
    const clock = testClock(Date.now());
    const { dir, store } = fileStore(clock.now);
    const cookies = await signedInUnderA(store, clock);

    // A new process: a new schema, the same store directory.
    const restarted = restartedApp(configB, fileStore(clock.now, dir).store, cookies, clock);
    const seen = await restarted.browser.request(async (s) => {
      const auth = await s.get("auth");
      return { userId: auth.userId, roles: auth.roles, theme: auth.theme, isNew: auth.$isNew };
    });
    expect(seen).toEqual({ userId: "u1", roles: ["admin", "editor"], theme: "light", isNew: false });
    expect(restarted.reports).toEqual([]);
  });

  it("reads a format-3 cookie of the build before format 4 from the plan it recorded under the layout hash", async () => {
    const clock = testClock(Date.now());
    const { dir, store } = fileStore(clock.now);
    // That build: a generated module without a key writes format 3; its store holds the bare plan.
    const before = testSatchel<Types>(configA, { clock, codecs: { auth: interpretedCodec(schemaA) } });
    const browser = sameBrowser(before.satchel);
    await browser.request((s) => signIn(s, "u1"));
    const layoutA = layoutHash(planOf(schemaA));
    expect(await sealedText(browser.client.cookies, clock.now())).toMatch(
      new RegExp(`^\\[3,1,"${layoutA}","${checksHash(schemaA)}",`),
    );
    await store.set(layoutKey("auth", layoutA), JSON.stringify(planOf(schemaA)), {
      expiresAt: clock.now() + 14 * 86_400_000,
    });

    // The same schema without generated codecs: its layout and checks are the token's, so it is trusted.
    const same = restartedApp(
      configA,
      fileStore(clock.now, dir).store,
      new Map(browser.client.cookies),
      clock,
    );
    const parse = vi.spyOn(schemaA, "safeParse");
    try {
      const read = await same.browser.request(async (s) => (await s.get("auth")).userId);
      expect(read).toBe("u1");
      expect(parse).not.toHaveBeenCalled();
    } finally {
      parse.mockRestore();
    }
    // A field added: the old layout's plan is looked up under its layout hash.
    const restarted = restartedApp(
      configB,
      fileStore(clock.now, dir).store,
      new Map(browser.client.cookies),
      clock,
    );
    const seen = await restarted.browser.request(async (s) => {
      const auth = await s.get("auth");
      return { userId: auth.userId, theme: auth.theme, isNew: auth.$isNew };
    });
    expect(seen).toEqual({ userId: "u1", theme: "light", isNew: false });
    expect(same.reports).toEqual([]);
    expect(restarted.reports).toEqual([]);
  });

  it("runs zod on a cookie written before a check was tightened (same layout, other key)", async () => {
    const clock = testClock(Date.now());
    const { dir, store } = fileStore(clock.now);
    const cookies = await signedInUnderA(store, clock); // roles ["admin", "editor"]
    const tightened = schemaA.extend({ roles: z.array(z.string().max(5)).default([]) });
    expect(layoutHash(planOf(tightened))).toBe(layoutHash(planOf(schemaA)));
    expect(keyOf(tightened)).not.toBe(keyOf(schemaA));
    const config = defineSessions({ auth: { storage: "cookie", schema: tightened, expiry } });
    const restarted = restartedApp(config, fileStore(clock.now, dir).store, cookies, clock);
    const isNew = await restarted.browser.request(async (s) => (await s.get("auth")).$isNew);
    expect(isNew).toBe(true);
    // Read through the plan recorded under the old key, then refused by zod (not an unknown layout).
    expect(restarted.reports).toEqual([
      { reason: "schema-mismatch", session: "auth", detail: expect.stringMatching(/^roles/) },
    ]);
  });

  it("migrates the data of an old layout after a version bump", async () => {
    const clock = testClock(Date.now());
    const { dir, store } = fileStore(clock.now);
    const cookies = await signedInUnderA(store, clock);

    const restarted = restartedApp(
      configV2 as unknown as typeof configA,
      fileStore(clock.now, dir).store,
      cookies,
      clock,
    );
    const seen = await restarted.browser.request(async (s) => {
      const auth = await s.get("auth");
      return { userId: auth.userId, role: auth.role, isNew: auth.$isNew };
    });
    expect(seen).toEqual({ userId: "u1", role: "admin", isNew: false });
    expect(restarted.reports).toEqual([]);
    // The migrated data was written back, in the keyed format until this process records its layout.
    expect(await sealedText(restarted.browser.client.cookies, clock.now())).toMatch(/^\[2,2,/);
  });

  it("keeps format 2 on the memory store, which records nothing", async () => {
    const clock = testClock(Date.now());
    await expectKeyedOnly(createCountingStore(createMemoryStore({ now: clock.now })), clock);
  });

  it("keeps no layouts on the embedded default store: format 2, nothing looked up, no .data/ made", async () => {
    // A deploy may wipe the default file store's .data/, and the layouts with it: the app chose no store.
    const clock = testClock(Date.now());
    const cookies = await signedInUnderA(fileStore(clock.now).store, clock);
    const cwd = process.cwd();
    const dir = mkdtempSync(join(tmpdir(), "satchel-default-store-"));
    dirs.push(dir);
    vi.stubEnv("SESSION_STORE_URL", undefined);
    process.chdir(dir);
    try {
      const reports: InvalidReport[] = [];
      const satchel = createSatchel<Types>(configB, {
        secrets: [SECRET_A],
        onInvalid: (report) => reports.push(report),
        now: clock.now,
      });
      const browser = sameBrowser(satchel);
      for (const [name, value] of cookies) browser.client.cookies.set(name, value);
      // The format-3 cookie of a layout this build does not know: not looked up, a fresh session.
      const isNew = await browser.request(async (s) => (await s.get("auth")).$isNew);
      expect(isNew).toBe(true);
      expect(reports.map((r) => r.reason)).toEqual(["malformed"]);
      for (let i = 0; i < 3; i++) {
        await browser.request((s) => signIn(s, `u${i}`));
        await new Promise((done) => setTimeout(done, 10));
      }
      expect(await sealedText(browser.client.cookies, clock.now())).toMatch(/^\[2,1,/);
      expect(existsSync(join(dir, ".data"))).toBe(false);
    } finally {
      process.chdir(cwd);
      vi.unstubAllEnvs();
    }
  });

  it("keeps format 2 on memcached, which may evict a layout while its cookies live on", async () => {
    const memcached = await startMemcached();
    const clock = testClock(Date.now());
    const store = createCountingStore(createMemcachedStore({ url: memcached.url, now: clock.now }));
    try {
      await expectKeyedOnly(store, clock);
    } finally {
      await store.close?.();
      await memcached.cleanup();
    }
  });

  it("signs out (fresh session, one report) when the old layout is not in the store", async () => {
    const clock = testClock(Date.now());
    const cookies = await signedInUnderA(fileStore(clock.now).store, clock);
    const elsewhere = restartedApp(configB, fileStore(clock.now).store, cookies, clock);
    const isNew = await elsewhere.browser.request(async (s) => (await s.get("auth")).$isNew);
    expect(isNew).toBe(true);
    expect(elsewhere.reports).toHaveLength(1);
    expect(elsewhere.reports[0]).toMatchObject({ session: "auth", reason: "malformed" });
    expect(elsewhere.reports[0]?.detail).toContain("which this build does not know");
    expect(elsewhere.reports[0]?.detail).toContain("not recorded in the app's store");
  });

  const checksA = checksHash(schemaA);
  const forgeries: [string, string][] = [
    ["a plan of another layout", JSON.stringify({ plan: planOf(schemaB), checks: checksA })],
    ["the token's plan with other checks", JSON.stringify({ plan: planOf(schemaA), checks: "other" })],
    ["the token's plan without checks (a format-3 record)", JSON.stringify(planOf(schemaA))],
    [
      "a plan whose shape planOf never writes",
      JSON.stringify({ plan: ["object", [["__proto__", "string", false]]], checks: checksA }),
    ],
    ["text that is not JSON", '{"plan":["object",'],
    [
      "a plan nested past any schema",
      `{"checks":"x","plan":${'["array",'.repeat(5000)}"string"${"]".repeat(5000)}}`,
    ],
  ];
  for (const [what, forged] of forgeries) {
    it(`refuses ${what} found under the token's key`, async () => {
      const clock = testClock(Date.now());
      const cookies = await signedInUnderA(fileStore(clock.now).store, clock);
      const { store } = fileStore(clock.now);
      await store.set(layoutKey("auth", keyOf(schemaA)), forged, { expiresAt: clock.now() + 86_400_000 });
      const elsewhere = restartedApp(configB, store, cookies, clock);
      const isNew = await elsewhere.browser.request(async (s) => (await s.get("auth")).$isNew);
      expect(isNew).toBe(true);
      expect(elsewhere.reports.map((r) => r.reason)).toEqual(["malformed"]);
      expect(Object.prototype).not.toHaveProperty("string");
    });
  }

  it("fails the request with the store-unavailable error, and keeps the cookie, when the store is down", async () => {
    const clock = testClock(Date.now());
    const { dir, store } = fileStore(clock.now);
    const cookies = await signedInUnderA(store, clock);
    let down = true;
    const real = fileStore(clock.now, dir).store;
    const flaky: SessionStore = {
      ...real,
      name: "flaky",
      get: (key, budget) => (down ? Promise.reject(new Error("connection refused")) : real.get(key, budget)),
    };
    const restarted = restartedApp(configB, flaky, cookies, clock);
    const read = () =>
      restarted.browser.request(async (s) => {
        const auth = await s.get("auth");
        return auth.userId;
      });
    const failure = await read().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SessionStoreUnavailableError);
    expect(restarted.browser.client.lastSetCookie).toEqual([]);
    expect(restarted.browser.client.cookies.get("auth")).toBe(cookies.get("auth"));
    expect(restarted.reports).toEqual([]);

    down = false;
    expect(await read()).toBe("u1");
  });

  it("refreshes the record while it writes, and writes format 2 when the record would not outlive the cookie", async () => {
    const clock = testClock(Date.now());
    const { dir, store } = fileStore(clock.now);
    const real = fileStore(clock.now, dir).store;
    let writable = true;
    const key = layoutKey("auth", keyOf(schemaA));
    const guarded: SessionStore = {
      ...real,
      compareAndSet: (k, value, expected, options, budget) =>
        writable || k !== key
          ? real.compareAndSet(k, value, expected, options, budget)
          : Promise.reject(new Error("read-only")),
    };
    const runtime = app(configA, guarded, clock);
    await runtime.browser.request((s) => signIn(s, "u1"));
    await recorded(store, schemaA);
    const day = 86_400_000;
    const first = (await store.get(key))?.expiresAt ?? 0;
    expect(first).toBe(clock.now() + 14 * day);

    // A quarter of its life gone: the next write refreshes it (and is format 4 meanwhile).
    clock.advance(4 * day);
    await runtime.browser.request((s) => signIn(s, "u2"));
    expect(await sealedText(runtime.browser.client.cookies, clock.now())).toMatch(/^\[4,/);
    for (let i = 0; i < 2000 && (await store.get(key))?.expiresAt === first; i++) {
      await new Promise((done) => setTimeout(done, 5));
    }
    expect((await store.get(key))?.expiresAt).toBe(clock.now() + 14 * day);

    // The store refuses the refresh; once a cookie written now could outlive the record, format 2.
    writable = false;
    clock.advance(8 * day);
    await runtime.browser.request((s) => signIn(s, "u3"));
    expect(await sealedText(runtime.browser.client.cookies, clock.now())).toMatch(/^\[2,/);
  });
});

describe("cookie layouts over network stores", () => {
  // The shared Redis and PostgreSQL servers only (memcached and the cluster are started elsewhere).
  const { backends, stopSharedServers } = storeBackends("layouts");
  afterAll(stopSharedServers);
  for (const backend of backends.filter((b) =>
    ["redis", "postgres", "tiered(memory over postgres)"].includes(b.name),
  )) {
    it(`keeps a user signed in across a restart with a field added (${backend.name})`, async () => {
      const clock = testClock(Date.now());
      const store = await backend.make(clock.now);
      try {
        const cookies = await signedInUnderA(store, clock);
        const restarted = restartedApp(configB, store, cookies, clock);
        const seen = await restarted.browser.request(async (s) => {
          const auth = await s.get("auth");
          return { userId: auth.userId, theme: auth.theme, isNew: auth.$isNew };
        });
        expect(seen).toEqual({ userId: "u1", theme: "light", isNew: false });
        expect(restarted.reports).toEqual([]);
      } finally {
        await store.close?.();
      }
    });
  }
});

describe("the plan a layout record holds", () => {
  it("is the plan and the checks hash under layout/<session>:<key>, apart from every session record key", async () => {
    const clock = testClock(Date.now());
    const { store } = fileStore(clock.now);
    await signedInUnderA(store, clock);
    const record = await store.get(layoutKey("auth", keyOf(schemaA)));
    expect(JSON.parse(record?.value ?? "null") as { plan: Plan; checks: string }).toEqual({
      plan: planOf(schemaA),
      checks: checksHash(schemaA),
    });
    // Outlives every cookie written in the layout: twice the absolute limit from when it was written.
    expect(record?.expiresAt).toBeGreaterThanOrEqual(clock.now() + 7 * 86_400_000);
  });
});
