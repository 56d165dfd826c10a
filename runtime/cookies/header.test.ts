import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type CookieAttributes, memoryCookieJar, parseCookies, serializeCookie } from "./header.ts";

describe("parseCookies", () => {
  it("reads name=value pairs, trimming spaces and one pair of quotes", () => {
    const cookies = parseCookies(' a=1;b = two ; c="quoted" ;d=;e==x=');
    expect(Object.fromEntries(cookies)).toEqual({ a: "1", b: "two", c: "quoted", d: "", e: "=x=" });
  });

  it("keeps the first occurrence of a name", () => {
    expect(parseCookies("s=first; s=second").get("s")).toBe("first");
  });

  it("decodes %-escapes when valid and keeps them as sent when not", () => {
    const cookies = parseCookies("a=hello%20world; b=100%; c=%E0%A4%A; d=%F0%9F%8E%92");
    expect(cookies.get("a")).toBe("hello world");
    expect(cookies.get("b")).toBe("100%");
    expect(cookies.get("c")).toBe("%E0%A4%A");
    expect(cookies.get("d")).toBe("🎒");
  });

  it("skips pairs without a name or =, and names with control characters", () => {
    expect([...parseCookies("novalue; =x; ok=1; bad\u0001=2; ;;")]).toEqual([["ok", "1"]]);
  });

  it("is not fooled by prototype names", () => {
    const cookies = parseCookies("__proto__=1; constructor=2; toString=3");
    expect(cookies.get("__proto__")).toBe("1");
    expect(({} as Record<string, unknown>).toString).toBe(Object.prototype.toString);
  });

  it("is bounded in header length and cookie count", () => {
    const many = Array.from({ length: 2000 }, (_, i) => `c${i}=${i}`).join("; ");
    expect(parseCookies(many).size).toBe(512);
    expect(parseCookies(many, { maxCookies: 10 }).size).toBe(10);
    const huge = `a=1; b=${"x".repeat(100_000)}; c=3`;
    const parsed = parseCookies(huge);
    expect(parsed.get("a")).toBe("1");
    // The pair cut in half by the limit is dropped, not read truncated.
    expect(parsed.has("b")).toBe(false);
    expect(parsed.has("c")).toBe(false);
    expect(parseCookies(`b=${"x".repeat(100_000)}`).size).toBe(0);
  });

  it("never throws on garbage, for any string", () => {
    for (const junk of [
      null,
      undefined,
      "",
      ";",
      "=",
      "==;==",
      "%",
      "a=%",
      "a=\u0000",
      "\uD800=\uDFFF",
      42 as unknown as string,
    ]) {
      expect(() => parseCookies(junk)).not.toThrow();
    }
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom(...'ab=; %"\u0000\u00e9\ud800,'), maxLength: 120 }),
        (header) => {
          const cookies = parseCookies(header);
          for (const [name, value] of cookies) {
            expect(typeof name).toBe("string");
            expect(typeof value).toBe("string");
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it("reads back whatever serializeCookie wrote", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 100 }), (value) => {
        // Lone surrogates are not representable on the wire; the serializer refuses them.
        if (
          /[\uD800-\uDFFF]/.test(value) &&
          !/^(?:[^\uD800-\uDFFF]|[\uD800-\uDBFF][\uDC00-\uDFFF])*$/.test(value)
        )
          return;
        const header = serializeCookie("n", value).split(";")[0] as string;
        expect(parseCookies(header).get("n")).toBe(value);
      }),
      { numRuns: 500 },
    );
  });
});

describe("serializeCookie", () => {
  it("writes every attribute", () => {
    expect(
      serializeCookie("auth", "v", {
        maxAge: 3600,
        expires: new Date(Date.UTC(2030, 0, 2, 3, 4, 5)),
        domain: "example.com",
        path: "/app",
        secure: true,
        httpOnly: true,
        sameSite: "lax",
        partitioned: true,
        priority: "high",
      }),
    ).toBe(
      "auth=v; Max-Age=3600; Expires=Wed, 02 Jan 2030 03:04:05 GMT; Domain=example.com; Path=/app; " +
        "Secure; HttpOnly; SameSite=Lax; Partitioned; Priority=High",
    );
    expect(serializeCookie("a", "b", { sameSite: "strict", priority: "low" })).toBe(
      "a=b; SameSite=Strict; Priority=Low",
    );
    expect(serializeCookie("a", "b", { sameSite: "none", secure: true })).toBe("a=b; Secure; SameSite=None");
    expect(serializeCookie("a", "b", { secure: false, httpOnly: false, maxAge: undefined })).toBe("a=b");
  });

  it("sends safe values as is and %-encodes the rest", () => {
    expect(serializeCookie("a", "abc-_.~!*'()XYZ09")).toBe("a=abc-_.~!*'()XYZ09");
    expect(serializeCookie("a", 'a b;c,d"e\\f%')).toBe("a=a%20b%3Bc%2Cd%22e%5Cf%25");
    expect(() => serializeCookie("a", "\uD800")).toThrow(/^satchel: .*surrogate/);
  });

  it("refuses invalid names with a satchel error", () => {
    for (const name of ["", "a b", "a;b", "a=b", "ä", "a\u0000", "(x)", "a,b"]) {
      expect(() => serializeCookie(name, "v"), JSON.stringify(name)).toThrow(
        /^satchel: .*not a valid cookie name/,
      );
    }
  });

  it("refuses bad domains, paths, dates and Max-Age", () => {
    expect(() => serializeCookie("a", "v", { domain: "exa mple.com" })).toThrow(/domain/);
    expect(() => serializeCookie("a", "v", { domain: "a.com; Secure" })).toThrow(/domain/);
    expect(() => serializeCookie("a", "v", { path: "/x;Domain=evil" })).toThrow(/path/);
    expect(() => serializeCookie("a", "v", { expires: new Date(Number.NaN) })).toThrow(/expires/);
    expect(() => serializeCookie("a", "v", { maxAge: Number.POSITIVE_INFINITY })).toThrow(/maxAge/);
    expect(serializeCookie("a", "v", { domain: ".sub.example.com" })).toBe("a=v; Domain=.sub.example.com");
  });

  it("enforces the __Host- and __Secure- prefix rules", () => {
    expect(serializeCookie("__Host-auth", "v", { secure: true, path: "/" })).toBe(
      "__Host-auth=v; Path=/; Secure",
    );
    expect(() => serializeCookie("__Host-auth", "v", { secure: true, path: "/x" })).toThrow(/__Host-/);
    expect(() => serializeCookie("__Host-auth", "v", { secure: true, path: "/", domain: "a.com" })).toThrow(
      /__Host-/,
    );
    expect(() => serializeCookie("__Host-auth", "v", { path: "/" })).toThrow(/__Host-/);
    expect(() => serializeCookie("__Secure-x", "v", {})).toThrow(/__Secure-/);
  });

  it("checks a cookie written again as the first time: one attribute changed is checked anew", () => {
    const attributes = { path: "/", secure: true, httpOnly: true, sameSite: "lax" as const };
    const ok = "__Host-s=v; Max-Age=60; Path=/; Secure; HttpOnly; SameSite=Lax";
    expect(serializeCookie("__Host-s", "v", { ...attributes, maxAge: 60 })).toBe(ok);
    expect(serializeCookie("__Host-s", "v", { ...attributes, maxAge: 60 })).toBe(ok);
    expect(serializeCookie("__Host-s", "w v", { ...attributes, maxAge: 0, expires: new Date(0) })).toBe(
      "__Host-s=w%20v; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; Secure; HttpOnly; SameSite=Lax",
    );
    expect(() => serializeCookie("__Host-s", "v", { ...attributes, maxAge: 1.5 })).toThrow(/maxAge/);
    expect(() => serializeCookie("__Host-s", "v", { ...attributes, expires: new Date(Number.NaN) })).toThrow(
      /expires/,
    );
    expect(() => serializeCookie("__Host-s", "v", { ...attributes, secure: false })).toThrow(/__Host-/);
    expect(() => serializeCookie("__Host-s", "v", { ...attributes, path: "/x" })).toThrow(/__Host-/);
    expect(() => serializeCookie("__Host-s", "v", { ...attributes, priority: "urgent" as "low" })).toThrow(
      /priority/,
    );
    expect(() => serializeCookie("__Host-s ", "v", attributes)).toThrow(/not a valid cookie name/);
    expect(serializeCookie("__Host-s", "v", { ...attributes, maxAge: 60 })).toBe(ok);
  });

  it("keeps what it checked per cookie name: cookies written in turn each keep their own attributes and checks", () => {
    const lax = { path: "/", httpOnly: true, sameSite: "lax" as const };
    const strict = { path: "/app", secure: true, sameSite: "strict" as const };
    for (let round = 0; round < 3; round++) {
      expect(serializeCookie("turn-a", "1", { ...lax, maxAge: 5 })).toBe(
        "turn-a=1; Max-Age=5; Path=/; HttpOnly; SameSite=Lax",
      );
      expect(serializeCookie("turn-b", "2", strict)).toBe("turn-b=2; Path=/app; Secure; SameSite=Strict");
      expect(serializeCookie("turn-c", "x y", lax)).toBe("turn-c=x%20y; Path=/; HttpOnly; SameSite=Lax");
    }
    // A name checked before, written with other attributes: those are checked, and the text follows them.
    expect(() => serializeCookie("turn-a", "1", { ...lax, sameSite: "none" })).toThrow(/without Secure/);
    expect(() => serializeCookie("turn-b", "2", { ...strict, path: "/x;y" })).toThrow(/option path/);
    expect(serializeCookie("turn-b", "2", { ...strict, path: "/other" })).toBe(
      "turn-b=2; Path=/other; Secure; SameSite=Strict",
    );
    expect(serializeCookie("turn-a", "1", lax)).toBe("turn-a=1; Path=/; HttpOnly; SameSite=Lax");
  });
});

describe("serializeCookie checks its options at run time (issue 12)", () => {
  // Options often come from untyped config (JSON, env), so types alone do not protect the header.
  const bad = (attributes: unknown) => () => serializeCookie("auth", "v", attributes as CookieAttributes);

  it("accepts jshttp/cookie's spellings of SameSite and Priority", () => {
    expect(bad({ sameSite: true })()).toBe("auth=v; SameSite=Strict");
    expect(bad({ sameSite: "Lax" })()).toBe("auth=v; SameSite=Lax");
    expect(bad({ sameSite: "STRICT" })()).toBe("auth=v; SameSite=Strict");
    expect(bad({ sameSite: "None", secure: true })()).toBe("auth=v; Secure; SameSite=None");
    expect(bad({ sameSite: false })()).toBe("auth=v");
    expect(bad({ priority: "High" })()).toBe("auth=v; Priority=High");
    expect(bad({ priority: "MEDIUM" })()).toBe("auth=v; Priority=Medium");
  });

  it("refuses unknown values naming the cookie and the option", () => {
    expect(bad({ sameSite: "foo" })).toThrow(/^satchel: cookie "auth" option sameSite/);
    expect(bad({ sameSite: 1 })).toThrow(/^satchel: cookie "auth" option sameSite/);
    expect(bad({ priority: "urgent" })).toThrow(/^satchel: cookie "auth" option priority/);
    expect(bad({ secure: "yes" })).toThrow(/^satchel: cookie "auth" option secure/);
    expect(bad({ httpOnly: 1 })).toThrow(/^satchel: cookie "auth" option httpOnly/);
    expect(bad({ partitioned: "true" })).toThrow(/^satchel: cookie "auth" option partitioned/);
    expect(bad({ maxAge: "60" })).toThrow(/^satchel: cookie "auth" option maxAge/);
    expect(bad({ domain: 5 })).toThrow(/^satchel: cookie "auth" option domain/);
    expect(bad({ path: null })).toThrow(/^satchel: cookie "auth" option path/);
  });

  it("refuses non-ASCII paths and domains when set", () => {
    expect(bad({ path: "/caf\u00e9" })).toThrow(/^satchel: cookie "auth" option path/);
    expect(bad({ domain: "b\u00fccher.example" })).toThrow(/^satchel: cookie "auth" option domain/);
  });

  it("matches the __Host- and __Secure- prefixes in any case, as browsers do", () => {
    expect(() => serializeCookie("__host-auth", "v", { path: "/" })).toThrow(/__Host-/);
    expect(() => serializeCookie("__HOST-auth", "v", { secure: true, path: "/x" })).toThrow(/__Host-/);
    expect(() => serializeCookie("__secure-x", "v", {})).toThrow(/__Secure-/);
  });
});

describe("parseCookies trims only spaces and tabs (issue 12)", () => {
  it("keeps a trailing U+00A0 (a latin1 view of an à) and other Unicode spaces", () => {
    expect(parseCookies("n=voil\u00c3\u00a0; m=\u2003x").get("n")).toBe("voil\u00c3\u00a0");
    expect(parseCookies("n=voil\u00c3\u00a0; m=\u2003x").get("m")).toBe("\u2003x");
    expect(parseCookies("\t a \t=\t 1 \t;b=2").get("a")).toBe("1");
  });
});

describe("memoryCookieJar", () => {
  it("starts from a header or a map", () => {
    expect(memoryCookieJar("a=1; b=2").names()).toEqual(["a", "b"]);
    expect(memoryCookieJar(new Map([["x", "y"]])).get("x")).toBe("y");
    expect(memoryCookieJar().names()).toEqual([]);
  });

  it("reflects writes and deletions in get and names", () => {
    const jar = memoryCookieJar("a=1; b=2");
    jar.set({ name: "c", value: "3", attributes: { path: "/" } });
    jar.set({ name: "a", value: "", attributes: { path: "/", maxAge: 0 } });
    jar.set({ name: "b", value: "", attributes: { expires: new Date(0) } });
    expect(jar.get("a")).toBeUndefined();
    expect(jar.get("c")).toBe("3");
    expect(jar.names()).toEqual(["c"]);
  });

  it("records writes and gives one Set-Cookie per cookie, the last write winning", () => {
    const jar = memoryCookieJar();
    jar.set({ name: "a", value: "1", attributes: { path: "/" } });
    jar.set({ name: "b", value: "1", attributes: { path: "/" } });
    jar.set({ name: "a", value: "2", attributes: { path: "/", httpOnly: true } });
    jar.set({ name: "a", value: "x", attributes: { path: "/other" } });
    expect(jar.writes()).toHaveLength(4);
    expect(jar.setCookieHeaders()).toEqual(["b=1; Path=/", "a=2; Path=/; HttpOnly", "a=x; Path=/other"]);
  });

  it("gives every line in order when each write is of its own cookie, and the last one per cookie past a few writes", () => {
    const jar = memoryCookieJar();
    jar.set({ name: "s1", value: "1", attributes: { path: "/" } });
    jar.set({ name: "s2", value: "2", attributes: { path: "/" } });
    jar.set({ name: "s1", value: "3", attributes: { path: "/", domain: "example.com" } });
    expect(jar.setCookieHeaders()).toEqual([
      "s1=1; Path=/",
      "s2=2; Path=/",
      "s1=3; Domain=example.com; Path=/",
    ]);
    const many = memoryCookieJar();
    for (let i = 0; i < 12; i++) many.set({ name: `c${i % 10}`, value: String(i), attributes: {} });
    expect(many.setCookieHeaders()).toEqual([
      ...["c2=2", "c3=3", "c4=4", "c5=5", "c6=6", "c7=7", "c8=8", "c9=9"],
      ...["c0=10", "c1=11"],
    ]);
  });

  it("keeps a session token's write (safe) as recorded, and still hands out copies of it", () => {
    const jar = memoryCookieJar();
    jar.set({ name: "s", value: "token", attributes: { path: "/", maxAge: 60 }, safe: true });
    const [write] = jar.writes();
    (write as { attributes: { path: string } }).attributes.path = "/tampered";
    expect(jar.writes()).toEqual([{ name: "s", value: "token", attributes: { path: "/", maxAge: 60 } }]);
    expect(jar.setCookieHeaders()).toEqual(["s=token; Max-Age=60; Path=/"]);
  });

  it("refuses an invalid write where it is made", () => {
    const jar = memoryCookieJar();
    expect(() => jar.set({ name: "bad name", value: "v", attributes: {} })).toThrow(/^satchel: /);
    expect(jar.writes()).toEqual([]);
  });

  it("returns copies, so callers cannot rewrite history", () => {
    const jar = memoryCookieJar();
    const attributes = { path: "/" };
    jar.set({ name: "a", value: "1", attributes });
    attributes.path = "/changed";
    const [write] = jar.writes();
    (write as { value: string }).value = "tampered";
    expect(jar.writes()[0]).toEqual({ name: "a", value: "1", attributes: { path: "/" } });
  });
});
