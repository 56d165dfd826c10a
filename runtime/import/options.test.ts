/**
 * The importers check their options at the call, so a mistake stops the schema file from loading
 * with a `satchel:` error that says what to give, instead of signing users out on the first request.
 */
import { describe, expect, it } from "vitest";
import { SatchelConfigError } from "../errors.ts";
import { ironSession } from "./index.ts";

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
    ["no password", { cookieName: "s", map }, /option "password" is missing or not a string or map/],
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
