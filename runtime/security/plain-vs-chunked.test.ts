/**
 * Issue 22 item 3: without the `__Host-` prefix (development, `hostPrefix: false`, a `cookie.domain`)
 * a sibling subdomain can toss a cookie under a session's name in the other form — a plain `auth`
 * next to the victim's chunked `auth.0`/`auth.1`, or chunks next to a plain cookie. One rule for both
 * forms, whatever the order they are sent in: the form that opens is used, the other is ignored and
 * reported; when both open neither is used (one was planted) — and a tossed cookie never makes
 * satchel delete the victim's.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defineSessions } from "../define.ts";
import { fetchCsrfToken, verifyFetchCsrf } from "../fetch/csrf.ts";
import { CsrfError } from "../session/csrf.ts";
import { CookieClient, testSatchel } from "../test-support/harness.ts";
import type { SessionHandle } from "../types.ts";

const schema = z.object({
  user: z.string().nullable().default(null),
  notes: z.array(z.string()).default([]),
});
type Handle = SessionHandle<z.output<typeof schema>>;
type Types = { auth: Handle; cart: Handle };

const configs = {
  "hostPrefix: false": { hostPrefix: false },
  "a cookie.domain": { domain: "example.com" },
};

function setup(cookie: Record<string, unknown>) {
  const config = defineSessions({
    auth: { storage: "cookie", schema, cookie },
    cart: { storage: "store", schema, cookie },
  });
  const t = testSatchel<Types>(config);
  const app = t.satchel.handle(async (request, sessions) => {
    const url = new URL(request.url);
    const session = await sessions.get(url.pathname.slice(1) as "auth" | "cart");
    const as = url.searchParams.get("as");
    if (as !== null) {
      session.user = as;
      // Random notes do not compress: with ?big the cookie must be chunked.
      if (url.searchParams.has("big")) session.notes = Array.from({ length: 150 }, () => crypto.randomUUID());
    }
    return Response.json({ user: session.user });
  });
  const client = () => new CookieClient(app, "https://app.example.com");
  /** One request with exactly this Cookie header: who it is signed in as, and what it sets. */
  const whoIs = async (path: string, cookie: string) => {
    const response = await app(new Request(`https://app.example.com${path}`, { headers: { cookie } }));
    const body = (await response.json()) as { user: string | null };
    return { user: body.user, setCookie: response.headers.getSetCookie() };
  };
  return { ...t, client, whoIs };
}

/** The Cookie header of `client` with `extra` pairs put first or last. */
function withTossed(client: CookieClient, extra: [string, string][], first: boolean): string {
  const own = [...client.cookies];
  const pairs = first ? [...extra, ...own] : [...own, ...extra];
  return pairs.map(([name, value]) => `${name}=${value}`).join("; ");
}

describe.each(Object.entries(configs))("plain vs chunked session cookies (%s)", (_label, cookie) => {
  describe.each([true, false])("tossed cookie sent first: %s", (first) => {
    it("a valid plain auth tossed next to a chunked session neither signs the victim in as the attacker nor deletes the chunks", async () => {
      const { client, whoIs, reports } = setup(cookie);
      const victim = client();
      await victim.fetch("/auth?as=victim&big", { method: "POST" });
      expect([...victim.cookies.keys()]).toEqual(expect.arrayContaining(["auth.0", "auth.1"]));
      const attacker = client();
      await attacker.fetch("/auth?as=attacker", { method: "POST" });
      const tossed = attacker.cookies.get("auth") as string;

      const seen = await whoIs("/auth", withTossed(victim, [["auth", tossed]], first));
      expect(seen.user).not.toBe("attacker");
      expect(seen.setCookie).toEqual([]);
      expect(reports.at(-1)).toMatchObject({ session: "auth", reason: "ambiguous-cookie" });
      // Once the tossed cookie is gone, the victim's own session is still there.
      expect((await whoIs("/auth", victim.cookieHeader())).user).toBe("victim");
    });

    it("a garbage plain auth tossed next to a chunked session is ignored, and the chunks stay", async () => {
      const { client, whoIs, reports } = setup(cookie);
      const victim = client();
      await victim.fetch("/auth?as=victim&big", { method: "POST" });
      const seen = await whoIs("/auth", withTossed(victim, [["auth", "garbage"]], first));
      expect(seen.user).toBe("victim");
      expect(seen.setCookie).toEqual([]);
      expect(reports).toEqual([
        expect.objectContaining({
          session: "auth",
          reason: "foreign-cookie",
          detail: expect.stringContaining("auth"),
        }),
      ]);
    });

    it("valid chunks tossed next to a plain session do not sign the victim in as the attacker", async () => {
      const { client, whoIs, reports } = setup(cookie);
      const victim = client();
      await victim.fetch("/auth?as=victim", { method: "POST" });
      const attacker = client();
      await attacker.fetch("/auth?as=attacker&big", { method: "POST" });
      const chunks = [...attacker.cookies].filter(([name]) => name.startsWith("auth."));
      expect(chunks.length).toBeGreaterThan(1);

      const seen = await whoIs("/auth", withTossed(victim, chunks, first));
      expect(seen.user).not.toBe("attacker");
      expect(seen.setCookie).toEqual([]);
      expect(reports.at(-1)).toMatchObject({ session: "auth", reason: "ambiguous-cookie" });
    });

    it("garbage chunks tossed next to a plain session are ignored, and the plain cookie stays", async () => {
      const { client, whoIs } = setup(cookie);
      const victim = client();
      await victim.fetch("/auth?as=victim", { method: "POST" });
      const tossed: [string, string][] = [
        ["auth.0", "2~garbage"],
        ["auth.1", "more-garbage"],
      ];
      const seen = await whoIs("/auth", withTossed(victim, tossed, first));
      expect(seen.user).toBe("victim");
      expect(seen.setCookie).toEqual([]);
    });

    it("store sessions: a tossed chunked id next to the victim's plain one is not adopted, nor does it delete the victim's", async () => {
      const { client, whoIs, reports } = setup(cookie);
      const victim = client();
      await victim.fetch("/cart?as=victim", { method: "POST" });
      const attacker = client();
      await attacker.fetch("/cart?as=attacker", { method: "POST" });
      const tossed: [string, string][] = [["cart.0", `1~${attacker.cookies.get("cart") as string}`]];

      const seen = await whoIs("/cart", withTossed(victim, tossed, first));
      expect(seen.user).not.toBe("attacker");
      expect(seen.setCookie).toEqual([]);
      expect(reports.at(-1)).toMatchObject({ session: "cart", reason: "ambiguous-cookie" });
      const garbage = await whoIs("/cart", withTossed(victim, [["cart.0", "1~garbage"]], first));
      expect(garbage).toEqual({ user: "victim", setCookie: [] });
      expect((await whoIs("/cart", victim.cookieHeader())).user).toBe("victim");
    });
  });
});

/** An app whose `/auth?as=…` signs in (big: chunked), `/form` renders a CSRF token and POST `/post` checks one. */
function csrfSetup(cookie: Record<string, unknown>) {
  const config = defineSessions({ auth: { storage: "cookie", schema, cookie } });
  const { satchel } = testSatchel<{ auth: Handle }>(config);
  const origin = "https://app.example.com";
  const app = satchel.handle(async (request, sessions) => {
    const url = new URL(request.url);
    if (url.pathname === "/auth") {
      const auth = await sessions.get("auth");
      auth.user = url.searchParams.get("as");
      if (url.searchParams.has("big")) auth.notes = Array.from({ length: 150 }, () => crypto.randomUUID());
      return new Response("signed in");
    }
    if (url.pathname === "/form") return new Response(await fetchCsrfToken(satchel, request, sessions));
    try {
      await verifyFetchCsrf(satchel, request, sessions);
    } catch (error) {
      if (error instanceof CsrfError) return new Response(error.message, { status: 403 });
      throw error;
    }
    return new Response("posted");
  });
  const client = () => new CookieClient(app, origin);
  /** POST /post with exactly this Cookie header and token. */
  const post = async (cookieHeader: string, token: string) =>
    (
      await app(
        new Request(`${origin}/post`, {
          method: "POST",
          headers: { cookie: cookieHeader, origin, "x-csrf-token": token },
        }),
      )
    ).status;
  return { client, post };
}

describe.each(Object.entries(configs))("CSRF tokens follow the same rule (%s)", (_label, cookie) => {
  describe.each([true, false])("tossed cookie sent first: %s", (first) => {
    it("a garbage plain auth tossed next to a chunked session leaves the victim's form token valid", async () => {
      const { client, post } = csrfSetup(cookie);
      const victim = client();
      await victim.fetch("/auth?as=victim&big");
      expect([...victim.cookies.keys()]).toEqual(expect.arrayContaining(["auth.0", "auth.1"]));
      const token = await (await victim.fetch("/form")).text();
      expect(await post(victim.cookieHeader(), token)).toBe(200);
      expect(await post(withTossed(victim, [["auth", "garbage"]], first), token)).toBe(200);
    });

    it("an attacker's valid plain auth, CSRF cookie and token tossed next to a chunked session are refused", async () => {
      const { client, post } = csrfSetup(cookie);
      const victim = client();
      await victim.fetch("/auth?as=victim&big");
      await victim.fetch("/form");
      const attacker = client();
      await attacker.fetch("/auth?as=attacker");
      const token = await (await attacker.fetch("/form")).text();
      const csrfName = [...attacker.cookies.keys()].find((name) => name.includes("satchel-csrf")) as string;
      const tossed: [string, string][] = [
        ["auth", attacker.cookies.get("auth") as string],
        [csrfName, attacker.cookies.get(csrfName) as string],
      ];
      const victimOwn = [...victim.cookies].filter(([name]) => name !== csrfName);
      const header = (first ? [...tossed, ...victimOwn] : [...victimOwn, ...tossed])
        .map(([name, value]) => `${name}=${value}`)
        .join("; ");
      // The session layer uses neither auth form (both open); the token, bound to the attacker's, must not pass.
      expect(await post(header, token)).toBe(403);
    });
  });
});
