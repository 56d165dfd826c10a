/**
 * One-off tokens through a satchel: typed data in and out, URL-safe text, and every refusal an
 * attacker or an old link can cause, each `null` plus an `onInvalid` report naming the token.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defineSessions } from "../define.ts";
import { SatchelConfigError, SatchelError, SessionValidationError } from "../errors.ts";
import { createCountingStore } from "../stores/counting.ts";
import { createMemoryStore } from "../stores/memory.ts";
import { CookieClient, SECRET_A, SECRET_B, testClock } from "../test-support/harness.ts";
import { type TokenTestSessions, tokenConfig, tokenSatchel } from "../test-support/token-app.ts";
import type { SessionHandle } from "../types.ts";

function setup(secrets?: string[]) {
  const clock = testClock();
  const store = createCountingStore(createMemoryStore({ now: clock.now }));
  return { clock, store, ...tokenSatchel({ store, clock, ...(secrets ? { secrets } : {}) }) };
}

/** `text` with one character in its sealed body replaced by another base64url character. */
function flipOne(text: string, at = 40): string {
  const replacement = text[at] === "A" ? "B" : "A";
  return text.slice(0, at) + replacement + text.slice(at + 1);
}

describe("sealToken / openToken", () => {
  it("round-trips typed data through the kind's schema (defaults applied, Dates kept)", async () => {
    const { satchel, reports } = setup();
    const sentAt = new Date("2026-01-01T10:00:00Z");
    const text = await satchel.sealToken("invite", { team: "blue", sentAt });
    expect(await satchel.openToken("invite", text)).toEqual({ team: "blue", role: "member", sentAt });
    const reset = await satchel.sealToken("passwordReset", { userId: "u1" });
    expect(await satchel.openToken("passwordReset", reset)).toEqual({ userId: "u1" });
    expect(reports).toEqual([]);
  });

  it("gives URL-safe text that survives a link, a query string and a path segment unchanged", async () => {
    const { satchel } = setup();
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 200 }), async (team) => {
        const text = await satchel.sealToken("invite", { team, sentAt: new Date(0) });
        expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
        expect(encodeURIComponent(text)).toBe(text);
        const link = new URL(`https://app.example/reset/${text}?token=${text}`);
        expect(link.searchParams.get("token")).toBe(text);
        expect(link.pathname).toBe(`/reset/${text}`);
        expect((await satchel.openToken("invite", link.searchParams.get("token")))?.team).toBe(team);
      }),
      { numRuns: 50 },
    );
  });

  it("seals a different text every time, so two links for the same data are two tokens", async () => {
    const { satchel } = setup();
    const a = await satchel.sealToken("passwordReset", { userId: "u1" });
    const b = await satchel.sealToken("passwordReset", { userId: "u1" });
    expect(a).not.toBe(b);
    expect(await satchel.openToken("passwordReset", a)).toEqual({ userId: "u1" });
    expect(await satchel.openToken("passwordReset", b)).toEqual({ userId: "u1" });
  });

  it("refuses data the schema refuses, naming the token and the field, and seals nothing", async () => {
    const { satchel } = setup();
    const bad = satchel.sealToken("invite", { team: "", sentAt: new Date() });
    await expect(bad).rejects.toBeInstanceOf(SessionValidationError);
    await expect(bad).rejects.toMatchObject({ session: "invite", path: "team", subject: "token" });
    await expect(bad).rejects.toThrow(/^satchel: token "invite" field "team" is invalid/);
    // A caller without types (plain JavaScript) gets the same error for a wrong type.
    const untyped = satchel.sealToken as (name: string, data: unknown) => Promise<string>;
    await expect(untyped("passwordReset", { userId: 42 })).rejects.toThrow(
      /token "passwordReset" field "userId" is invalid/,
    );
  });

  it("refuses to seal with a schema that would refuse its own output when opened (a transform)", async () => {
    const clock = testClock();
    const config = defineSessions(
      { auth: { storage: "cookie", schema: z.object({ userId: z.string().nullable().default(null) }) } },
      { tokens: { code: { schema: z.object({ code: z.string().transform((s) => s.length) }), ttl: "1h" } } },
    );
    const { satchel } = tokenSatchel<
      TokenTestSessions,
      { code: { input: { code: string }; data: { code: number } } }
    >({ store: createMemoryStore({ now: clock.now }), clock, config });
    await expect(satchel.sealToken("code", { code: "abc" })).rejects.toThrow(
      /^satchel: token "code" schema does not accept its own output \(a \.transform\(\)\?\)/,
    );
  });

  it("throws a clear error for a token name the schema file does not declare", async () => {
    const { satchel } = setup();
    const untyped = satchel as unknown as {
      sealToken(name: string, data: unknown): Promise<string>;
      openToken(name: string, text: string): Promise<unknown>;
    };
    await expect(untyped.sealToken("passwordRest", { userId: "u1" })).rejects.toThrow(
      /^satchel: there is no token "passwordRest" \(did you mean "passwordReset"\?\); declare it/,
    );
    await expect(untyped.openToken("magicLink", "abc")).rejects.toBeInstanceOf(SatchelConfigError);
    await expect(untyped.openToken("magicLink", "abc")).rejects.toThrow(
      /declared: passwordReset, emailChange, invite/,
    );
  });

  it("refuses to seal data that would make a link too long", async () => {
    const { satchel } = setup();
    await expect(satchel.sealToken("invite", { team: "x".repeat(4000), sentAt: new Date() })).rejects.toThrow(
      SatchelError,
    );
    await expect(satchel.sealToken("invite", { team: "x".repeat(4000), sentAt: new Date() })).rejects.toThrow(
      /over the 4096 a link can safely carry; seal an id/,
    );
  });

  it("treats no token at all as null without a report", async () => {
    const { satchel, reports } = setup();
    expect(await satchel.openToken("passwordReset", null)).toBeNull();
    expect(await satchel.openToken("passwordReset", undefined)).toBeNull();
    expect(await satchel.openToken("passwordReset", "")).toBeNull();
    expect(reports).toEqual([]);
  });

  it("seals without a store round trip; only a singleUse open touches the store", async () => {
    const { satchel, store } = setup();
    const reset = await satchel.sealToken("passwordReset", { userId: "u1" });
    const change = await satchel.sealToken("emailChange", { userId: "u1" });
    expect(store.total()).toBe(0);
    await satchel.openToken("emailChange", change);
    expect(store.total()).toBe(0);
    await satchel.openToken("passwordReset", reset);
    expect(store.counts()).toMatchObject({ compareAndSet: 1, get: 0 });
  });
});

describe("refusals: null, and onInvalid hears the token, its name and the reason", () => {
  it("expired: opens up to its ttl, never after", async () => {
    const { satchel, clock, reports } = setup();
    const text = await satchel.sealToken("emailChange", { userId: "u1" });
    clock.advance(60 * 60_000 - 1_000);
    expect(await satchel.openToken("emailChange", text)).toEqual({ userId: "u1" });
    clock.advance(1_000);
    expect(await satchel.openToken("emailChange", text)).toBeNull();
    expect(reports).toEqual([
      { reason: "expired", token: "emailChange", session: "emailChange", detail: "its ttl has passed" },
    ]);
  });

  it("tampered: any changed character of the sealed body", async () => {
    const { satchel, reports } = setup();
    const text = await satchel.sealToken("passwordReset", { userId: "u1" });
    for (const at of [8, 20, 40, text.length - 3]) {
      expect(await satchel.openToken("passwordReset", flipOne(text, at))).toBeNull();
    }
    expect(reports.map((r) => [r.reason, r.token])).toEqual(Array(4).fill(["tampered", "passwordReset"]));
    // The untouched token still opens once: failed attempts used nothing up.
    expect(await satchel.openToken("passwordReset", text)).toEqual({ userId: "u1" });
  });

  it("malformed: cut short, not base64url, or far too long", async () => {
    const { satchel, reports } = setup();
    const text = await satchel.sealToken("passwordReset", { userId: "u1" });
    expect(await satchel.openToken("passwordReset", text.slice(0, 20))).toBeNull();
    expect(await satchel.openToken("passwordReset", `${text.slice(0, -1)}%`)).toBeNull();
    expect(await satchel.openToken("passwordReset", text.repeat(100))).toBeNull();
    expect(reports.map((r) => r.reason)).toEqual(["malformed", "malformed", "malformed"]);
  });

  it("wrong-kind: a token of another kind never opens, even with the same data shape", async () => {
    const { satchel, reports } = setup();
    const change = await satchel.sealToken("emailChange", { userId: "u1" });
    expect(await satchel.openToken("passwordReset", change)).toBeNull();
    const reset = await satchel.sealToken("passwordReset", { userId: "u1" });
    expect(await satchel.openToken("emailChange", reset)).toBeNull();
    expect(reports).toEqual([
      {
        reason: "wrong-kind",
        token: "passwordReset",
        session: "passwordReset",
        detail: 'sealed as token "emailChange", not as token "passwordReset"',
      },
      {
        reason: "wrong-kind",
        token: "emailChange",
        session: "emailChange",
        detail: 'sealed as token "passwordReset", not as token "emailChange"',
      },
    ]);
  });

  it("wrong-kind: a session cookie (sealed data or a sealed store id) never opens as a token", async () => {
    const { satchel, reports } = setup();
    const app = satchel.handle(async (_request, sessions) => {
      (await sessions.get("auth")).userId = "u1";
      (await sessions.get("cart")).items = ["a"];
      return new Response("ok");
    });
    const client = new CookieClient(app);
    await client.fetch("/");
    for (const name of ["auth", "cart"]) {
      expect(await satchel.openToken("passwordReset", client.cookies.get(name))).toBeNull();
    }
    expect(reports.map((r) => [r.reason, r.detail])).toEqual([
      ["wrong-kind", 'sealed as a cookie of session "auth", not as token "passwordReset"'],
      ["wrong-kind", 'sealed as a cookie of session "cart", not as token "passwordReset"'],
    ]);
  });

  it("a token never opens as a session cookie: the session starts fresh", async () => {
    const { satchel, reports } = setup();
    const text = await satchel.sealToken("passwordReset", { userId: "u1" });
    const app = satchel.handle(async (_request, sessions) => {
      const auth = await sessions.get("auth");
      const cart = await sessions.get("cart");
      return Response.json({ auth: [auth.$isNew, auth.userId], cart: [cart.$isNew, cart.items] });
    });
    const response = await app(
      new Request("http://localhost/", { headers: { cookie: `auth=${text}; cart=${text}` } }),
    );
    expect(await response.json()).toEqual({ auth: [true, null], cart: [true, []] });
    expect(reports.map((r) => [r.session, r.reason, r.token])).toEqual([
      ["auth", "tampered", undefined],
      ["cart", "tampered", undefined],
    ]);
  });

  it("a session and a token kind of the same name never open each other's texts", async () => {
    const clock = testClock();
    const store = createMemoryStore({ now: clock.now });
    const schema = z.object({ userId: z.string().nullable().default(null) });
    const config = defineSessions(
      { invite: { storage: "cookie", schema } },
      { tokens: { invite: { schema, ttl: "1h" } } },
    );
    type Data = { userId: string | null };
    const { satchel, reports } = tokenSatchel<
      { invite: SessionHandle<Data> },
      { invite: { input: Data; data: Data } }
    >({ store, clock, config });
    const app = satchel.handle(async (request, sessions) => {
      const invite = await sessions.get("invite");
      if (new URL(request.url).pathname === "/set") invite.userId = "u1";
      return Response.json({ isNew: invite.$isNew, userId: invite.userId });
    });
    const client = new CookieClient(app);
    await client.fetch("/set");
    expect(await satchel.openToken("invite", client.cookies.get("invite"))).toBeNull();
    const token = await satchel.sealToken("invite", { userId: "u2" });
    const response = await app(new Request("http://localhost/", { headers: { cookie: `invite=${token}` } }));
    expect(await response.json()).toEqual({ isNew: true, userId: null });
    expect(reports.map((r) => [r.reason, r.token])).toEqual([
      ["wrong-kind", "invite"],
      ["tampered", undefined],
    ]);
  });

  it("schema-mismatch: a token sealed before a schema change that it no longer fits", async () => {
    const clock = testClock();
    const store = createMemoryStore({ now: clock.now });
    const before = tokenSatchel({ store, clock });
    const text = await before.satchel.sealToken("emailChange", { userId: "u1" });
    const changed = defineSessions(
      { auth: { storage: "cookie", schema: z.object({ userId: z.string().nullable().default(null) }) } },
      { tokens: { emailChange: { schema: z.object({ userId: z.string(), email: z.email() }), ttl: "1h" } } },
    );
    const after = tokenSatchel({ store, clock, config: changed });
    expect(await after.satchel.openToken("emailChange", text)).toBeNull();
    expect(after.reports).toEqual([
      {
        reason: "schema-mismatch",
        token: "emailChange",
        session: "emailChange",
        detail: expect.stringMatching(/^email: /),
      },
    ]);
  });

  it("used: a singleUse token opens once; later opens are null with reason used", async () => {
    const { satchel, reports } = setup();
    const text = await satchel.sealToken("passwordReset", { userId: "u1" });
    expect(await satchel.openToken("passwordReset", text)).toEqual({ userId: "u1" });
    expect(await satchel.openToken("passwordReset", text)).toBeNull();
    expect(await satchel.openToken("passwordReset", text)).toBeNull();
    expect(reports).toEqual(
      Array(2).fill({
        reason: "used",
        token: "passwordReset",
        session: "passwordReset",
        detail: "opened before; the token is single-use",
      }),
    );
  });

  it("consume: false checks a singleUse token without using it up, and sees it once used", async () => {
    const { satchel, reports } = setup();
    const text = await satchel.sealToken("passwordReset", { userId: "u1" });
    // The page showing the form checks the link (twice: a reload), the action opens it for good.
    expect(await satchel.openToken("passwordReset", text, { consume: false })).toEqual({ userId: "u1" });
    expect(await satchel.openToken("passwordReset", text, { consume: false })).toEqual({ userId: "u1" });
    expect(await satchel.openToken("passwordReset", text)).toEqual({ userId: "u1" });
    expect(await satchel.openToken("passwordReset", text, { consume: false })).toBeNull();
    expect(reports.map((r) => r.reason)).toEqual(["used"]);
  });

  it("a token of a kind without singleUse opens as often as asked until it expires", async () => {
    const { satchel, reports } = setup();
    const text = await satchel.sealToken("emailChange", { userId: "u1" });
    for (let i = 0; i < 3; i++)
      expect(await satchel.openToken("emailChange", text)).toEqual({ userId: "u1" });
    expect(reports).toEqual([]);
  });

  it("tokens of a satchel with other secrets are unknown-key; a copied token does not open elsewhere", async () => {
    const ours = setup([SECRET_A]);
    const theirs = setup([SECRET_B]);
    const text = await theirs.satchel.sealToken("passwordReset", { userId: "u1" });
    expect(await ours.satchel.openToken("passwordReset", text)).toBeNull();
    expect(ours.reports.map((r) => r.reason)).toEqual(["unknown-key"]);
  });
});

describe("secret rotation", () => {
  it("seals with the first secret and opens with any listed one", async () => {
    const clock = testClock();
    const store = createMemoryStore({ now: clock.now });
    const old = tokenSatchel({ store, clock, secrets: [SECRET_A] });
    const rotated = tokenSatchel({ store, clock, secrets: [SECRET_B, SECRET_A] });
    const retired = tokenSatchel({ store, clock, secrets: [SECRET_B] });
    const sealedBefore = await old.satchel.sealToken("emailChange", { userId: "before" });
    const sealedAfter = await rotated.satchel.sealToken("emailChange", { userId: "after" });
    // Mid-rotation every server opens both: the one still on the old list and the rotated ones.
    expect(await rotated.satchel.openToken("emailChange", sealedBefore)).toEqual({ userId: "before" });
    expect(await retired.satchel.openToken("emailChange", sealedAfter)).toEqual({ userId: "after" });
    // Once the old secret is dropped, tokens it sealed are refused, with the reason.
    expect(await retired.satchel.openToken("emailChange", sealedBefore)).toBeNull();
    expect(retired.reports.map((r) => r.reason)).toEqual(["unknown-key"]);
  });

  it("a singleUse token used on a rotated server stays used on the others", async () => {
    const clock = testClock();
    const store = createMemoryStore({ now: clock.now });
    const old = tokenSatchel({ store, clock, secrets: [SECRET_A] });
    const rotated = tokenSatchel({ store, clock, secrets: [SECRET_B, SECRET_A] });
    const text = await old.satchel.sealToken("passwordReset", { userId: "u1" });
    expect(await rotated.satchel.openToken("passwordReset", text)).toEqual({ userId: "u1" });
    expect(await old.satchel.openToken("passwordReset", text)).toBeNull();
    expect(old.reports.map((r) => r.reason)).toEqual(["used"]);
  });
});

it("the token config resolves ttl to seconds and singleUse to a boolean", () => {
  expect(tokenConfig.tokens).toMatchObject({
    passwordReset: { name: "passwordReset", ttl: 900, singleUse: true },
    emailChange: { ttl: 3600, singleUse: false },
    invite: { ttl: 7 * 86_400, singleUse: false },
  });
});
