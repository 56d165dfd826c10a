/**
 * Secret rotation, as an operator does it: add the new secret second, promote it to first, retire the
 * old one. For cookie sessions, store sessions (their sealed id) and signed plain cookies:
 * - a token of a secret that is still listed is read, and re-sealed with the first secret on the next
 *   response (even a request that only reads);
 * - a token sealed only by a retired secret is rejected: a fresh session, an `unknown-key` report,
 *   the stale cookie cleared;
 * - a store session re-sealed during rotation keeps its record (same id, same data).
 */
import { describe, expect, it } from "vitest";
import { memoryCookieJar } from "../cookies/header.ts";
import { createSealer } from "../crypto/seal.ts";
import { createMemoryStore } from "../stores/memory.ts";
import { CookieClient, SECRET_A, SECRET_B, testClock, testSatchel } from "../test-support/harness.ts";
import { type TestTypes, testConfig } from "../test-support/schema.ts";

const A = SECRET_A;
const B = SECRET_B;
const C = `${"c".repeat(16)}-third-test-secret-0123456789`;

/** A fleet sharing a clock and a store; each deploy is a satchel with its own secret list. */
function fleet() {
  const clock = testClock();
  const store = createMemoryStore({ now: clock.now });
  const reports: { deploy: string; reason: string; session: string }[] = [];
  const deploy = (label: string, secrets: string[]) =>
    testSatchel<TestTypes>(testConfig, {
      clock,
      store,
      secrets,
      onInvalid: (r) => reports.push({ deploy: label, reason: r.reason, session: r.session }),
    }).satchel.handle(async (request, sessions) => {
      const auth = await sessions.get("auth");
      const cart = await sessions.get("cart");
      const path = new URL(request.url).pathname;
      if (path === "/login") {
        auth.userId = "u1";
        cart.note = "kept";
        await sessions.cookies.setSigned("pref", "dark");
      }
      return Response.json({
        userId: auth.userId,
        note: cart.note,
        pref: (await sessions.cookies.getSigned("pref")) ?? null,
      });
    });
  return { clock, store, reports, deploy };
}

/** Which secret a sealed token belongs to: the index into `candidates` that unseals it, or -1. */
async function sealedBy(
  session: string,
  token: string,
  candidates: string[],
  nowMs: number,
): Promise<number> {
  for (const [index, secret] of candidates.entries()) {
    if ((await createSealer([secret]).unseal(session, token, nowMs)).ok) return index;
  }
  return -1;
}

const LOGGED_IN = { userId: "u1", note: "kept", pref: "dark" };
const FRESH = { userId: null, note: "", pref: null };

describe("rotation matrix: a token sealed with A, read by deploys with other secret lists", () => {
  const rows: [secrets: string[], label: string, readable: boolean, resealed: boolean][] = [
    [[A], "[A]", true, false],
    [[A, B], "[A, B] (B added, not yet used)", true, false],
    [[B, A], "[B, A] (B promoted)", true, true],
    [[C, B, A], "[C, B, A]", true, true],
    [[B], "[B] (A retired)", false, false],
    [[B, C], "[B, C]", false, false],
  ];

  it.each(rows)("read by %s → %s", async (secrets, _label, readable, resealed) => {
    const f = fleet();
    const client = new CookieClient(f.deploy("old", [A]));
    await client.fetch("/login");
    const before = {
      auth: client.cookies.get("auth"),
      cart: client.cookies.get("cart"),
      pref: client.cookies.get("pref"),
    };

    const reader = new CookieClient(f.deploy("new", secrets));
    for (const [name, value] of client.cookies) reader.cookies.set(name, value);
    const body = await (await reader.fetch("/")).json();

    if (!readable) {
      expect(body).toEqual(FRESH);
      expect(f.reports).toEqual([
        { deploy: "new", reason: "unknown-key", session: "auth" },
        { deploy: "new", reason: "unknown-key", session: "cart" },
      ]);
      // The useless cookies are cleared (the signed plain cookie is the app's to manage).
      expect(reader.cookies.has("auth")).toBe(false);
      expect(reader.cookies.has("cart")).toBe(false);
      return;
    }
    expect(body).toEqual(LOGGED_IN);
    expect(f.reports).toEqual([]);
    const after = { auth: reader.cookies.get("auth"), cart: reader.cookies.get("cart") };
    if (!resealed) {
      expect(reader.lastSetCookie).toEqual([]);
      expect(after).toEqual({ auth: before.auth, cart: before.cart });
      return;
    }
    // Re-sealed on a request that only read: both tokens now belong to the first secret.
    expect(after.auth).not.toBe(before.auth);
    expect(after.cart).not.toBe(before.cart);
    const now = f.clock.now();
    expect(await sealedBy("auth", after.auth as string, secrets, now)).toBe(0);
    expect(await sealedBy("cart", after.cart as string, secrets, now)).toBe(0);
    // The store session kept its id and record: the re-sealed token names the same id.
    const oldId = await createSealer([A]).unseal("cart", before.cart as string, now);
    const newId = await createSealer([secrets[0] as string]).unseal("cart", after.cart as string, now);
    expect(oldId.ok && newId.ok && Buffer.from(newId.plaintext).equals(Buffer.from(oldId.plaintext))).toBe(
      true,
    );
  });
});

describe("the whole rotation, step by step", () => {
  it("clients seen while B was first keep their sessions after A is retired; the others start fresh", async () => {
    const f = fleet();
    const regular = new CookieClient(f.deploy("v1", [A]));
    const absent = new CookieClient(f.deploy("v1", [A]));
    await regular.fetch("/login");
    await absent.fetch("/login");

    // Step 1: add B second everywhere (nothing changes for anyone).
    const step1 = f.deploy("v2", [A, B]);
    for (const client of [regular, absent]) {
      const response = await step1(
        new Request("http://localhost/", { headers: { cookie: client.cookieHeader() } }),
      );
      expect(await response.json()).toEqual(LOGGED_IN);
      expect(response.headers.getSetCookie()).toEqual([]);
    }

    // Step 2: promote B; the regular client visits and its tokens are re-sealed with B.
    const step2 = new CookieClient(f.deploy("v3", [B, A]));
    for (const [name, value] of regular.cookies) step2.cookies.set(name, value);
    expect(await (await step2.fetch("/")).json()).toEqual(LOGGED_IN);
    // The signed plain cookie is the app's: it verifies with A still listed but is not re-signed.
    expect(step2.lastSetCookie.map((line) => line.split("=")[0]).sort()).toEqual(["auth", "cart"]);

    // Step 3: retire A once every token has had time to be re-sealed.
    f.clock.advance(60_000);
    const step3 = f.deploy("v4", [B]);
    const regularNow = await step3(
      new Request("http://localhost/", { headers: { cookie: step2.cookieHeader() } }),
    );
    expect(await regularNow.json()).toEqual({ ...LOGGED_IN, pref: null }); // A-signed pref no longer verifies
    const absentNow = await step3(
      new Request("http://localhost/", { headers: { cookie: absent.cookieHeader() } }),
    );
    expect(await absentNow.json()).toEqual(FRESH);
    expect(f.reports.filter((r) => r.deploy === "v4").map((r) => `${r.session}:${r.reason}`)).toEqual([
      "auth:unknown-key",
      "cart:unknown-key",
    ]);
  });

  it("a read-only request (a Server Component) reads an old-secret token but cannot re-seal it, and says nothing", async () => {
    const f = fleet();
    const client = new CookieClient(f.deploy("v1", [A]));
    await client.fetch("/login");
    const satchel = testSatchel<TestTypes>(testConfig, {
      clock: f.clock,
      store: f.store,
      secrets: [B, A],
    }).satchel;
    const jar = memoryCookieJar(client.cookieHeader());
    const sessions = satchel.open(jar, { readOnly: "a Server Component cannot set cookies" });
    expect((await sessions.get("auth")).userId).toBe("u1");
    expect((await sessions.get("cart")).note).toBe("kept");
    await sessions.commit();
    expect(jar.writes()).toEqual([]);
    expect(sessions.unsavedChanges()).toEqual([]);
  });

  it("rotation keeps the store record: after A is retired, a re-sealed store session still finds its data", async () => {
    const f = fleet();
    const client = new CookieClient(f.deploy("v1", [A]));
    await client.fetch("/login");
    const promoted = new CookieClient(f.deploy("v2", [B, A]));
    for (const [name, value] of client.cookies) promoted.cookies.set(name, value);
    await promoted.fetch("/");
    const retired = new CookieClient(f.deploy("v3", [B]));
    for (const [name, value] of promoted.cookies) retired.cookies.set(name, value);
    expect((await (await retired.fetch("/")).json()).note).toBe("kept");
  });
});

describe("secrets must be long enough, and the same secret gives the same keys everywhere", () => {
  it("two processes with the same secret list read each other's tokens; a different order re-seals", async () => {
    const clock = testClock();
    const store = createMemoryStore({ now: clock.now });
    const one = testSatchel<TestTypes>(testConfig, { clock, store, secrets: [A, B] }).satchel;
    const two = testSatchel<TestTypes>(testConfig, { clock, store, secrets: [A, B] }).satchel;
    const write = new CookieClient(
      one.handle(async (_r, s) => {
        (await s.get("auth")).userId = "shared";
        return new Response("ok");
      }),
    );
    await write.fetch("/");
    const read = two.handle(async (_r, s) => Response.json((await s.get("auth")).userId));
    const response = await read(
      new Request("http://localhost/", { headers: { cookie: write.cookieHeader() } }),
    );
    expect(await response.json()).toBe("shared");
    expect(response.headers.getSetCookie()).toEqual([]);
  });

  it("refuses a secret shorter than 32 characters with an error that says how to make one", async () => {
    const { satchel } = testSatchel<TestTypes>(testConfig, { secrets: ["too-short"] });
    const handler = satchel.handle(async (_r, s) => {
      (await s.get("auth")).userId = "x";
      return new Response("ok");
    });
    await expect(handler(new Request("http://localhost/"))).rejects.toThrow(/^satchel:.*satchel secret/s);
  });
});
