/**
 * `__Host-` by default in production for host-only session cookies (issue 12): a sibling subdomain
 * can then neither set nor shadow them (`Domain=` cookies cannot carry the prefix). A cookie under the
 * old name, from before the upgrade, is read once and moved to the prefixed name.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { defineSessions } from "../define.ts";
import { CookieClient, testSatchel } from "../test-support/harness.ts";
import type { SessionHandle } from "../types.ts";

const schema = z.object({ user: z.string().nullable().default(null) });
type Handle = SessionHandle<z.output<typeof schema>>;
type Types = { auth: Handle; cart: Handle };

const sessions = (cookie: Record<string, unknown> = {}) =>
  defineSessions({
    auth: { storage: "cookie", schema, cookie },
    cart: { storage: "store", schema, cookie },
  });

/** A Fetch app over `config`: POST /<name>?as=<user> signs in (default "u1"), GET answers who is signed in. */
function appOver(config: ReturnType<typeof sessions>, setup = testSatchel<Types>(config)) {
  const handler = setup.satchel.handle(async (request, all) => {
    const url = new URL(request.url);
    const session = await all.get(url.pathname.slice(1) as "auth" | "cart");
    if (request.method === "POST") session.user = url.searchParams.get("as") ?? "u1";
    return Response.json({ user: session.user });
  });
  return { ...setup, handler };
}

describe("__Host- session cookies in production", () => {
  beforeEach(() => vi.stubEnv("NODE_ENV", "production"));
  afterEach(() => vi.unstubAllEnvs());

  it.each(["auth", "cart"])(
    "%s: host-only cookies get the prefix, Secure, Path=/ and no Domain",
    async (name) => {
      const client = new CookieClient(appOver(sessions()).handler);
      await client.fetch(`/${name}`, { method: "POST" });
      expect(client.lastSetCookie).toHaveLength(1);
      expect(client.lastSetCookie[0]).toMatch(new RegExp(`^__Host-${name}=`));
      expect(client.lastSetCookie[0]).toMatch(/; Secure/);
      expect(client.lastSetCookie[0]).toMatch(/; Path=\//);
      expect(client.lastSetCookie[0]).not.toMatch(/Domain=/i);
      expect(await (await client.fetch(`/${name}`)).json()).toEqual({ user: "u1" });
    },
  );

  it("a cookie with a Domain, or hostPrefix: false, keeps its plain name", async () => {
    for (const cookie of [{ domain: "example.com" }, { hostPrefix: false }]) {
      const client = new CookieClient(appOver(sessions(cookie)).handler);
      await client.fetch("/auth", { method: "POST" });
      expect(client.lastSetCookie[0]).toMatch(/^auth=/);
    }
  });

  it.each(["auth", "cart"])("%s: a cookie under the old name is read once and moved", async (name) => {
    // Before the upgrade: the same app, its cookies without the prefix.
    const before = appOver(sessions({ hostPrefix: false }));
    const client = new CookieClient(before.handler);
    await client.fetch(`/${name}`, { method: "POST" });
    expect([...client.cookies.keys()]).toEqual([name]);

    // After: the same secret and store, the prefix on by default.
    const after = appOver(sessions(), testSatchel<Types>(sessions(), { store: before.store }));
    const upgraded = new CookieClient(after.handler);
    for (const [cookie, value] of client.cookies) upgraded.cookies.set(cookie, value);
    expect(await (await upgraded.fetch(`/${name}`)).json()).toEqual({ user: "u1" });
    expect(upgraded.lastSetCookie.find((line) => line.startsWith(`__Host-${name}=`))).toBeDefined();
    expect(upgraded.lastSetCookie.find((line) => line.startsWith(`${name}=`))).toMatch(/Max-Age=0/);
    expect([...upgraded.cookies.keys()]).toEqual([`__Host-${name}`]);

    // Moved once: the next request reads the new cookie and writes nothing.
    expect(await (await upgraded.fetch(`/${name}`)).json()).toEqual({ user: "u1" });
    expect(upgraded.lastSetCookie).toEqual([]);
  });

  it("with the prefixed cookie present, a cookie under the old name (planted by a sibling) is ignored", async () => {
    const victim = new CookieClient(appOver(sessions()).handler);
    await victim.fetch("/auth", { method: "POST" });
    const attacker = new CookieClient(appOver(sessions({ hostPrefix: false })).handler);
    await attacker.fetch("/auth?as=mallory", { method: "POST" });
    // The attacker's own valid session, planted under the plain name next to the victim's.
    victim.cookies.set("auth", attacker.cookies.get("auth") as string);
    const planted = await victim.fetch("/auth");
    expect(await planted.json()).toEqual({ user: "u1" });
    expect(victim.lastSetCookie.some((line) => line.startsWith("auth="))).toBe(false);
  });

  // Issue 22 item 17: clearing an unusable cookie expired the prefixed name it did not come in too.
  it.each([
    ["auth", "auth=garbage", ["auth"]],
    ["auth", "__Host-auth=garbage", ["__Host-auth"]],
    ["cart", "cart=garbage", ["cart"]],
    ["cart", "__Host-cart=garbage", ["__Host-cart"]],
    ["auth", "__Host-auth.0=2~x; __Host-auth.1=y", ["__Host-auth.0", "__Host-auth.1"]],
  ])(
    "%s: an unusable %s gets exactly one clearing Set-Cookie per cookie sent",
    async (name, cookie, cleared) => {
      const { handler, reports } = appOver(sessions());
      const response = await handler(new Request(`https://app.test/${name}`, { headers: { cookie } }));
      const lines = response.headers.getSetCookie();
      expect(lines.map((line) => line.slice(0, line.indexOf("=")))).toEqual(cleared);
      for (const line of lines) expect(line).toMatch(/Max-Age=0/);
      expect(reports).toHaveLength(1);
    },
  );
});
