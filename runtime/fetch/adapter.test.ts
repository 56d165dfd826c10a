import { describe, expect, it } from "vitest";
import { SessionStateError } from "../errors.ts";
import { CookieClient, testSatchel } from "../test-support/harness.ts";
import { type TestTypes, testConfig } from "../test-support/schema.ts";

describe("the Fetch adapter", () => {
  it("handle() commits when the handler returns and saves nothing when it throws", async () => {
    const { satchel } = testSatchel<TestTypes>(testConfig);
    const app = satchel.handle(async (req, sessions) => {
      const auth = await sessions.get("auth");
      const cart = await sessions.get("cart");
      if (req.method === "POST") {
        auth.userId = "u1";
        cart.note = "n";
      }
      if (new URL(req.url).pathname === "/fail") throw new Error("handler failed");
      return Response.json({ userId: auth.userId, note: cart.note });
    });
    const client = new CookieClient(app);
    await expect(client.fetch("/fail", { method: "POST" })).rejects.toThrow("handler failed");
    expect(client.cookies.size).toBe(0);
    await client.fetch("/ok", { method: "POST" });
    expect(await (await client.fetch("/")).json()).toEqual({ userId: "u1", note: "n" });
  });

  it("apply() refuses to run before commit() finished", async () => {
    const { satchel } = testSatchel<TestTypes>(testConfig);
    const sessions = satchel.fromRequest(new Request("http://x/"));
    (await sessions.get("auth")).userId = "u1";
    expect(() => sessions.apply(new Response("x"))).toThrow(SessionStateError);
    const pending = sessions.commit();
    expect(() => sessions.apply(new Response("x"))).toThrow(/before commit\(\) finished/);
    await pending;
    expect(sessions.apply(new Response("x")).headers.getSetCookie()).toHaveLength(1);
  });

  it("apply() works on responses with immutable headers (Response.redirect)", async () => {
    const { satchel } = testSatchel<TestTypes>(testConfig);
    const app = satchel.handle(async (_req, sessions) => {
      (await sessions.get("auth")).flash.notice.add("welcome");
      return Response.redirect("http://localhost/next", 303);
    });
    const res = await app(new Request("http://localhost/"));
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("http://localhost/next");
    expect(res.headers.getSetCookie()).toHaveLength(1);
  });

  it("apply() adds the writes to the response it is given, and leaves a read-only one as it is", async () => {
    const { satchel } = testSatchel<TestTypes>(testConfig);
    const writer = satchel.fromRequest(new Request("http://localhost/"));
    (await writer.get("auth")).userId = "u1";
    await writer.commit();
    const response = new Response("ok", { headers: { "x-app": "1" } });
    const applied = writer.apply(response);
    expect(applied).toBe(response);
    expect(applied.headers.getSetCookie()).toHaveLength(1);
    expect(applied.headers.get("x-app")).toBe("1");

    const cookie = (applied.headers.getSetCookie()[0] as string).split(";")[0] as string;
    const reader = satchel.fromRequest(new Request("http://localhost/", { headers: { cookie } }));
    expect((await reader.get("auth")).userId).toBe("u1");
    await reader.commit();
    const untouched = new Response("ok");
    expect(reader.apply(untouched)).toBe(untouched);
    expect([...untouched.headers]).toEqual([["content-type", "text/plain;charset=UTF-8"]]);
  });

  it("keeps only the last write per cookie when a session is saved twice", async () => {
    const { satchel } = testSatchel<TestTypes>(testConfig);
    const app = satchel.handle(async (_req, sessions) => {
      const auth = await sessions.get("auth");
      auth.userId = "a";
      await auth.save();
      auth.userId = "b";
      return new Response("ok");
    });
    const client = new CookieClient(app);
    await client.fetch();
    expect(client.lastSetCookie).toHaveLength(1);
    const check = new CookieClient(
      satchel.handle(async (_r, s) => Response.json({ userId: (await s.get("auth")).userId })),
    );
    check.cookies.set("auth", client.cookies.get("auth") as string);
    expect(await (await check.fetch()).json()).toEqual({ userId: "b" });
  });

  it("sets and deletes plain cookies before a Response exists", async () => {
    const { satchel } = testSatchel<TestTypes>(testConfig);
    const app = satchel.handle(async (req, sessions) => {
      if (req.method === "POST") sessions.cookies.set("theme", "dark", { httpOnly: false });
      else if (req.method === "DELETE") sessions.cookies.delete("theme");
      return Response.json({ theme: sessions.cookies.get("theme") ?? null });
    });
    const client = new CookieClient(app);
    await client.fetch("/", { method: "POST" });
    expect(client.lastSetCookie[0]).toMatch(/^theme=dark; Path=\//);
    expect(client.lastSetCookie[0]).not.toMatch(/HttpOnly/);
    expect(await (await client.fetch("/")).json()).toEqual({ theme: "dark" });
    await client.fetch("/", { method: "DELETE" });
    expect(client.cookies.has("theme")).toBe(false);
  });

  it("refuses writes after apply(response): they could never reach the client", async () => {
    const { satchel } = testSatchel<TestTypes>(testConfig);
    const sessions = satchel.fromRequest(new Request("http://x/"));
    const auth = await sessions.get("auth");
    const cart = await sessions.get("cart");
    auth.userId = "u1";
    await sessions.commit();
    sessions.apply(new Response("x"));
    const late =
      /session "auth" cannot be written any more: the response was already sent \(apply\(response\) was called\)/;
    await expect(auth.save()).rejects.toThrow(SessionStateError);
    await expect(auth.save()).rejects.toThrow(late);
    await expect(auth.update((d) => ({ ...d, userId: "u2" }))).rejects.toThrow(late);
    expect(() => {
      auth.userId = "u3";
    }).toThrow(late);
    expect(() => auth.set("roles", ["x"])).toThrow(late);
    expect(() => auth.flash.notice.add("late")).toThrow(late);
    await expect(cart.destroy()).rejects.toThrow(/session "cart" cannot be written any more/);
    // A deep change slipping past the setters is refused when committed.
    auth.roles.push("admin");
    await expect(sessions.commit()).rejects.toThrow(/sessions auth were changed after the response was sent/);
    // Reading stays fine.
    expect(auth.userId).toBe("u1");
  });

  it("refuses a save() made after handle() answered", async () => {
    const { satchel } = testSatchel<TestTypes>(testConfig);
    let kept: TestTypes["auth"] | undefined;
    const app = satchel.handle(async (_req, sessions) => {
      kept = await sessions.get("auth");
      return new Response("ok");
    });
    await app(new Request("http://x/"));
    const auth = kept as TestTypes["auth"];
    expect(() => {
      auth.userId = "late";
    }).toThrow(SessionStateError);
    await expect(auth.save()).rejects.toThrow(SessionStateError);
  });

  it("errors for an unknown session name", async () => {
    const { satchel } = testSatchel<TestTypes>(testConfig);
    await expect(satchel.fromRequest(new Request("http://x/")).get("nope" as "auth")).rejects.toThrow(
      /there is no session "nope"; the schema defines: auth, cart/,
    );
  });
});
