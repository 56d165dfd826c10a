/**
 * `ironSession()` against cookies the real iron-session wrote: version 9 (`getIronSession` and
 * `sealData`, chunked cookies included) and version 8 (an npm alias), on both crypto backends.
 */
import { getIronSession, sealData, unsealData, webCookies } from "iron-session";
import { sealData as sealData8 } from "iron-session-8";
import { describe, expect, it } from "vitest";
import { memoryCookieJar } from "../cookies/header.ts";
import type { CookieReader, ImportOutcome } from "../types.ts";
import { type IronSessionImportOptions, ironSession } from "./iron-session.ts";
import { backends, cookiesAfter } from "./test-support/cookies.ts";

const PASSWORD = "an-iron-session-password-of-32+chars";
const NEXT_PASSWORD = "the-rotated-in-password-of-32+chars!";
const COOKIE = "myapp_session";

interface OldSession {
  user?: { id: string; name: string };
}

const mapUser = (old: OldSession) => ({ userId: old.user?.id ?? null, name: old.user?.name ?? null });
const ada = { user: { id: "u1", name: "Ada" } };
const jar = (seal: string, name = COOKIE): CookieReader => memoryCookieJar(new Map([[name, seal]]));

/** What iron-session 9's `getIronSession` + `save()` sends back, as the next request's cookies. */
async function savedByIronSession9(data: object, options: { chunk?: boolean; ttl?: number } = {}) {
  const headers = new Headers();
  const session = await getIronSession<Record<string, unknown>>(
    webCookies(new Request("http://127.0.0.1/"), headers),
    { cookieName: COOKIE, password: PASSWORD, ...options },
  );
  Object.assign(session, data);
  await session.save();
  return headers.getSetCookie();
}

function failed(outcome: ImportOutcome<unknown>): string {
  expect(outcome.status).toBe("failed");
  return outcome.status === "failed" ? outcome.detail : "";
}

describe.each(backends)("ironSession() on the %s backend", (_name, crypto) => {
  const open = (
    cookies: CookieReader,
    options: Partial<IronSessionImportOptions<unknown, OldSession>> = {},
    now = Date.now(),
  ) =>
    ironSession({ cookieName: COOKIE, password: PASSWORD, map: mapUser, ...options }).open({
      cookies,
      crypto,
      now,
    });

  it("opens the cookie iron-session 9 saved, maps it, and names the cookie to expire", async () => {
    const cookies = cookiesAfter(await savedByIronSession9(ada));
    expect(await open(cookies, { cookie: { path: "/", domain: "example.com" } })).toEqual({
      status: "ok",
      data: { userId: "u1", name: "Ada" },
      cleanup: { expireCookies: [{ name: COOKIE, path: "/", domain: "example.com" }] },
    });
  });

  it("opens seals of iron-session 8 and 9 to the data iron-session itself unseals", async () => {
    const data = {
      user: { id: "u2", name: "Grace" },
      visits: 3,
      tags: ["a", "ü"],
      nested: { deep: [null, true] },
    };
    for (const seal of [
      await sealData(data, { password: PASSWORD }),
      await sealData8(data, { password: PASSWORD }),
    ]) {
      expect(seal).toMatch(/^Fe26\.2\*1\*[0-9a-f]{64}\*[\w-]+\*[\w-]+\*\d+\*[0-9a-f]{64}\*[\w-]+~2$/);
      const outcome = await ironSession({ cookieName: COOKIE, password: PASSWORD, map: (old) => old }).open({
        cookies: jar(seal),
        crypto,
        now: Date.now(),
      });
      expect(outcome).toMatchObject({ status: "ok", data });
      expect(await unsealData(seal, { password: PASSWORD })).toEqual(data);
    }
  });

  it("reads a password map as iron-session does: the seal's id picks the password (rotation)", async () => {
    const rotated = { 1: PASSWORD, 2: NEXT_PASSWORD };
    const byOld = await sealData(ada, { password: PASSWORD }); // id 1
    const byNew = await sealData(ada, { password: rotated }); // the highest id seals: 2
    expect(byNew.split("*")[1]).toBe("2");
    expect((await open(jar(byOld), { password: rotated })).status).toBe("ok");
    expect((await open(jar(byNew), { password: rotated })).status).toBe("ok");
    expect(await open(jar(byNew), { password: { "2": NEXT_PASSWORD } })).toMatchObject({ status: "ok" });
    expect(failed(await open(jar(byNew), { password: PASSWORD }))).toBe(
      `iron-session cookie "${COOKIE}" was sealed with password id "2", which "password" does not have (add the old password under that id)`,
    );
  });

  it("refuses a seal under another password with the same id", async () => {
    const seal = await sealData(ada, { password: NEXT_PASSWORD });
    expect(failed(await open(jar(seal)))).toMatch(
      /does not verify \(another password, or the cookie was changed\)$/,
    );
  });

  it("refuses every change to the sealed text before decrypting anything", async () => {
    const seal = await sealData(ada, { password: PASSWORD });
    const parts = seal.replace(/~2$/, "").split("*");
    let decrypted = 0;
    const counting = {
      ...crypto,
      decryptAesCbc: (...args: Parameters<typeof crypto.decryptAesCbc>) => {
        decrypted++;
        return crypto.decryptAesCbc(...args);
      },
    };
    const importer = ironSession({ cookieName: COOKIE, password: PASSWORD, map: mapUser });
    const openCounting = (text: string) =>
      importer.open({ cookies: jar(text), crypto: counting, now: Date.now() });
    const flip = (text: string) => (text.startsWith("A") ? `B${text.slice(1)}` : `A${text.slice(1)}`);
    for (const index of [1, 2, 3, 4, 6, 7]) {
      const changed = parts.map((part, i) => (i === index ? flip(part) : part)).join("*");
      expect(failed(await openCounting(changed)), `part ${index}`).toMatch(/does not verify|password id "A"/);
    }
    // A later expiration would let an old cookie live on: it is under the HMAC.
    const later = [...parts.slice(0, 5), String(Number(parts[5]) + 86_400_000), ...parts.slice(6)].join("*");
    expect(failed(await openCounting(later))).toMatch(/does not verify/);
    expect(failed(await openCounting(parts.slice(0, 7).join("*")))).toMatch(/is not an iron seal/);
    expect(failed(await openCounting(`Fe26.1${seal.slice(6)}`))).toMatch(/is not an iron seal/);
    expect(decrypted).toBe(0);
    expect((await openCounting(seal)).status).toBe("ok");
    expect(decrypted).toBe(1);
  });

  it("ignores the ~2 marker outside the seal's HMAC, as iron-session 9 does", async () => {
    const seal = await sealData(ada, { password: PASSWORD });
    expect((await open(jar(seal.replace(/~2$/, "")))).status).toBe("ok");
    expect((await open(jar(seal.replace(/~2$/, "~7")))).status).toBe("ok");
  });

  it("honours the seal's own expiration with iron's 60 s skew", async () => {
    const sealedAt = Date.now();
    const seal = await sealData(ada, { password: PASSWORD, ttl: 120 });
    const expiresAt = Number(seal.split("*")[5]);
    expect(expiresAt).toBeGreaterThanOrEqual(sealedAt + 120_000);
    expect((await open(jar(seal), {}, expiresAt + 59_999)).status).toBe("ok");
    expect(failed(await open(jar(seal), {}, expiresAt + 60_000))).toBe(
      `iron-session cookie "${COOKIE}" expired at ${new Date(expiresAt).toISOString()}`,
    );
  });

  it("takes seals without expiry (iron-session ttl 0) only with ttl: 0", async () => {
    const seal = await sealData(ada, { password: PASSWORD, ttl: 0 });
    expect(seal.split("*")[5]).toBe("");
    expect(failed(await open(jar(seal)))).toMatch(
      /never expires, which iron-session sessions do only with ttl 0/,
    );
    expect((await open(jar(seal), { ttl: 0 })).status).toBe("ok");
  });

  it("refuses a seal that outlives ttl, and takes it with the ttl it was sealed with", async () => {
    const seal = await sealData(ada, { password: PASSWORD, ttl: 30 * 86_400 });
    expect(failed(await open(jar(seal)))).toMatch(
      /later than ttl \(1209600 s\) allows: set ttl to the longest ttl/,
    );
    expect((await open(jar(seal), { ttl: "30d" })).status).toBe("ok");
    expect((await open(jar(seal), { ttl: 0 })).status).toBe("ok");
  });

  it("reads iron-session 9's chunked cookies as it does, and expires every chunk", async () => {
    const big = { ...ada, notes: "x".repeat(6000) };
    const setCookies = await savedByIronSession9(big, { chunk: true });
    const names = setCookies.map((header) => header.slice(0, header.indexOf("=")));
    expect(names.length).toBeGreaterThan(1);
    expect(names).toEqual(names.map((_, index) => `${COOKIE}.${index}`));
    const outcome = await ironSession({ cookieName: COOKIE, password: PASSWORD, map: (old) => old }).open({
      cookies: cookiesAfter(setCookies),
      crypto,
      now: Date.now(),
    });
    expect(outcome).toEqual({
      status: "ok",
      data: big,
      cleanup: { expireCookies: names.map((name) => ({ name, path: "/", domain: undefined })) },
    });
    // A chunk missing: iron-session stops at the gap (the later chunks are not read) and the joined
    // text no longer verifies.
    const gap = setCookies.filter((header) => !header.startsWith(`${COOKIE}.1=`));
    expect(failed(await open(cookiesAfter(gap)))).toMatch(/is not an iron seal/);
  });

  it("reads a whole cookie first, and expires stale chunks beside it", async () => {
    const whole = (await savedByIronSession9(ada))[0] as string;
    const stale = (await savedByIronSession9({ notes: "y".repeat(6000) }, { chunk: true }))[1] as string;
    const outcome = await open(cookiesAfter([whole, stale]));
    expect(outcome).toMatchObject({
      status: "ok",
      data: { userId: "u1" },
      cleanup: { expireCookies: [{ name: COOKIE }, { name: `${COOKIE}.1` }] },
    });
  });

  it("answers absent without an old cookie, and leaves sealData tokens that are no session alone", async () => {
    expect(await open(memoryCookieJar("other=1"))).toEqual({ status: "absent" });
    expect(await open(jar(""))).toEqual({ status: "absent" });
    const token = await sealData("a magic-link token", { password: PASSWORD });
    expect(failed(await open(jar(token)))).toMatch(
      /holds a string, not session data \(a sealData token\?\)$/,
    );
  });

  it("turns a throwing map into a failure, and awaits an async one", async () => {
    const cookies = jar(await sealData(ada, { password: PASSWORD }));
    const throwing = await open(cookies, {
      map: () => {
        throw new TypeError("no user id");
      },
    });
    expect(failed(throwing)).toBe(`iron-session cookie "${COOKIE}": map threw TypeError: no user id`);
    const rejecting = await open(cookies, { map: async () => Promise.reject(new Error("lookup failed")) });
    expect(failed(rejecting)).toMatch(/map threw Error: lookup failed$/);
    const looked = await open(cookies, {
      map: async (old: OldSession) => ({ userId: `new-${old.user?.id}`, name: null }),
    });
    expect(looked).toMatchObject({ status: "ok", data: { userId: "new-u1", name: null } });
  });

  it("never puts the seal or a password into a failure detail", async () => {
    const seal = await sealData(ada, { password: NEXT_PASSWORD });
    for (const cookies of [jar(seal), jar(seal.replace("*1*", "*<script>*")), jar(`${seal.slice(0, 40)}`)]) {
      const detail = failed(await open(cookies));
      for (const secret of [PASSWORD, NEXT_PASSWORD, ...seal.split("*").slice(2)]) {
        expect(detail).not.toContain(secret.replace(/~2$/, ""));
      }
      expect(detail).not.toContain("<script>");
    }
  });
});
