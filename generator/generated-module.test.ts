/** The committed generated module for the root schema works against the real runtime. */
import { beforeAll, expect, it, vi } from "vitest";

beforeAll(() => {
  process.env.SESSION_SECRET ??= "generator-test-secret-that-is-long-enough-0123456789";
});

it("round-trips a typed cookie session through the Fetch adapter", async () => {
  const { AUTH_VERSION, handle } = await import("../generated/sessions.ts");
  expect(AUTH_VERSION).toBe(1);
  const app = handle(async (request, sessions) => {
    const auth = await sessions.get("auth");
    if (new URL(request.url).pathname === "/login") {
      auth.userId = "u1";
      auth.roles = ["admin"];
      auth.flash.notice.add("Welcome");
      return new Response("ok");
    }
    return Response.json({ userId: auth.userId, roles: auth.roles, notices: auth.flash.notice.read() });
  });
  const login = await app(new Request("http://localhost/login"));
  const cookie = login.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
  expect(cookie).toMatch(/^auth=/);
  const me = await app(new Request("http://localhost/me", { headers: { cookie } }));
  expect(await me.json()).toEqual({ userId: "u1", roles: ["admin"], notices: ["Welcome"] });
});

it("writes without zod when the generated check passes, and with zod when it does not", async () => {
  const { handle } = await import("../generated/sessions.ts");
  const config = (await import("../sessions.schema.ts")).default;
  const parse = vi.spyOn(config.sessions.auth.schema, "safeParse");
  const app = handle(async (request, sessions) => {
    const auth = await sessions.get("auth");
    auth.roles = [new URL(request.url).searchParams.get("role") as "admin"];
    return new Response("ok");
  });
  const first = await app(new Request("http://localhost/?role=member"));
  const cookie = (first.headers.getSetCookie()[0] ?? "").split(";")[0] ?? "";
  // A fresh session builds its defaults with zod; reading the cookie and writing it back needs none.
  const before = parse.mock.calls.length;
  await app(new Request("http://localhost/?role=admin", { headers: { cookie } }));
  expect(parse.mock.calls.length).toBe(before);
  await expect(app(new Request("http://localhost/?role=root", { headers: { cookie } }))).rejects.toThrow(
    /session "auth" field "roles\[0\]" is invalid/,
  );
  parse.mockRestore();
});

it("seals and opens the root schema's passwordReset token: typed, single use, refused as another kind", async () => {
  // Single use records the token in the app's store: an in-memory one for this test.
  process.env.SESSION_STORE_URL = "memory:";
  const { openToken, sealToken, satchel } = await import("../generated/sessions.ts");
  const text = await sealToken("passwordReset", { userId: "u1" });
  expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
  expect(await openToken("passwordReset", text, { consume: false })).toEqual({ userId: "u1" });
  expect(await openToken("passwordReset", text)).toEqual({ userId: "u1" });
  expect(await openToken("passwordReset", text)).toBeNull();
  // A session cookie is no reset token.
  const app = satchel.handle(async (_request, sessions) => {
    (await sessions.get("auth")).userId = "u1";
    return new Response("ok");
  });
  const cookie = (await app(new Request("http://localhost/"))).headers.getSetCookie()[0] ?? "";
  expect(await openToken("passwordReset", cookie.slice("auth=".length, cookie.indexOf(";")))).toBeNull();
  await satchel.close();
});
