/**
 * `expressSession()` against sessions the real express-session + connect-redis wrote: an express app
 * on 127.0.0.1 signs visitors in, keeping its records in the shared Redis on 127.0.0.1:6379 under a
 * prefix of this run; the importer reads them through a redis:// URL (its own ioredis client), a
 * node-redis client and an ioredis client, on both crypto backends.
 */
import { RedisStore } from "connect-redis";
import express from "express";
import session from "express-session";
import { Redis } from "ioredis";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { memoryCookieJar } from "../cookies/header.ts";
import { SessionStoreUnavailableError } from "../errors.ts";
import { freePort } from "../stores/test-support/servers.ts";
import type { CookieReader, ImportOutcome } from "../types.ts";
import { type ExpressSessionImportOptions, expressSession } from "./express-session.ts";
import type { RecordClient } from "./express-store.ts";
import { backends, cookiesAfter } from "./test-support/cookies.ts";
import { listenOnLoopback } from "./test-support/listen.ts";

declare module "express-session" {
  interface SessionData {
    user: { id: string; name: string };
  }
}

const REDIS_URL = "redis://127.0.0.1:6379";
const PREFIX = `sess:satchel-import-test:${process.pid}:${Date.now()}:`;
const OLD_SECRET = "the-secret-express-session-signed-with";
const NEW_SECRET = "a-secret-rotated-in-later";

interface OldRecord {
  user?: { id: string; name: string };
  cookie: { expires?: string; originalMaxAge: number | null };
}
const mapUser = (old: OldRecord) => ({ userId: old.user?.id ?? null, name: old.user?.name ?? null });

const nodeRedis = createClient({ url: REDIS_URL });
const ioredis = new Redis(REDIS_URL);
let oldApp: { url: string; close(): Promise<void> };

/** The app being switched away from: express-session + connect-redis, signing with OLD_SECRET. */
function startOldApp(): Promise<typeof oldApp> {
  const app = express();
  app.use(
    session({
      secret: [OLD_SECRET],
      store: new RedisStore({ client: nodeRedis, prefix: PREFIX }),
      resave: false,
      saveUninitialized: false,
      cookie: { maxAge: 3_600_000 },
    }),
  );
  app.post("/login/:id", (req, res) => {
    req.session.user = { id: req.params.id, name: `User ${req.params.id}` };
    res.send("signed in");
  });
  app.post("/logout", (req, res) => req.session.destroy(() => res.send("signed out")));
  return listenOnLoopback(app);
}

/** Signs a visitor into the old app; returns the cookies their browser sends next, and the raw header. */
async function signIn(id: string): Promise<{ cookies: CookieReader; header: string }> {
  const response = await fetch(`${oldApp.url}/login/${id}`, { method: "POST" });
  expect(await response.text()).toBe("signed in");
  const [setCookie] = response.headers.getSetCookie();
  expect(setCookie).toMatch(/^connect\.sid=s%3A[\w-]+\.[\w%]+; Path=\/; Expires=.*; HttpOnly$/);
  const header = (setCookie as string).slice(0, (setCookie as string).indexOf(";"));
  return { cookies: cookiesAfter([setCookie as string]), header };
}

const recordKey = (cookies: CookieReader) =>
  PREFIX + (cookies.get("connect.sid") as string).slice(2).split(".")[0];

function failed(outcome: ImportOutcome<unknown>): string {
  expect(outcome.status).toBe("failed");
  return outcome.status === "failed" ? outcome.detail : "";
}

beforeAll(async () => {
  await nodeRedis.connect();
  oldApp = await startOldApp();
});

afterAll(async () => {
  await oldApp.close();
  const keys = await ioredis.keys(`${PREFIX}*`);
  if (keys.length > 0) await ioredis.del(...keys);
  await nodeRedis.quit();
  ioredis.disconnect();
});

describe.each(backends)("expressSession() on the %s backend", (_name, crypto) => {
  const importers: { close(): Promise<void> }[] = [];
  afterAll(async () => {
    for (const importer of importers) await importer.close();
  });
  const importer = (options: Partial<ExpressSessionImportOptions<unknown, OldRecord>> = {}) => {
    const made = expressSession({
      secret: [NEW_SECRET, OLD_SECRET],
      store: REDIS_URL,
      prefix: PREFIX,
      map: mapUser,
      ...options,
    });
    importers.push(made);
    return made;
  };
  const open = (
    cookies: CookieReader,
    options: Partial<ExpressSessionImportOptions<unknown, OldRecord>> = {},
    now = Date.now(),
  ) => importer(options).open({ cookies, crypto, now });

  it("opens the session express-session + connect-redis wrote, through a redis:// URL, under rotated secrets", async () => {
    const { cookies } = await signIn("u1");
    expect(await open(cookies, { cookie: { path: "/", domain: "example.com" } })).toEqual({
      status: "ok",
      data: { userId: "u1", name: "User u1" },
      cleanup: { expireCookies: [{ name: "connect.sid", path: "/", domain: "example.com" }] },
    });
  });

  it("reads through the clients express-session's stores use: node-redis and ioredis", async () => {
    const { cookies } = await signIn("u2");
    const clients: RecordClient[] = [nodeRedis, ioredis];
    for (const store of clients) {
      expect(await open(cookies, { store })).toMatchObject({ status: "ok", data: { userId: "u2" } });
    }
  });

  it("hands map the whole record, cookie included, as express-session's req.session held it", async () => {
    const { cookies } = await signIn("u3");
    const outcome = await open(cookies, { map: (old: OldRecord) => old });
    // The record as the old app stored it: express-session computes originalMaxAge from the clock
    // (3,600,000 ms, or one less when a millisecond passed while it made the cookie).
    const stored = JSON.parse((await ioredis.get(recordKey(cookies))) ?? "null") as OldRecord;
    expect(stored).toMatchObject({
      user: { id: "u3", name: "User u3" },
      cookie: { httpOnly: true, path: "/" },
    });
    expect(outcome).toEqual({ ...outcome, status: "ok", data: stored });
  });

  it("keeps the old record unless deleteOld, which deletes it only when afterWrite is called", async () => {
    const { cookies } = await signIn("u4");
    const key = recordKey(cookies);
    const kept = await open(cookies);
    expect(kept.status === "ok" && kept.cleanup.afterWrite).toBeUndefined();
    expect(await ioredis.exists(key)).toBe(1);
    for (const store of [REDIS_URL, nodeRedis, ioredis] as const) {
      const { cookies: again } = await signIn("u5");
      const deleting = await open(again, { deleteOld: true, store });
      expect(deleting.status).toBe("ok");
      expect(await ioredis.exists(recordKey(again))).toBe(1);
      await (deleting.status === "ok" ? deleting.cleanup.afterWrite?.() : undefined);
      expect(await ioredis.exists(recordKey(again))).toBe(0);
      expect(failed(await open(again))).toMatch(/has no record under its prefix/);
    }
  });

  it("refuses a cookie under a secret it does not have, a changed signature or id, and an unsigned one", async () => {
    const { header } = await signIn("u6");
    const signed = decodeURIComponent(header.slice("connect.sid=".length));
    expect(failed(await open(memoryCookieJar(header), { secret: NEW_SECRET }))).toBe(
      'express-session cookie "connect.sid" does not verify under secret (another secret, or the cookie was changed)',
    );
    const dot = signed.lastIndexOf(".");
    const otherId = `s:${signed[2] === "A" ? "B" : "A"}${signed.slice(3)}`;
    const otherSignature = `${signed.slice(0, dot + 1)}${signed[dot + 1] === "A" ? "B" : "A"}${signed.slice(dot + 2)}`;
    for (const value of [otherId, otherSignature, `${signed}x`, signed.slice(0, dot)]) {
      expect(failed(await open(memoryCookieJar(new Map([["connect.sid", value]]))))).toMatch(
        /does not verify|has no signature/,
      );
    }
    expect(failed(await open(memoryCookieJar(new Map([["connect.sid", signed.slice(2)]]))))).toMatch(
      /is not signed \(no "s:" prefix\)$/,
    );
  });

  it("reports a missing record (signed out in the old app) as failed, and no cookie as absent", async () => {
    const { cookies, header } = await signIn("u7");
    const response = await fetch(`${oldApp.url}/logout`, { method: "POST", headers: { cookie: header } });
    expect(await response.text()).toBe("signed out");
    expect(failed(await open(cookies))).toBe(
      'express-session cookie "connect.sid" has no record under its prefix (expired, destroyed, or another store or prefix)',
    );
    expect(await open(memoryCookieJar("other=1"))).toEqual({ status: "absent" });
    expect(await open(memoryCookieJar(new Map([["connect.sid", ""]])))).toEqual({ status: "absent" });
  });

  it("honours the record's cookie.expires, as express-session's MemoryStore does", async () => {
    const { cookies } = await signIn("u8");
    const expires = Date.parse(JSON.parse((await ioredis.get(recordKey(cookies))) as string).cookie.expires);
    expect((await open(cookies, {}, expires - 1)).status).toBe("ok");
    expect(failed(await open(cookies, {}, expires))).toBe(
      `express-session cookie "connect.sid" has a record that expired at ${new Date(expires).toISOString()}`,
    );
  });

  it("refuses records that are not express-session's JSON", async () => {
    const { cookies } = await signIn("u9");
    const key = recordKey(cookies);
    for (const [text, detail] of [
      ["not json", /has a record that is not JSON$/],
      ["[1,2]", /has a record that is not an object$/],
    ] as const) {
      await ioredis.set(key, text);
      expect(failed(await open(cookies))).toMatch(detail);
    }
  });

  it("turns a throwing map into a failure", async () => {
    const { cookies } = await signIn("u10");
    const outcome = await open(cookies, {
      map: () => {
        throw new RangeError("unknown role");
      },
    });
    expect(failed(outcome)).toBe('express-session cookie "connect.sid": map threw RangeError: unknown role');
  });

  it("fails with SessionStoreUnavailableError, naming the endpoint, when the old store is down", async () => {
    const port = await freePort();
    const { cookies } = await signIn("u11");
    const down = importer({ store: `redis://127.0.0.1:${port}` });
    const error = await down.open({ cookies, crypto, now: Date.now() }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SessionStoreUnavailableError);
    expect((error as SessionStoreUnavailableError).endpoint).toBe(`127.0.0.1:${port}`);
    expect((error as Error).message).toMatch(
      /during reading an express-session record to import; retry later/,
    );
  });
});
