/**
 * A session's token and its cookie, for cookie and store sessions alike. What a request's cookies can
 * do to a session: another application's chunk-like cookie is ignored and reported (never fatal,
 * never deleted), and a token of another session is reported as such. Browser-session cookies
 * (`cookie: { persistent: false }`): no Max-Age/Expires on the cookie, the sealed expiry still enforced.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defineSessions } from "../define.ts";
import { CookieClient, testSatchel } from "../test-support/harness.ts";
import { type TestTypes, testConfig } from "../test-support/schema.ts";
import type { SessionHandle } from "../types.ts";

function setup() {
  const t = testSatchel<TestTypes>(testConfig);
  const app = t.satchel.handle(async (request, sessions) => {
    const auth = await sessions.get("auth");
    // Random roles do not compress: the cookie must be chunked.
    if (request.method === "POST") auth.roles = Array.from({ length: 150 }, () => crypto.randomUUID());
    if (request.method === "PUT") (await sessions.get("cart")).note = "n";
    return Response.json({ roles: auth.roles.length });
  });
  return { ...t, client: new CookieClient(app) };
}

describe("reading session cookies", () => {
  it("a foreign chunk-like cookie neither breaks a chunked session nor gets deleted", async () => {
    const { client, reports } = setup();
    await client.fetch("/", { method: "POST" });
    expect([...client.cookies.keys()].filter((name) => name.startsWith("auth."))).not.toHaveLength(0);
    client.cookies.set("auth.7", "another-apps-value");
    expect(await (await client.fetch("/")).json()).toEqual({ roles: 150 });
    expect(reports).toEqual([
      expect.objectContaining({
        session: "auth",
        reason: "foreign-cookie",
        detail: expect.stringContaining("auth.7"),
      }),
    ]);
    // Writing the session again (it shrinks to one cookie) leaves the other application's cookie alone.
    client.cookies.delete("auth.7");
    client.cookies.set("auth.9", "x");
    await client.fetch("/", { method: "POST" });
    expect(client.lastSetCookie.some((line) => line.startsWith("auth.9="))).toBe(false);
  });

  it("another application's auth.0 is not read as the session, nor expired when it is written", async () => {
    const { client, reports } = setup();
    client.cookies.set("auth.0", "theirs");
    client.cookies.set("auth.1", "theirs-too");
    expect(await (await client.fetch("/")).json()).toEqual({ roles: 0 });
    expect(reports.map((r) => r.reason)).toEqual(["foreign-cookie"]);
    await client.fetch("/", { method: "PUT" });
    expect(client.lastSetCookie.some((line) => /^auth\.[01]=/.test(line))).toBe(false);
  });

  it("reports wrong-session for a token of another session", async () => {
    const { client, reports } = setup();
    await client.fetch("/", { method: "PUT" });
    client.cookies.set("auth", client.cookies.get("cart") as string);
    expect(await (await client.fetch("/")).json()).toEqual({ roles: 0 });
    expect(reports).toEqual([expect.objectContaining({ session: "auth", reason: "wrong-session" })]);
  });

  it("reports wrong-session for a store session's cookie holding another session's token", async () => {
    const { client, reports } = setup();
    const small = testSatchel<TestTypes>(testConfig);
    const writer = new CookieClient(
      small.satchel.handle(async (_r, sessions) => {
        (await sessions.get("auth")).userId = "u1";
        return new Response("ok");
      }),
    );
    await writer.fetch("/");
    client.cookies.set("cart", writer.cookies.get("auth") as string);
    await client.fetch("/", { method: "PUT" });
    expect(reports.at(-1)).toMatchObject({ session: "cart", reason: "wrong-session" });
  });

  it("still reports tampered for a token of no session", async () => {
    const { client, reports } = setup();
    await client.fetch("/", { method: "PUT" });
    const cart = client.cookies.get("cart") as string;
    client.cookies.set("auth", `${cart.slice(0, -4)}AAAA`);
    await client.fetch("/");
    expect(reports.map((r) => r.reason)).toEqual(["tampered"]);
  });
});

const browserSchema = z.object({ user: z.string().nullable().default(null) });
type Handle = SessionHandle<z.output<typeof browserSchema>>;
const browserConfig = defineSessions({
  auth: {
    storage: "cookie",
    schema: browserSchema,
    expiry: { absolute: "1h" },
    cookie: { persistent: false },
  },
  cart: {
    storage: "store",
    schema: browserSchema,
    expiry: { absolute: "1h" },
    cookie: { persistent: false },
  },
  kept: { storage: "cookie", schema: browserSchema, expiry: { absolute: "1h" } },
});

function browserSessionSetup() {
  const setup = testSatchel<{ auth: Handle; cart: Handle; kept: Handle }>(browserConfig);
  const app = setup.satchel.handle(async (request, sessions) => {
    const name = new URL(request.url).pathname.slice(1) as "auth" | "cart" | "kept";
    const session = await sessions.get(name);
    if (request.method === "POST") session.user = "u1";
    return Response.json({ user: session.user });
  });
  return { ...setup, client: new CookieClient(app) };
}

describe("browser-session cookies", () => {
  it.each(["auth", "cart"])("%s: written without Max-Age or Expires", async (name) => {
    const { client } = browserSessionSetup();
    await client.fetch(`/${name}`, { method: "POST" });
    expect(client.lastSetCookie).toHaveLength(1);
    expect(client.lastSetCookie[0]).not.toMatch(/max-age|expires/i);
    expect(await (await client.fetch(`/${name}`)).json()).toEqual({ user: "u1" });
  });

  it("a persistent cookie (the default) still has Max-Age", async () => {
    const { client } = browserSessionSetup();
    await client.fetch("/kept", { method: "POST" });
    expect(client.lastSetCookie[0]).toMatch(/Max-Age=3600/);
  });

  it.each(["auth", "cart"])(
    "%s: the sealed absolute expiry still ends a cookie the browser kept",
    async (name) => {
      const { client, clock, reports } = browserSessionSetup();
      await client.fetch(`/${name}`, { method: "POST" });
      clock.advance(3_601_000);
      expect(await (await client.fetch(`/${name}`)).json()).toEqual({ user: null });
      expect(reports).toContainEqual(expect.objectContaining({ session: name, reason: "expired" }));
    },
  );
});
