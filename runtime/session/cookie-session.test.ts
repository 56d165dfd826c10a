import { readFileSync } from "node:fs";
import superjson from "superjson";
import { describe, expect, it } from "vitest";
import { packForCookie, unpackFromCookie } from "../codec/compress.ts";
import { createSealer } from "../crypto/seal.ts";
import { CookieClient, SECRET_A, SECRET_B, testClock, testSatchel } from "../test-support/harness.ts";
import { interpretedCodec } from "../test-support/interpreted-codec.ts";
import { withoutNodeZlib } from "../test-support/no-zlib.ts";
import { type TestTypes, testConfig } from "../test-support/schema.ts";
import type { HostRequestSessions } from "./request-sessions.ts";

function setup(options: Parameters<typeof testSatchel>[1] = {}) {
  return testSatchel<TestTypes>(testConfig, options);
}

describe("cookie sessions through the Fetch adapter", () => {
  it("sends no Set-Cookie for an untouched session, nor for one only read", async () => {
    const { satchel } = setup();
    const client = new CookieClient(satchel.handle(async () => new Response("ok")));
    await client.fetch();
    expect(client.lastSetCookie).toEqual([]);
    const reader = new CookieClient(
      satchel.handle(async (_req, sessions) => {
        const auth = await sessions.get("auth");
        return new Response(String(auth.userId));
      }),
    );
    const res = await reader.fetch();
    expect(await res.text()).toBe("null");
    expect(reader.lastSetCookie).toEqual([]);
  });

  it("round-trips data, including a Date, across requests", async () => {
    const { satchel } = setup();
    const signedInAt = new Date("2025-05-05T10:00:00Z");
    const client = new CookieClient(
      satchel.handle(async (req, sessions) => {
        const auth = await sessions.get("auth");
        if (new URL(req.url).pathname === "/login") {
          auth.userId = "u1";
          auth.signedInAt = signedInAt;
        }
        return Response.json({
          userId: auth.userId,
          at: auth.signedInAt?.toISOString() ?? null,
          isNew: auth.$isNew,
        });
      }),
    );
    await client.fetch("/login");
    expect(client.lastSetCookie).toHaveLength(1);
    const line = client.lastSetCookie[0] as string;
    expect(line).toMatch(/^auth=[A-Za-z0-9_-]+;/);
    for (const attribute of ["Max-Age=7200", "Path=/", "HttpOnly", "Secure", "SameSite=Lax"]) {
      expect(line.split("; ")).toContain(attribute);
    }
    const body = await (await client.fetch("/")).json();
    expect(body).toEqual({ userId: "u1", at: signedInAt.toISOString(), isNew: false });
    expect(client.lastSetCookie).toEqual([]);
  });

  it("seals each request's own data when requests write at the same time", async () => {
    // Writes share packing memory (session/cookie-session.ts): each must seal before the next packs.
    // The requests below interleave at every await, their commits included.
    const { satchel } = setup();
    const handler = satchel.handle(async (req, sessions) => {
      const auth = await sessions.get("auth");
      const user = new URL(req.url).searchParams.get("user");
      if (user !== null) {
        auth.userId = user;
        auth.roles = [user.repeat(40)];
      }
      return new Response(`${auth.userId} ${auth.roles.length}`);
    });
    const clients = ["ann", "bob", "cy", "dee"].map((user) => ({ user, client: new CookieClient(handler) }));
    // The first round seals while the satchel is still making its sealer; the later ones at once.
    for (let round = 0; round < 3; round++) {
      await Promise.all(clients.map(({ user, client }) => client.fetch(`/?user=${user}${round}`)));
      const read = await Promise.all(clients.map(async ({ client }) => (await client.fetch("/")).text()));
      expect(read).toEqual(clients.map(({ user }) => `${user}${round} 1`));
    }
  });

  it("detects deep mutation (roles.push) and writes it", async () => {
    const { satchel } = setup();
    const client = new CookieClient(
      satchel.handle(async (req, sessions) => {
        const auth = await sessions.get("auth");
        if (req.method === "POST") auth.roles.push("admin");
        return Response.json(auth.toJSON());
      }),
    );
    await client.fetch("/", { method: "POST" });
    expect(client.lastSetCookie).toHaveLength(1);
    expect((await (await client.fetch("/")).json()).roles).toEqual(["admin"]);
  });

  it("turns a tampered cookie into a fresh session and exactly one onInvalid report", async () => {
    const { satchel, reports } = setup();
    const client = new CookieClient(
      satchel.handle(async (req, sessions) => {
        const auth = await sessions.get("auth");
        if (req.method === "POST") auth.userId = "u1";
        return Response.json({ userId: auth.userId, isNew: auth.$isNew });
      }),
    );
    await client.fetch("/", { method: "POST" });
    const token = client.cookies.get("auth") as string;
    const flipped = token.slice(0, 20) + (token[20] === "A" ? "B" : "A") + token.slice(21);
    client.cookies.set("auth", flipped);
    const res = await client.fetch("/");
    expect(await res.json()).toEqual({ userId: null, isNew: true });
    expect(reports).toEqual([{ reason: "tampered", session: "auth" }]);
    // The unusable cookie is cleared, so the next request does not report it again.
    expect(client.lastSetCookie[0]).toMatch(/^auth=; Max-Age=0/);
    await client.fetch("/");
    expect(reports).toHaveLength(1);
  });

  it("rejects an auth token replayed as another cookie session's token (wrong name bound)", async () => {
    const { satchel, reports } = setup();
    const client = new CookieClient(
      satchel.handle(async (_req, sessions) => {
        const auth = await sessions.get("auth");
        auth.userId = "u1";
        return new Response("ok");
      }),
    );
    await client.fetch("/");
    const other = satchel.fromRequest(
      new Request("http://localhost/", { headers: { cookie: `cart=${client.cookies.get("auth")}` } }),
    );
    const cart = await other.get("cart");
    expect(cart.$isNew).toBe(true);
    expect(reports.map((r) => r.session)).toEqual(["cart"]);
  });

  it("expires by idle and absolute time under a controlled clock", async () => {
    const { satchel, clock, reports } = setup();
    const client = new CookieClient(
      satchel.handle(async (req, sessions) => {
        const auth = await sessions.get("auth");
        if (req.method === "POST") auth.userId = "u1";
        return Response.json({ userId: auth.userId });
      }),
    );
    await client.fetch("/", { method: "POST" });
    clock.advance(2 * 3600 * 1000 + 1000);
    expect(await (await client.fetch("/")).json()).toEqual({ userId: null });
    expect(reports).toEqual([{ reason: "expired", session: "auth" }]);
  });

  it("refreshes the idle expiry at most once per touchAfter, and keeps the session alive with it", async () => {
    const { satchel, clock } = setup();
    const client = new CookieClient(
      satchel.handle(async (req, sessions) => {
        const auth = await sessions.get("auth");
        if (req.method === "POST") auth.userId = "u1";
        return Response.json({ userId: auth.userId });
      }),
    );
    await client.fetch("/", { method: "POST" });
    clock.advance(60_000);
    await client.fetch("/");
    expect(client.lastSetCookie).toEqual([]); // within touchAfter (5m): no write
    clock.advance(5 * 60_000);
    await client.fetch("/");
    expect(client.lastSetCookie).toHaveLength(1); // touch: re-sealed with a new idle expiry
    // 1h55m after the touch the session is still alive, though 2h have passed since login.
    clock.advance(115 * 60_000);
    expect(await (await client.fetch("/")).json()).toEqual({ userId: "u1" });
  });

  it("re-seals an old-key cookie with the first secret on the next request, and old keys still read", async () => {
    const old = setup({ secrets: [SECRET_B] });
    const client = new CookieClient(
      old.satchel.handle(async (_req, sessions) => {
        (await sessions.get("auth")).userId = "u1";
        return new Response("ok");
      }),
    );
    await client.fetch();
    const oldToken = client.cookies.get("auth");
    const rotated = setup({ secrets: [SECRET_A, SECRET_B] });
    const reader = new CookieClient(
      rotated.satchel.handle(async (_req, sessions) => Response.json((await sessions.get("auth")).toJSON())),
    );
    reader.cookies.set("auth", oldToken as string);
    expect((await (await reader.fetch()).json()).userId).toBe("u1");
    expect(reader.lastSetCookie).toHaveLength(1);
    const newToken = reader.cookies.get("auth");
    expect(newToken).not.toBe(oldToken);
    // The re-sealed token reads with the new secret alone.
    const onlyNew = setup({ secrets: [SECRET_A] });
    const check = onlyNew.satchel.fromRequest(
      new Request("http://x/", { headers: { cookie: `auth=${newToken}` } }),
    );
    expect((await check.get("auth")).userId).toBe("u1");
    expect(onlyNew.reports).toEqual([]);
  });

  it("destroy clears the cookie and makes later writes throw", async () => {
    const { satchel } = setup();
    const client = new CookieClient(
      satchel.handle(async (req, sessions) => {
        const auth = await sessions.get("auth");
        if (req.method === "POST") {
          auth.userId = "u1";
          return new Response("in");
        }
        await auth.destroy();
        expect(() => {
          auth.userId = "u2";
        }).toThrow(/destroyed in this request/);
        expect(() => auth.set("roles", [])).toThrow(/destroyed/);
        await expect(auth.save()).rejects.toThrow(/destroyed/);
        expect(() => auth.flash.notice.add("x")).toThrow(/destroyed/);
        return new Response("out");
      }),
    );
    await client.fetch("/", { method: "POST" });
    expect(client.cookies.has("auth")).toBe(true);
    await client.fetch("/");
    expect(client.lastSetCookie).toHaveLength(1);
    expect(client.cookies.has("auth")).toBe(false);
  });

  it("regenerate issues a new token that keeps the data", async () => {
    const { satchel } = setup();
    const client = new CookieClient(
      satchel.handle(async (req, sessions) => {
        const auth = await sessions.get("auth");
        if (req.method === "POST") auth.userId = "u1";
        if (new URL(req.url).pathname === "/regen") await auth.regenerate();
        return Response.json({ userId: auth.userId });
      }),
    );
    await client.fetch("/", { method: "POST" });
    const before = client.cookies.get("auth");
    await client.fetch("/regen");
    expect(client.cookies.get("auth")).not.toBe(before);
    expect(await (await client.fetch("/")).json()).toEqual({ userId: "u1" });
  });

  it("reset goes back to schema defaults and update changes and saves in one step", async () => {
    const { satchel } = setup();
    const sessions = satchel.fromRequest(new Request("http://x/"));
    const auth = await sessions.get("auth");
    await auth.update((data) => {
      data.userId = "u9";
      data.roles.push("member");
      return undefined;
    });
    expect(auth.userId).toBe("u9");
    expect(auth.roles).toEqual(["member"]);
    auth.reset();
    expect(auth.toJSON()).toEqual({ userId: null, roles: [] });
    await sessions.commit();
    const res = sessions.apply(new Response("ok"));
    expect(res.headers.getSetCookie()).toHaveLength(1);
  });

  it("handles destructure, JSON.stringify and iterate like the data, and reject unknown keys", async () => {
    const { satchel } = setup();
    const auth = await satchel.fromRequest(new Request("http://x/")).get("auth");
    auth.userId = "u1";
    const { userId, roles } = auth;
    expect({ userId, roles }).toEqual({ userId: "u1", roles: [] });
    expect(JSON.parse(JSON.stringify(auth))).toEqual({ userId: "u1", roles: [] });
    const keys: string[] = [];
    for (const key in auth) keys.push(key);
    // Like Object.keys: the fields holding a value (signedInAt is optional and unset).
    expect(keys).toEqual(["userId", "roles"]);
    expect(auth.$name).toBe("auth");
    expect(() => auth.set("nope" as "userId", "x")).toThrow(
      /field "nope" is invalid: is not a field of the schema/,
    );
    expect(() => {
      (auth as unknown as Record<string, unknown>).typo = 1;
    }).toThrow(/field "typo" is invalid: is not a field of the schema/);
  });

  it("refuses invalid data on write with the field named, and saves nothing", async () => {
    const { satchel } = setup();
    const sessions = satchel.fromRequest(new Request("http://x/"));
    const auth = await sessions.get("auth");
    (auth as unknown as { userId: number }).userId = 5;
    await expect(sessions.commit()).rejects.toThrow(/session "auth" field "userId" is invalid/);
  });

  it("compresses and chunks a large value, and reads it back", async () => {
    const { satchel } = setup();
    const roles = Array.from({ length: 400 }, (_, i) => `role-${i}-${Math.random().toString(36).slice(2)}`);
    const client = new CookieClient(
      satchel.handle(async (req, sessions) => {
        const auth = await sessions.get("auth");
        if (req.method === "POST") auth.roles = roles;
        if (req.method === "PUT") auth.roles = ["one"];
        return Response.json({ n: auth.roles.length });
      }),
    );
    await client.fetch("/", { method: "POST" });
    expect(client.lastSetCookie.length).toBeGreaterThan(1);
    expect([...client.cookies.keys()].every((n) => n.startsWith("auth."))).toBe(true);
    expect(await (await client.fetch("/")).json()).toEqual({ n: 400 });
    const chunks = [...client.cookies.keys()];
    // Shrinking back to one cookie expires every chunk the browser holds.
    await client.fetch("/shrink", { method: "PUT" });
    expect(client.lastSetCookie.filter((line) => /Max-Age=0/.test(line))).toHaveLength(chunks.length);
    expect([...client.cookies.keys()]).toEqual(["auth"]);
    expect(await (await client.fetch("/")).json()).toEqual({ n: 1 });
  });
});

describe("cookie sessions without node:zlib (edge runtimes)", () => {
  it("read a deflated cookie through the stream inflater, which get() waits for", async () => {
    // Past COMPRESS_FROM_BYTES: the token holds deflated text.
    const roles = Array.from({ length: 600 }, (_, i) => `role-${i % 7}`);
    const writer = setup();
    const client = new CookieClient(
      writer.satchel.handle(async (_req, sessions) => {
        (await sessions.get("auth")).roles = roles;
        return new Response("ok");
      }),
    );
    await client.fetch();
    await withoutNodeZlib(async () => {
      const edge = await import("../test-support/harness.ts");
      const { memoryCookieJar } = await import("../cookies/header.ts");
      const reader = edge.testSatchel<TestTypes>(testConfig);
      // A first request makes the sealer, so the wait below is the inflater's alone.
      await reader.satchel.open(memoryCookieJar()).get("auth");
      const sessions = reader.satchel.open(
        memoryCookieJar(client.cookieHeader()),
      ) as unknown as HostRequestSessions<TestTypes>;
      const auth = sessions.get("auth");
      expect(sessions.needsCommit()).toBe(false);
      expect((await auth).roles).toEqual(roles);
      expect(reader.reports).toEqual([]);
    });
  });
});

/** The auth session's generated codec, as the reference (the plan interpreter) would emit it. */
const authCodec = () => interpretedCodec(testConfig.sessions.auth.schema);

describe("cookie tokens of every format", () => {
  const fixture: { time: number; cookies: { auth: string } } = JSON.parse(
    readFileSync(new URL("../fixtures/format2-sessions.json", import.meta.url), "utf8"),
  );

  /** A client whose GET shows auth (flash peeked, not consumed) and whose POST adds a role. */
  function app(codecs: boolean, start = fixture.time + 60_000) {
    const clock = testClock(start);
    const setup = testSatchel<TestTypes>(testConfig, {
      clock,
      ...(codecs ? { codecs: { auth: authCodec() } } : {}),
    });
    const client = new CookieClient(
      setup.satchel.handle(async (req, sessions) => {
        const auth = await sessions.get("auth");
        if (req.method === "POST") auth.roles.push("editor");
        return Response.json({
          userId: auth.userId,
          roles: auth.roles,
          at: auth.signedInAt?.toISOString() ?? null,
          notice: auth.flash.notice.peek(),
          isNew: auth.$isNew,
        });
      }),
    );
    return { ...setup, client, clock };
  }
  const opened = async (token: string, now: number) => {
    const unsealed = await createSealer([SECRET_A]).unseal("auth", token, now);
    if (!unsealed.ok) throw new Error(unsealed.reason);
    return unpackFromCookie(unsealed.plaintext);
  };

  for (const format of [2, 3]) {
    const fixture: { time: number; cookies: { auth: string } } = JSON.parse(
      readFileSync(new URL(`../fixtures/format${format}-sessions.json`, import.meta.url), "utf8"),
    );
    for (const codecs of [false, true]) {
      it(`opens a format-${format} token (fixture) ${codecs ? "with" : "without"} a generated codec`, async () => {
        const { client, reports, clock } = app(codecs, fixture.time + 60_000);
        client.cookies.set("auth", fixture.cookies.auth);
        const expected = {
          userId: `u-format${format}`,
          roles: ["admin", "member"],
          at: "2026-12-01T08:30:00.000Z",
          notice: ["welcome back"],
          isNew: false,
        };
        expect(await (await client.fetch("/")).json()).toEqual(expected);
        expect(client.lastSetCookie).toEqual([]); // only read: not rewritten
        await client.fetch("/", { method: "POST" });
        const text = await opened(client.cookies.get("auth") as string, clock.now());
        expect(text.slice(0, 3)).toBe(codecs ? "[3," : "[2,");
        expect(await (await client.fetch("/")).json()).toEqual({
          ...expected,
          roles: [...expected.roles, "editor"],
        });
        expect(reports).toEqual([]);
      });
    }
  }

  it("opens a format-1 (superjson) token with a generated codec, through zod", async () => {
    const { client, clock, reports } = app(true, Date.UTC(2026, 0, 1));
    const s = Math.floor(clock.now() / 1000);
    const text = superjson.stringify({
      version: 1,
      data: { userId: "u1", roles: [], signedInAt: new Date(5) },
    });
    const token = await createSealer([SECRET_A]).seal("auth", await packForCookie(text), {
      createdAt: s,
      absoluteExpiresAt: s + 3600,
      idleExpiresAt: null,
    });
    client.cookies.set("auth", token);
    expect(await (await client.fetch("/")).json()).toMatchObject({
      userId: "u1",
      at: new Date(5).toISOString(),
    });
    expect(reports).toEqual([]);
  });

  for (const codecs of [false, true]) {
    it(`refuses a value of the wrong type with a validation error, not a codec crash (format ${codecs ? 3 : 2})`, async () => {
      const { satchel } = app(codecs);
      const sessions = satchel.fromRequest(new Request("http://x/"));
      const auth = await sessions.get("auth");
      (auth as unknown as { signedInAt: string }).signedInAt = "yesterday";
      await expect(sessions.commit()).rejects.toThrow(/session "auth" field "signedInAt" is invalid/);
    });
  }
});
