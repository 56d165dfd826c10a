/** The `tokens` option of `defineSessions()`: resolved at import time, every mistake named. */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defineSessions, type SessionsOptions } from "./define.ts";
import { SatchelConfigError } from "./errors.ts";

const sessions = { auth: { storage: "cookie" as const, schema: z.object({ n: z.number().default(0) }) } };
const schema = z.object({ userId: z.string() });

function define(tokens: unknown) {
  return () => defineSessions(sessions, { tokens } as SessionsOptions);
}

describe("defineSessions({ ... }, { tokens })", () => {
  it("resolves each kind: ttl in seconds, singleUse false unless set, the definition kept", () => {
    const passwordReset = { schema, ttl: "15m" as const, singleUse: true };
    const config = defineSessions(sessions, { tokens: { passwordReset, magicLink: { schema, ttl: 90 } } });
    expect(config.tokens?.passwordReset).toEqual({
      name: "passwordReset",
      definition: passwordReset,
      schema,
      ttl: 900,
      singleUse: true,
    });
    expect(config.tokens?.magicLink).toMatchObject({ ttl: 90, singleUse: false });
    expect(Object.isFrozen(config.tokens)).toBe(true);
  });

  it("has no tokens when the option is not given", () => {
    expect(defineSessions(sessions).tokens).toEqual({});
    expect(defineSessions(sessions, {}).tokens).toEqual({});
  });

  const cases: [string, unknown, RegExp][] = [
    ["not an object", [], /option "tokens" must map token names to \{ schema, ttl, singleUse\? \}/],
    [
      "a name that is no identifier",
      { "password-reset": { schema, ttl: "1h" } },
      /"tokens.password-reset" needs a name that is an identifier/,
    ],
    ["a definition that is no object", { reset: "15m" }, /"tokens.reset" must be an object like/],
    [
      "a misspelled key",
      { reset: { schema, ttl: "1h", singleuse: true } },
      /"tokens.reset.singleuse" is unknown \(did you mean "singleUse"\?\)/,
    ],
    [
      "an unknown key",
      { reset: { schema, ttl: "1h", store: "memory:" } },
      /"tokens.reset.store" is unknown; known keys: schema, ttl, singleUse/,
    ],
    [
      "no zod schema",
      { reset: { schema: { userId: "string" }, ttl: "1h" } },
      /"tokens.reset.schema" needs a zod schema/,
    ],
    ["no ttl", { reset: { schema } }, /"tokens.reset.ttl" is required: how long a token stays valid/],
    [
      "a ttl not understood",
      { reset: { schema, ttl: "15 minutes" } },
      /option "tokens.reset.ttl" has the duration "15 minutes", which is not understood/,
    ],
    ["a ttl of zero", { reset: { schema, ttl: 0 } }, /"tokens.reset.ttl" must be at least one second/],
    [
      "singleUse not a boolean",
      { reset: { schema, ttl: "1h", singleUse: "yes" } },
      /"tokens.reset.singleUse" must be true or false/,
    ],
  ];
  it.each(cases)("refuses %s with a satchel: error naming the token and key", (_, tokens, message) => {
    expect(define(tokens)).toThrow(SatchelConfigError);
    expect(define(tokens)).toThrow(/^satchel: defineSessions\(\) option /);
    expect(define(tokens)).toThrow(message);
  });

  it("suggests the option name for a misspelled tokens key", () => {
    expect(() => defineSessions(sessions, { token: {} } as SessionsOptions)).toThrow(
      /option "token" is unknown \(did you mean "tokens"\?\)/,
    );
  });
});
