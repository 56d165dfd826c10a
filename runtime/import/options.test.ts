/**
 * The importers check their options at the call, so a mistake stops the schema file from loading
 * with a `satchel:` error that says what to give, instead of signing users out on the first request.
 * The one exception is an old secret the schema file runs without (`satchel gen`, `next build`, CI):
 * checked by `check()` (`satchel.checkConfig()` at server start) and on the first old cookie.
 */
import { describe, expect, it } from "vitest";
import { SatchelConfigError } from "../errors.ts";
import { expressSession, ironSession } from "./index.ts";

const password = "an-iron-session-password-of-32+chars";
const map = (old: Record<string, unknown>) => old;

function refusal(make: () => unknown): string {
  try {
    make();
  } catch (error) {
    expect(error).toBeInstanceOf(SatchelConfigError);
    return (error as Error).message;
  }
  throw new Error("expected the call to throw");
}

describe("ironSession() options", () => {
  const cases: [string, unknown, RegExp][] = [
    [
      "no map",
      { cookieName: "s", password },
      /^satchel: ironSession\(\) needs a "map" function: \(old\) => data/,
    ],
    [
      "a short password",
      { cookieName: "s", password: "short", map },
      /^satchel: ironSession\(\) option "password" is shorter than 32 characters, so iron-session never sealed with it: give iron-session's password/,
    ],
    [
      "a short password in a map",
      { cookieName: "s", password: { 1: password, 2: "short" }, map },
      /option "password" id 2 is shorter than 32 characters/,
    ],
    ["an empty password map", { cookieName: "s", password: {}, map }, /option "password" is an empty map/],
    [
      "a password id iron-session never writes",
      { cookieName: "s", password: { current: password }, map },
      /option "password" has the id "current"; ids are whole numbers as iron-session uses them/,
    ],
    [
      "a misspelt option",
      { cookiename: "s", password, map },
      /option "cookiename" is unknown \(did you mean "cookieName"\?\)/,
    ],
    [
      "an unknown option",
      { cookieName: "s", password, map, chunk: true },
      /option "chunk" is unknown; known options: cookieName, password, ttl, cookie, map/,
    ],
    [
      "no cookie name",
      { password, map },
      /option "cookieName" must be the name of the cookie the old library set/,
    ],
    ["a cookie name no browser sends", { cookieName: "my session", password, map }, /got "my session"/],
    [
      "a ttl that is no duration",
      { cookieName: "s", password, map, ttl: "two weeks" },
      /ironSession\(\) option "ttl" has the duration "two weeks"/,
    ],
    [
      "a negative ttl",
      { cookieName: "s", password, map, ttl: -1 },
      /ironSession\(\) option "ttl" must be a non-negative number/,
    ],
    [
      "a cookie path not from the root",
      { cookieName: "s", password, map, cookie: { path: "app" } },
      /option "cookie.path" must start with "\/"/,
    ],
    [
      "a cookie path with a separator",
      { cookieName: "s", password, map, cookie: { path: "/a;b" } },
      /option "cookie": cookie "s" option path must be printable ASCII/,
    ],
    [
      "a cookie domain that is none",
      { cookieName: "s", password, map, cookie: { domain: "a b" } },
      /option "cookie": cookie "s" option domain "a b" is not a valid ASCII host name/,
    ],
    [
      "cookie options iron-session has but expiring does not need",
      { cookieName: "s", password, map, cookie: { path: "/", secure: true } },
      /option "cookie.secure" is unknown: only path and domain matter/,
    ],
    [
      "no options",
      undefined,
      /ironSession\(\) expects an options object like \{ cookieName, password, ttl, cookie, map \}/,
    ],
  ];
  it.each(cases)("refuses %s", (_what, options, message) => {
    expect(refusal(() => ironSession(options as never))).toMatch(message);
  });

  it("takes iron-session's own spellings: a string, or a map keyed by numbers or numeric strings", () => {
    for (const given of [password, { 1: password }, { "1": password, "2": password }]) {
      expect(ironSession({ cookieName: "s", password: given, map }).cookieNames).toEqual([
        "s",
        "s.0",
        "s.1",
        "s.2",
        "s.3",
      ]);
    }
  });
});

describe("expressSession() options", () => {
  const secret = "keyboard cat";
  const store = "redis://127.0.0.1:6379";
  const cases: [string, unknown, RegExp][] = [
    ["no map", { secret, store }, /^satchel: expressSession\(\) needs a "map" function/],
    ["an empty secret list", { secret: [], store, map }, /option "secret" must be/],
    [
      "no store",
      { secret, map },
      /needs a "store": the redis:\/\/ URL or the client express-session's store used/,
    ],
    [
      "a store URL of another kind",
      { secret, map, store: "postgres://u:pw@db/app" },
      /option "store" must be a redis:\/\/ or rediss:\/\/ URL .*; got a postgres: URL\.$/,
    ],
    [
      "store text that is no URL",
      { secret, map, store: "127.0.0.1 port 6379" },
      /got text that is not a URL\.$/,
    ],
    [
      "a store object without get",
      { secret, map, store: { set() {} } },
      /option "store" must be a redis:\/\/ URL or the client express-session's store used/,
    ],
    [
      "deleteOld with a client that cannot delete",
      { secret, map, deleteOld: true, store: { get: async () => null } },
      /option "deleteOld" deletes old records, but the "store" client has no del\(key\)/,
    ],
    [
      "a deleteOld that is no boolean",
      { secret, map, store, deleteOld: "yes" },
      /option "deleteOld" must be true or false/,
    ],
    [
      "a prefix that is no string",
      { secret, map, store, prefix: 1 },
      /option "prefix" must be a string like "sess:"/,
    ],
    [
      "a misspelt option",
      { secret, map, store, deleteold: true },
      /option "deleteold" is unknown \(did you mean "deleteOld"\?\)/,
    ],
  ];
  it.each(cases)("refuses %s", (_what, options, message) => {
    expect(refusal(() => expressSession(options as never))).toMatch(message);
  });

  it("never echoes a store URL, which may hold the store's password", () => {
    const message = refusal(() =>
      expressSession({ secret, map, store: "memcached://admin:hunter2@cache:11211" }),
    );
    expect(message).not.toContain("hunter2");
    expect(message).not.toContain("admin");
    expect(message).not.toContain("cache:11211");
  });

  it("connects to nothing at the call, and reads express-session's default cookie name", () => {
    // Port 1 is never a Redis: a connection at the call would fail the test with an unhandled error.
    const importer = expressSession({ secret, map, store: "redis://127.0.0.1:1" });
    expect(importer.cookieNames).toEqual(["connect.sid"]);
    expect(importer.source).toBe("express-session");
  });
});

describe("an old secret the schema file runs without (satchel gen, next build, CI)", () => {
  const store = "redis://127.0.0.1:6379";
  const oldCookie = { get: (name: string) => (name === "s" || name === "connect.sid" ? "s:x.y" : undefined) };
  const noCookie: { get(name: string): string | undefined } = { get: () => undefined };
  const input = (cookies: typeof noCookie) => ({ cookies, crypto: undefined as never, now: Date.now() });

  it.each([
    [
      "ironSession without a password",
      () => ironSession({ cookieName: "s", map } as never),
      /option "password" is missing/,
    ],
    [
      "ironSession with an empty password",
      () => ironSession({ cookieName: "s", password: "", map }),
      /option "password" is shorter than 32/,
    ],
    [
      "expressSession without a secret",
      () => expressSession({ store, map } as never),
      /option "secret" must be express-session's secret/,
    ],
    [
      "expressSession with an empty secret",
      () => expressSession({ secret: "", store, map }),
      /option "secret" must be/,
    ],
  ])(
    "%s loads, and says what is missing when checked or when an old cookie comes",
    async (_what, make, message) => {
      const importer = make();
      expect(() => importer.check?.()).toThrow(message);
      expect(refusal(() => importer.check?.())).toMatch(/^satchel: /);
      // A visitor without an old cookie is not affected; one with it gets the configuration error.
      await expect(importer.open(input(noCookie))).resolves.toEqual({ status: "absent" });
      await expect(importer.open(input(oldCookie))).rejects.toThrow(message);
    },
  );

  it("a password given in the schema file is still checked at the call", () => {
    expect(refusal(() => ironSession({ cookieName: "s", password: "short", map }))).toMatch(
      /shorter than 32/,
    );
    expect(() => ironSession({ cookieName: "s", password, map }).check?.()).not.toThrow();
  });
});
