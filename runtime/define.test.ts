import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defineSessions, type SessionsOptions } from "./define.ts";
import { SatchelConfigError } from "./errors.ts";
import { expressSession, ironSession } from "./import/index.ts";
import type { SessionDefinition } from "./types.ts";

const schema = z.object({ n: z.number().default(0) });
const password = "an-iron-session-password-of-32+chars";
const fromIron = (cookieName: string) => ironSession({ cookieName, password, map: () => ({ n: 1 }) });

function define(defs: Record<string, unknown>) {
  return () => defineSessions(defs as Record<string, SessionDefinition>);
}

describe("defineSessions", () => {
  it("resolves defaults and keeps the original definition for the generator", () => {
    const definition = { storage: "cookie" as const, schema };
    const config = defineSessions({ prefs: definition });
    const prefs = config.sessions.prefs;
    expect(prefs.definition).toBe(definition);
    expect(prefs.schema).toBe(schema);
    expect(prefs.version).toBe(1);
    expect(prefs.flash).toEqual({});
    expect(prefs.messages).toBe(false);
    expect(prefs.expiry).toEqual({ absolute: 14 * 86_400, idle: null, touchAfter: 300 });
    expect(prefs.cookie).toMatchObject({
      name: "prefs",
      sameSite: "lax",
      httpOnly: true,
      path: "/",
      hostPrefix: false,
      maxChunks: 4,
    });
  });

  it("resolves durations, the __Host- prefix and header names", () => {
    const config = defineSessions({
      cart: {
        storage: "store",
        schema,
        expiry: { absolute: "30d", idle: "2h", touchAfter: 90 },
        cookie: { name: "c", hostPrefix: true },
        header: "X-Cart",
      },
    });
    expect(config.sessions.cart.expiry).toEqual({ absolute: 2_592_000, idle: 7200, touchAfter: 90 });
    expect(config.sessions.cart.cookie).toMatchObject({ name: "__Host-c", secure: true, path: "/" });
    expect(config.sessions.cart.header).toBe("x-cart");
  });

  it("shrinks the default touchAfter for a short idle limit", () => {
    const config = defineSessions({ s: { storage: "cookie", schema, expiry: { idle: "2m" } } });
    expect(config.sessions.s.expiry).toMatchObject({ idle: 120, touchAfter: 60 });
  });

  const cases: [string, Record<string, unknown>, RegExp][] = [
    [
      "unknown storage",
      { a: { storage: "disk", schema } },
      /session "a" key "storage": unknown storage "disk"/,
    ],
    [
      "bad duration",
      { a: { storage: "cookie", schema, expiry: { idle: "2 hours" } } },
      /session "a" key "expiry.idle"/,
    ],
    [
      "two sessions on one cookie",
      {
        a: { storage: "cookie", schema, cookie: { name: "s" } },
        b: { storage: "cookie", schema, cookie: { name: "s" } },
      },
      /sessions "a" and "b" both use the cookie name "s"/,
    ],
    [
      "flash channel without a zod schema",
      { a: { storage: "cookie", schema, flash: { notice: "string" } } },
      /session "a" key "flash.notice": needs a zod schema/,
    ],
    [
      "schema not a zod object",
      { a: { storage: "cookie", schema: z.string() } },
      /session "a" key "schema": must be a zod object/,
    ],
    [
      "field colliding with a handle method",
      { a: { storage: "cookie", schema: z.object({ save: z.string() }) } },
      /session "a" key "schema.save": "save" is a session handle method/,
    ],
    [
      "field colliding with the handle's reload()",
      { a: { storage: "cookie", schema: z.object({ reload: z.boolean() }) } },
      /session "a" key "schema.reload": "reload" is a session handle method/,
    ],
    [
      "field colliding with the handle's touch()",
      { a: { storage: "store", schema: z.object({ touch: z.string() }) } },
      /session "a" key "schema.touch": "touch" is a session handle method/,
    ],
    [
      "field colliding with the handle's $unavailable",
      { a: { storage: "store", schema: z.object({ $unavailable: z.boolean() }) } },
      /session "a" key "schema.\$unavailable": "\$unavailable" is a session handle method/,
    ],
    [
      "userField on a cookie session",
      { a: { storage: "cookie", schema, userField: "n" } },
      /session "a" key "userField": only store sessions/,
    ],
    [
      "header on a cookie session",
      { a: { storage: "cookie", schema, header: "x-a" } },
      /session "a" key "header"/,
    ],
    [
      "touchAfter not shorter than idle",
      { a: { storage: "cookie", schema, expiry: { idle: "5m", touchAfter: "5m" } } },
      /session "a" key "expiry.touchAfter": is 300s but idle is 300s/,
    ],
    ["non-integer version", { a: { storage: "cookie", schema, version: 1.5 } }, /session "a" key "version"/],
    [
      "a missing migration step",
      { a: { storage: "store", schema, version: 3, migrations: { 3: (x: unknown) => x } } },
      /session "a" key "migrations.2": version is 3, so a migration from version 1 to 2 is needed/,
    ],
    [
      "a migration beyond the version",
      {
        a: {
          storage: "store",
          schema,
          version: 2,
          migrations: { 2: (x: unknown) => x, 3: (x: unknown) => x },
        },
      },
      /session "a" key "migrations.3"/,
    ],
    [
      "userField not in the schema",
      { a: { storage: "store", schema, userField: "who" } },
      /key "userField": "who"/,
    ],
    [
      "a session name that is not an identifier",
      { "my-cart": { storage: "cookie", schema } },
      /"my-cart" must be an identifier/,
    ],
    [
      "a misspelled session key",
      { a: { storag: "cookie", schema } },
      /session "a": unknown key "storag" \(did you mean "storage"\?\)/,
    ],
    [
      "a misspelled expiry key",
      { a: { storage: "cookie", schema, expiry: { absolut: "7d" } } },
      /session "a": unknown key "expiry.absolut" \(did you mean "absolute"\?\)/,
    ],
    [
      "a misspelled messages key",
      { a: { storage: "store", schema, mesages: true } },
      /session "a": unknown key "mesages" \(did you mean "messages"\?\)/,
    ],
    [
      "a misspelled cookie key",
      { a: { storage: "cookie", schema, cookie: { samesite: "lax" } } },
      /session "a": unknown key "cookie.samesite" \(did you mean "sameSite"\?\)/,
    ],
    [
      "an unknown key with nothing close",
      { a: { storage: "cookie", schema, colour: "blue" } },
      /session "a": unknown key "colour"; known keys: storage, schema/,
    ],
    [
      "a flash definition that is not an object",
      { a: { storage: "cookie", schema, flash: [z.string()] } },
      /session "a" key "flash": must map channel names to zod schemas/,
    ],
    [
      "an importFrom that is not an importer",
      { a: { storage: "cookie", schema, importFrom: { cookieName: "old", map: () => ({}) } } },
      /session "a" key "importFrom": must be an importer from "satchel\/import", e\.g\. importFrom: ironSession\(\{ cookieName, password, map \}\)/,
    ],
    [
      "an importer reading the session's own cookie",
      { auth: { storage: "cookie", schema, importFrom: fromIron("auth") } },
      /session "auth" key "importFrom": reads the old cookie "auth", which is this session's own cookie; give one of them another cookie name/,
    ],
    [
      "an importer whose chunks are the session's own chunk cookies",
      { s: { storage: "store", schema, cookie: { name: "sid" }, importFrom: fromIron("sid.0") } },
      /reads the old cookie "sid.0", which is this session's own cookie/,
    ],
    [
      "an importer reading another session's cookie",
      {
        auth: { storage: "cookie", schema, importFrom: fromIron("old") },
        cart: { storage: "store", schema, cookie: { name: "old.2" } },
      },
      /session "auth" key "importFrom": reads the old cookie "old.2", which is the cookie of session "cart"/,
    ],
    [
      "an importer reading the name the __Host- prefix moved the session from",
      {
        a: { storage: "cookie", schema, cookie: { name: "s", hostPrefix: true }, importFrom: fromIron("s") },
      },
      /reads the old cookie "s", which is this session's own cookie/,
    ],
    [
      "a non-boolean persistent cookie option",
      { a: { storage: "cookie", schema, cookie: { persistent: "no" } } },
      /session "a" key "cookie.persistent": must be true or false/,
    ],
  ];
  for (const [what, defs, message] of cases) {
    it(`rejects ${what}`, () => {
      expect(define(defs)).toThrow(SatchelConfigError);
      expect(define(defs)).toThrow(message);
    });
  }

  it("refuses a misspelled runtime option, naming the likely one", () => {
    const wrong = { secret: "x".repeat(40) } as unknown as SessionsOptions;
    expect(() => defineSessions({ a: { storage: "cookie", schema } }, wrong)).toThrow(
      /defineSessions\(\) option "secret" is unknown \(did you mean "secrets"\?\)/,
    );
  });

  it("allows a per-session store and a browser-session cookie", () => {
    const config = defineSessions({
      a: { storage: "store", schema, store: "memory:" },
      b: { storage: "cookie", schema, cookie: { persistent: false } },
    });
    expect(config.sessions.b.cookie.persistent).toBe(false);
    expect(config.sessions.a.cookie.persistent).toBe(true);
  });

  it("carries importFrom on cookie and store sessions, as given", () => {
    const iron = fromIron("myapp_session");
    const express = expressSession({
      secret: "keyboard cat",
      store: "redis://127.0.0.1:6379",
      map: () => ({}),
    });
    const config = defineSessions({
      auth: { storage: "cookie", schema, importFrom: iron },
      cart: { storage: "store", schema, importFrom: express },
      prefs: { storage: "cookie", schema },
    });
    expect(config.sessions.auth.importFrom).toBe(iron);
    expect(config.sessions.cart.importFrom).toBe(express);
    expect(config.sessions.prefs.importFrom).toBeUndefined();
  });

  it("accepts the reference schema", async () => {
    const { default: config } = await import("../sessions.schema.ts");
    expect(Object.keys(config.sessions)).toEqual(expect.arrayContaining(["auth", "cart", "prefs"]));
    expect(config.sessions.cart.version).toBe(2);
  });
});
