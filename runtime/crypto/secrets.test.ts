import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { SatchelConfigError } from "../errors.ts";
import { generateSecret, resolveSecrets } from "./secrets.ts";

const LONG_A = "a".repeat(32);
const LONG_B = "b".repeat(40);

describe("resolveSecrets", () => {
  let saved: string | undefined;
  beforeEach(() => {
    saved = process.env.SESSION_SECRET;
    delete process.env.SESSION_SECRET;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.SESSION_SECRET;
    else process.env.SESSION_SECRET = saved;
  });

  it("reads SESSION_SECRET as a trimmed comma list, first first", () => {
    process.env.SESSION_SECRET = ` ${LONG_A} , ${LONG_B},`;
    expect(resolveSecrets()).toEqual([LONG_A, LONG_B]);
  });

  it("prefers secrets passed in code (string or list)", () => {
    process.env.SESSION_SECRET = LONG_B;
    expect(resolveSecrets(LONG_A)).toEqual([LONG_A]);
    expect(resolveSecrets(`${LONG_A},${LONG_B}`)).toEqual([LONG_A, LONG_B]);
    expect(resolveSecrets([LONG_B, ` ${LONG_A} `])).toEqual([LONG_B, LONG_A]);
  });

  it("explains how to set SESSION_SECRET when there is none", () => {
    for (const value of [undefined, "", " , "]) {
      if (value === undefined) delete process.env.SESSION_SECRET;
      else process.env.SESSION_SECRET = value;
      expect(() => resolveSecrets()).toThrow(SatchelConfigError);
      expect(() => resolveSecrets()).toThrow(
        /^satchel: no session secret\. Set SESSION_SECRET.*npx satchel secret/,
      );
    }
    expect(() => resolveSecrets([])).toThrow(/npx satchel secret/);
  });

  it("names a short secret by position, never by value", () => {
    process.env.SESSION_SECRET = `${LONG_A},tooshort-value`;
    let message = "";
    try {
      resolveSecrets();
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(
      /^satchel: SESSION_SECRET entry #2 is 14 characters long; secrets need at least 32\./,
    );
    expect(message).toContain("npx satchel secret");
    expect(message).not.toContain("tooshort-value");
    expect(() => resolveSecrets(["x".repeat(31)])).toThrow(/secret #1 is 31 characters/);
  });
});

describe("resolveSecrets refuses weak secrets (issue 12)", () => {
  let savedEnv: string | undefined;
  beforeEach(() => {
    savedEnv = process.env.NODE_ENV;
  });
  afterEach(() => {
    process.env.NODE_ENV = savedEnv;
  });

  const weak = ["a".repeat(32), "ab".repeat(20), "0123456".repeat(5), "password".repeat(4)];

  it("refuses in production a repeated character or very low variety, pointing to satchel secret", () => {
    process.env.NODE_ENV = "production";
    for (const secret of weak) {
      expect(() => resolveSecrets(secret), secret).toThrow(SatchelConfigError);
      expect(() => resolveSecrets(secret), secret).toThrow(
        /^satchel: secret #1 is too predictable.*npx satchel secret/,
      );
    }
    expect(() => resolveSecrets([generateSecret(), "z".repeat(40)])).toThrow(/secret #2 is too predictable/);
  });

  it("accepts generated, hex and passphrase-like secrets in production", () => {
    process.env.NODE_ENV = "production";
    const hex = Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(32))).toString("hex");
    for (const secret of [generateSecret(), hex, "correct horse battery staple very long"]) {
      expect(resolveSecrets(secret), secret).toEqual([secret]);
    }
  });

  it("only warns in development, never naming the value", () => {
    process.env.NODE_ENV = "development";
    const warnings: string[] = [];
    const spy = vi.spyOn(console, "warn").mockImplementation((m: string) => void warnings.push(m));
    try {
      expect(resolveSecrets("q".repeat(32))).toEqual(["q".repeat(32)]);
    } finally {
      spy.mockRestore();
    }
    expect(warnings.join("\n")).toMatch(/^satchel: secret #1 is too predictable/);
    expect(warnings.join("\n")).not.toContain("q".repeat(32));
  });
});

describe("generateSecret", () => {
  it("gives 32 random bytes as base64url, accepted by resolveSecrets", () => {
    const a = generateSecret();
    const b = generateSecret();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a, "base64url")).toHaveLength(32);
    expect(a).not.toBe(b);
    expect(resolveSecrets(a)).toEqual([a]);
  });
});
