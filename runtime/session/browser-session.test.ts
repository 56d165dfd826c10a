/**
 * Browser-session cookies (`cookie: { persistent: false }`): no Max-Age/Expires on the cookie, the
 * sealed expiry still enforced, for cookie and store sessions alike.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defineSessions } from "../define.ts";
import { CookieClient, testSatchel } from "../test-support/harness.ts";
import type { SessionHandle } from "../types.ts";

const schema = z.object({ user: z.string().nullable().default(null) });
type Handle = SessionHandle<z.output<typeof schema>>;
const config = defineSessions({
  auth: { storage: "cookie", schema, expiry: { absolute: "1h" }, cookie: { persistent: false } },
  cart: { storage: "store", schema, expiry: { absolute: "1h" }, cookie: { persistent: false } },
  kept: { storage: "cookie", schema, expiry: { absolute: "1h" } },
});

function setup() {
  const setup = testSatchel<{ auth: Handle; cart: Handle; kept: Handle }>(config);
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
    const { client } = setup();
    await client.fetch(`/${name}`, { method: "POST" });
    expect(client.lastSetCookie).toHaveLength(1);
    expect(client.lastSetCookie[0]).not.toMatch(/max-age|expires/i);
    expect(await (await client.fetch(`/${name}`)).json()).toEqual({ user: "u1" });
  });

  it("a persistent cookie (the default) still has Max-Age", async () => {
    const { client } = setup();
    await client.fetch("/kept", { method: "POST" });
    expect(client.lastSetCookie[0]).toMatch(/Max-Age=3600/);
  });

  it.each(["auth", "cart"])(
    "%s: the sealed absolute expiry still ends a cookie the browser kept",
    async (name) => {
      const { client, clock, reports } = setup();
      await client.fetch(`/${name}`, { method: "POST" });
      clock.advance(3_601_000);
      expect(await (await client.fetch(`/${name}`)).json()).toEqual({ user: null });
      expect(reports).toContainEqual(expect.objectContaining({ session: name, reason: "expired" }));
    },
  );
});
