/**
 * `importFrom` through the Fetch adapter: visitors signed in by the real iron-session (8 and 9) or
 * by the real express-session + connect-redis (Redis 127.0.0.1:6379, a prefix of this run) arrive at
 * the satchel app and leave with a satchel session (cookie or store) and the old cookie expired.
 */
import { RedisStore } from "connect-redis";
import express from "express";
import session from "express-session";
import { Redis } from "ioredis";
import { getIronSession, sealData, webCookies } from "iron-session";
import { sealData as sealData8 } from "iron-session-8";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { memoryCookieJar } from "../cookies/header.ts";
import { defineSessions } from "../define.ts";
import { expressSession } from "../import/express-session.ts";
import { ironSession } from "../import/iron-session.ts";
import { listenOnLoopback } from "../import/test-support/listen.ts";
import { createCountingStore } from "../stores/counting.ts";
import { createMemoryStore } from "../stores/memory.ts";
import { CookieClient, testClock, testSatchel } from "../test-support/harness.ts";

const PASSWORD = "an-iron-session-password-of-32+chars";
const OLD_SECRET = "the-secret-express-session-signed-with";
const REDIS_URL = "redis://127.0.0.1:6379";
const PREFIX = `sess:satchel-import-step-test:${process.pid}:${Date.now()}:`;

interface OldSession {
  user?: { id: string; name: string };
}
const schema = z.object({
  userId: z.string().nullable().default(null),
  name: z.string().min(1).nullable().default(null),
});
const mapUser = (old: OldSession) => ({ userId: old.user?.id ?? null, name: old.user?.name ?? null });

const nodeRedis = createClient({ url: REDIS_URL });
const ioredis = new Redis(REDIS_URL);
let oldExpressApp: { url: string; close(): Promise<void> };
const importers: { close(): Promise<void> }[] = [];

function config() {
  const fromExpress = (deleteOld: boolean) => {
    const importer = expressSession({
      secret: OLD_SECRET,
      store: REDIS_URL,
      prefix: PREFIX,
      map: mapUser,
      deleteOld,
    });
    importers.push(importer);
    return importer;
  };
  return defineSessions({
    auth: {
      storage: "cookie",
      schema,
      importFrom: ironSession({ cookieName: "myapp_session", password: PASSWORD, map: mapUser }),
    },
    account: {
      storage: "store",
      schema,
      importFrom: ironSession({ cookieName: "iron_store", password: PASSWORD, map: mapUser }),
    },
    legacy: { storage: "store", schema, importFrom: fromExpress(false) },
    ended: { storage: "store", schema, importFrom: fromExpress(true) },
  });
}
type Handle = { userId: string | null; name: string | null; $isNew: boolean; destroy(): Promise<void> };
type Types = { auth: Handle; account: Handle; legacy: Handle; ended: Handle };

/** The satchel app: `/<session>` answers who is signed in; `?signout` destroys the session. */
function setup() {
  const store = createCountingStore(createMemoryStore());
  const setup = testSatchel<Types>(config(), { clock: testClock(Date.now()), store });
  const app = setup.satchel.handle(async (request, sessions) => {
    const url = new URL(request.url);
    const name = url.pathname.slice(1) as keyof Types;
    const handle = await sessions.get(name);
    if (url.searchParams.has("signout")) await handle.destroy();
    return Response.json({ userId: handle.userId, name: handle.name, isNew: handle.$isNew });
  });
  return { ...setup, store, client: new CookieClient(app) };
}

/** The cookie iron-session 9's `getIronSession` + `save()` sends back for `data`. */
async function ironSession9Cookie(cookieName: string, data: OldSession): Promise<string> {
  const headers = new Headers();
  const old = await getIronSession<OldSession>(webCookies(new Request("http://127.0.0.1/"), headers), {
    cookieName,
    password: PASSWORD,
  });
  Object.assign(old, data);
  await old.save();
  const [line] = headers.getSetCookie();
  return (line as string).slice(cookieName.length + 1, (line as string).indexOf(";"));
}

const ada = { user: { id: "u1", name: "Ada" } };
const expired = (lines: string[], name: string) =>
  lines.find((line) => line.startsWith(`${name}=;`) && /Max-Age=0/i.test(line));

/** The app being switched away from: express-session + connect-redis, signing with OLD_SECRET. */
function startOldExpressApp(): Promise<typeof oldExpressApp> {
  const app = express();
  app.use(
    session({
      secret: OLD_SECRET,
      store: new RedisStore({ client: nodeRedis, prefix: PREFIX }),
      resave: false,
      saveUninitialized: false,
      cookie: { maxAge: 3_600_000 },
    }),
  );
  app.post("/login/:id", (req, res) => {
    (req.session as unknown as OldSession).user = { id: req.params.id, name: `User ${req.params.id}` };
    res.send("signed in");
  });
  return listenOnLoopback(app);
}

/** Signs a visitor into the express app; returns its `connect.sid` value as the browser stores it. */
async function expressSignIn(id: string): Promise<string> {
  const response = await fetch(`${oldExpressApp.url}/login/${id}`, { method: "POST" });
  expect(await response.text()).toBe("signed in");
  const [line] = response.headers.getSetCookie();
  return (line as string).slice("connect.sid=".length, (line as string).indexOf(";"));
}
const recordKeyOf = (sid: string) => PREFIX + decodeURIComponent(sid).slice(2).split(".")[0];

beforeAll(async () => {
  await nodeRedis.connect();
  oldExpressApp = await startOldExpressApp();
});

afterAll(async () => {
  await oldExpressApp.close();
  for (const importer of importers) await importer.close();
  const keys = await ioredis.keys(`${PREFIX}*`);
  if (keys.length > 0) await ioredis.del(...keys);
  await nodeRedis.quit();
  ioredis.disconnect();
});

describe("importFrom: iron-session cookies become satchel sessions", () => {
  it.each([
    ["iron-session 9 (getIronSession + save)", () => ironSession9Cookie("myapp_session", ada)],
    ["iron-session 8 (sealData)", () => sealData8(ada, { password: PASSWORD })],
  ])("keeps a visitor of %s signed in and expires the old cookie", async (_label, seal) => {
    const { client, reports } = setup();
    client.cookies.set("myapp_session", await seal());
    const first = await client.fetch("/auth");
    expect(await first.json()).toEqual({ userId: "u1", name: "Ada", isNew: true });
    expect(client.lastSetCookie.some((line) => line.startsWith("auth="))).toBe(true);
    expect(expired(client.lastSetCookie, "myapp_session")).toMatch(/Path=\//);
    expect([...client.cookies.keys()]).toEqual(["auth"]);
    // The next request is a satchel session like any other: nothing written, nobody signed out.
    expect(await (await client.fetch("/auth")).json()).toEqual({ userId: "u1", name: "Ada", isNew: false });
    expect(client.lastSetCookie).toEqual([]);
    expect(reports).toEqual([]);
  });

  it("writes the imported data as a store record on a store session", async () => {
    const { client, store, reports } = setup();
    client.cookies.set("iron_store", await sealData(ada, { password: PASSWORD }));
    expect(await (await client.fetch("/account")).json()).toMatchObject({ userId: "u1" });
    expect(expired(client.lastSetCookie, "iron_store")).toBeDefined();
    const token = client.cookies.get("account");
    expect(token).toBeDefined();
    expect(token).not.toContain("Ada");
    const created = store.log().filter((call) => call.startsWith("compareAndSet "));
    expect(created).toHaveLength(1);
    expect((await store.get((created[0] as string).slice("compareAndSet ".length)))?.value).toContain("Ada");
    expect(await (await client.fetch("/account")).json()).toMatchObject({ userId: "u1", isNew: false });
    expect(reports).toEqual([]);
  });

  it.each([
    [
      "a cookie that does not open",
      () => sealData(ada, { password: "a-different-password-of-32-chars!!" }),
      expect.stringContaining('iron-session cookie "myapp_session"'),
    ],
    [
      "data the schema refuses",
      () => sealData({ user: { id: "u1", name: "" } }, { password: PASSWORD }),
      expect.stringMatching(/^iron-session data that map returned does not fit the schema: .*name/),
    ],
  ])("leaves %s alone: a fresh session and one import-failed report", async (_label, seal, detail) => {
    const { client, reports } = setup();
    const old = await seal();
    client.cookies.set("myapp_session", old);
    expect(await (await client.fetch("/auth")).json()).toEqual({ userId: null, name: null, isNew: true });
    expect(client.lastSetCookie).toEqual([]);
    expect(client.cookies.get("myapp_session")).toBe(old);
    expect(reports).toEqual([{ reason: "import-failed", session: "auth", detail }]);
  });

  it("never consults the old cookie while the satchel cookie is there", async () => {
    const { client } = setup();
    client.cookies.set("myapp_session", await sealData(ada, { password: PASSWORD }));
    await client.fetch("/auth");
    const grace = await sealData({ user: { id: "u2", name: "Grace" } }, { password: PASSWORD });
    client.cookies.set("myapp_session", grace);
    expect(await (await client.fetch("/auth")).json()).toMatchObject({ userId: "u1" });
    expect(client.lastSetCookie).toEqual([]);
    expect(client.cookies.get("myapp_session")).toBe(grace);
  });

  it("signs the visitor out of both when the importing request destroys the session", async () => {
    const { client } = setup();
    client.cookies.set("myapp_session", await sealData(ada, { password: PASSWORD }));
    await client.fetch("/auth?signout");
    expect(expired(client.lastSetCookie, "myapp_session")).toBeDefined();
    expect([...client.cookies.keys()]).toEqual([]);
    expect(await (await client.fetch("/auth")).json()).toEqual({ userId: null, name: null, isNew: true });
  });

  it("shows the imported data where nothing can be written, and imports again on the next request", async () => {
    const { satchel } = setup();
    const seal = await sealData(ada, { password: PASSWORD });
    const cookies = memoryCookieJar(new Map([["myapp_session", seal]]));
    const sessions = satchel.open(cookies, { readOnly: "a Server Component render" });
    expect((await sessions.get("auth")).userId).toBe("u1");
    await sessions.commit();
    expect(cookies.writes()).toEqual([]);
  });
});

describe("importFrom: express-session + connect-redis records become satchel store records", () => {
  it("keeps the visitor signed in, expires connect.sid and keeps the old record without deleteOld", async () => {
    const { client, reports } = setup();
    const sid = await expressSignIn("e1");
    client.cookies.set("connect.sid", sid);
    expect(await (await client.fetch("/legacy")).json()).toEqual({
      userId: "e1",
      name: "User e1",
      isNew: true,
    });
    expect(expired(client.lastSetCookie, "connect.sid")).toMatch(/Path=\//);
    expect([...client.cookies.keys()]).toEqual(["legacy"]);
    expect(await ioredis.exists(recordKeyOf(sid))).toBe(1);
    expect(await (await client.fetch("/legacy")).json()).toMatchObject({ userId: "e1", isNew: false });
    expect(reports).toEqual([]);
  });

  it("deletes the old record after the write with deleteOld: true", async () => {
    const { client } = setup();
    const sid = await expressSignIn("e2");
    client.cookies.set("connect.sid", sid);
    expect(await (await client.fetch("/ended")).json()).toMatchObject({ userId: "e2" });
    expect(await ioredis.exists(recordKeyOf(sid))).toBe(0);
    // A replay of the old cookie (another tab) finds no record: fresh, reported, left alone.
    const replay = setup();
    replay.client.cookies.set("connect.sid", sid);
    expect(await (await replay.client.fetch("/ended")).json()).toMatchObject({ userId: null, isNew: true });
    expect(replay.reports).toEqual([
      { reason: "import-failed", session: "ended", detail: expect.stringContaining("has no record") },
    ]);
    expect(replay.client.lastSetCookie).toEqual([]);
  });

  it("leaves a cookie with a bad signature alone and reports import-failed", async () => {
    const { client, reports } = setup();
    const sid = await expressSignIn("e3");
    const forged = sid.replace(/\.[^.]+$/, ".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    client.cookies.set("connect.sid", forged);
    expect(await (await client.fetch("/legacy")).json()).toMatchObject({ userId: null, isNew: true });
    expect(client.lastSetCookie).toEqual([]);
    expect(reports).toMatchObject([{ reason: "import-failed", session: "legacy" }]);
    expect(await ioredis.exists(recordKeyOf(sid))).toBe(1);
  });
});
