import { describe, expect, it } from "vitest";
import { SatchelError, SessionTooLargeError } from "../errors.ts";
import {
  byteLength,
  type ChunkProblems,
  COOKIE_BYTE_LIMIT,
  planCookieWrites,
  readChunkedCookie,
} from "./chunking.ts";
import { type CookieAttributes, type CookieWrite, memoryCookieJar, serializeCookie } from "./header.ts";

const attributes: CookieAttributes = {
  path: "/",
  httpOnly: true,
  secure: true,
  sameSite: "lax",
  maxAge: 1_209_600,
};
const token = (length: number, seed = "a") =>
  Array.from(
    { length },
    (_, i) =>
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[(i * 7 + seed.charCodeAt(0)) % 64],
  ).join("");

function apply(jar: ReturnType<typeof memoryCookieJar>, writes: CookieWrite[]) {
  for (const write of writes) jar.set(write);
  return writes;
}
const summary = (writes: CookieWrite[]) =>
  writes.map((w) => (w.attributes.maxAge === 0 ? `-${w.name}` : `+${w.name}`));

describe("planCookieWrites", () => {
  it("writes one cookie when the whole Set-Cookie fits in 4096 bytes", () => {
    const jar = memoryCookieJar();
    const writes = planCookieWrites({
      session: "auth",
      name: "auth",
      value: token(300),
      attributes,
      jar,
      maxChunks: 4,
    });
    expect(writes).toEqual([{ name: "auth", value: token(300), attributes }]);
  });

  it("measures the whole Set-Cookie string, attributes included", () => {
    const jar = memoryCookieJar();
    const overhead = serializeCookie("auth", "", attributes).length;
    const exact = token(COOKIE_BYTE_LIMIT - overhead);
    const fits = planCookieWrites({
      session: "auth",
      name: "auth",
      value: exact,
      attributes,
      jar,
      maxChunks: 4,
    });
    expect(summary(fits)).toEqual(["+auth"]);
    expect(serializeCookie("auth", exact, attributes).length).toBe(4096);
    const over = planCookieWrites({
      session: "auth",
      name: "auth",
      value: `${exact}A`,
      attributes,
      jar,
      maxChunks: 4,
    });
    expect(summary(over)).toEqual(["+auth.0", "+auth.1"]);
  });

  it("measures every attribute and still validates name and attributes when one cookie fits", () => {
    const jar = memoryCookieJar("other=1; auth=old");
    const full: CookieAttributes = {
      ...attributes,
      domain: "shop.example.com",
      expires: new Date(Date.UTC(2027, 0, 1)),
      partitioned: true,
      priority: "high",
    };
    const exact = token(
      COOKIE_BYTE_LIMIT - serializeCookie("__Host-auth", "", { ...full, domain: undefined }).length,
    );
    const plan = (value: string, attrs: CookieAttributes, name = "__Host-auth") =>
      summary(planCookieWrites({ session: "auth", name, value, attributes: attrs, jar, maxChunks: 4 }));
    const hostOnly = { ...full, domain: undefined };
    expect(serializeCookie("__Host-auth", exact, hostOnly).length).toBe(4096);
    expect(plan(exact, hostOnly)).toEqual(["+__Host-auth"]);
    expect(plan(`${exact}A`, hostOnly)).toEqual(["+__Host-auth.0", "+__Host-auth.1"]);
    const withDomain = token(COOKIE_BYTE_LIMIT - serializeCookie("auth", "", full).length);
    expect(plan(withDomain, full, "auth")).toEqual(["+auth"]);
    expect(plan(`${withDomain}A`, full, "auth")).toEqual(["+auth.0", "+auth.1", "-auth"]);
    // Checked as before, however short the value.
    expect(() => plan("abc", { ...attributes, sameSite: "bogus" as "lax" })).toThrow(/sameSite/);
    expect(() => plan("abc", full)).toThrow(/__Host-/);
    expect(() => plan("abc", attributes, "bad name")).toThrow(SatchelError);
  });

  it("checked (a token satchel sealed): plans exactly as unchecked at every size around the limit, with every attribute", () => {
    const widest: CookieAttributes = {
      ...attributes,
      maxAge: Number.MAX_VALUE,
      expires: new Date(0),
      domain: "sub.example.com",
      path: "/a/long/path/for/the/session",
      sameSite: "strict",
      partitioned: true,
      priority: "medium",
    };
    for (const attrs of [attributes, widest]) {
      const overhead = serializeCookie("auth", "", attrs).length;
      for (let length = 3600; length <= COOKIE_BYTE_LIMIT - overhead + 3; length++) {
        const jar = memoryCookieJar(`auth.0=2~x; auth.1=y`);
        const options = { session: "auth", name: "auth", value: token(length), attributes: attrs, jar };
        const plain = planCookieWrites(options);
        const checked = planCookieWrites({ ...options, checked: true });
        expect(checked.map(({ safe: _, ...write }) => write)).toEqual(plain);
        // What the checked plan writes carries `safe`: the jar does not check the token again.
        for (const write of checked) if (write.value !== "") expect(write.safe).toBe(true);
        for (const write of checked) jar.set(write);
        expect(readChunkedCookie(jar, "auth")).toBe(token(length));
      }
    }
  });

  it("splits into name.0..n-1, each within the limit, and reads back the same value", () => {
    const jar = memoryCookieJar();
    const value = token(10_000);
    const writes = apply(
      jar,
      planCookieWrites({ session: "cart", name: "cart", value, attributes, jar, maxChunks: 4 }),
    );
    expect(summary(writes)).toEqual(["+cart.0", "+cart.1", "+cart.2"]);
    for (const write of writes) {
      expect(byteLength(serializeCookie(write.name, write.value, write.attributes))).toBeLessThanOrEqual(
        4096,
      );
    }
    expect(readChunkedCookie(jar, "cart")).toBe(value);
  });

  it("grows and shrinks, expiring stale chunks and the plain cookie", () => {
    const jar = memoryCookieJar("other=1");
    const plan = (value: string | null) =>
      summary(
        apply(jar, planCookieWrites({ session: "cart", name: "cart", value, attributes, jar, maxChunks: 4 })),
      );

    expect(plan(token(100))).toEqual(["+cart"]);
    expect(plan(token(9_000, "b"))).toEqual(["+cart.0", "+cart.1", "+cart.2", "-cart"]);
    expect(jar.names().sort()).toEqual(["cart.0", "cart.1", "cart.2", "other"]);
    expect(readChunkedCookie(jar, "cart")).toBe(token(9_000, "b"));

    expect(plan(token(14_000, "c"))).toEqual(["+cart.0", "+cart.1", "+cart.2", "+cart.3"]);
    expect(readChunkedCookie(jar, "cart")).toBe(token(14_000, "c"));

    expect(plan(token(5_000, "d"))).toEqual(["+cart.0", "+cart.1", "-cart.2", "-cart.3"]);
    expect(jar.names().sort()).toEqual(["cart.0", "cart.1", "other"]);
    expect(readChunkedCookie(jar, "cart")).toBe(token(5_000, "d"));

    expect(plan(token(50, "e"))).toEqual(["+cart", "-cart.0", "-cart.1"]);
    expect(jar.names().sort()).toEqual(["cart", "other"]);
    expect(readChunkedCookie(jar, "cart")).toBe(token(50, "e"));

    expect(plan(null)).toEqual(["-cart"]);
    expect(jar.names()).toEqual(["other"]);
    expect(readChunkedCookie(jar, "cart")).toBeUndefined();
  });

  it("expires with the same path and domain, so the browser drops the right cookie", () => {
    const jar = memoryCookieJar("s.0=2~a; s.1=b");
    const attrs: CookieAttributes = { path: "/app", domain: "example.com", secure: true };
    const writes = planCookieWrites({
      session: "s",
      name: "s",
      value: null,
      attributes: attrs,
      jar,
      maxChunks: 4,
    });
    expect(writes.map((w) => serializeCookie(w.name, w.value, w.attributes))).toEqual([
      "s=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Domain=example.com; Path=/app; Secure",
      "s.0=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Domain=example.com; Path=/app; Secure",
      "s.1=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Domain=example.com; Path=/app; Secure",
    ]);
  });

  it("deleting always expires the plain cookie, and the chunks the jar has", () => {
    const jar = memoryCookieJar("x=1");
    expect(
      summary(planCookieWrites({ session: "s", name: "s", value: null, attributes, jar, maxChunks: 4 })),
    ).toEqual(["-s"]);
    const chunked = memoryCookieJar("s.0=2~a; s.1=b; x=1");
    expect(
      summary(
        planCookieWrites({ session: "s", name: "s", value: null, attributes, jar: chunked, maxChunks: 4 }),
      ),
    ).toEqual(["-s", "-s.0", "-s.1"]);
  });

  it("throws SessionTooLargeError naming the session and byte count past maxChunks", () => {
    const jar = memoryCookieJar();
    const value = token(20_000);
    try {
      planCookieWrites({ session: "cart", name: "cart", value, attributes, jar, maxChunks: 4 });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(SessionTooLargeError);
      const e = error as SessionTooLargeError;
      expect(e.session).toBe("cart");
      expect(e.limit).toBe(4 * 4096);
      expect(e.bytes).toBeGreaterThan(20_000);
      expect(e.bytes).toBeLessThan(20_500);
      expect(e.message).toMatch(/^satchel: session "cart" needs \d+ bytes/);
      expect(e.message).toContain('storage: "store"');
    }
    // The same value fits with a higher cap.
    expect(
      planCookieWrites({ session: "cart", name: "cart", value, attributes, jar, maxChunks: 6 }),
    ).toHaveLength(5);
    // maxChunks 1 means never chunk.
    expect(() =>
      planCookieWrites({ session: "a", name: "a", value: token(5000), attributes, jar, maxChunks: 1 }),
    ).toThrow(SessionTooLargeError);
  });

  it("defaults maxChunks to 4", () => {
    const jar = memoryCookieJar();
    expect(() =>
      planCookieWrites({ session: "c", name: "c", value: token(17_000), attributes, jar }),
    ).toThrow(SessionTooLargeError);
    expect(planCookieWrites({ session: "c", name: "c", value: token(15_000), attributes, jar })).toHaveLength(
      4,
    );
  });

  it("refuses values that would need escaping", () => {
    const jar = memoryCookieJar();
    expect(() =>
      planCookieWrites({ session: "c", name: "c", value: "a b", attributes, jar, maxChunks: 4 }),
    ).toThrow(SatchelError);
  });
});

describe("readChunkedCookie", () => {
  it("prefers the plain cookie", () => {
    expect(readChunkedCookie(memoryCookieJar("s=plain; s.0=1~x"), "s")).toBe("plain");
  });

  it("joins chunks in numeric order, whatever order they arrive in", () => {
    const parts = Array.from({ length: 12 }, (_, i) => `p${i}-`);
    const header = parts
      .map((p, i) => `s.${i}=${i === 0 ? "12~" : ""}${p}`)
      .reverse()
      .join("; ");
    expect(readChunkedCookie(memoryCookieJar(header), "s")).toBe(parts.join(""));
  });

  it("gives undefined when a chunk is missing", () => {
    expect(readChunkedCookie(memoryCookieJar("s.0=3~a; s.2=c"), "s")).toBeUndefined();
    expect(readChunkedCookie(memoryCookieJar("s.1=b"), "s")).toBeUndefined();
    expect(readChunkedCookie(memoryCookieJar("t=1"), "s")).toBeUndefined();
  });

  it("ignores look-alike names", () => {
    expect(readChunkedCookie(memoryCookieJar("s.0=2~a; s.01=x; s.x=y; ss.1=z; s.1=b"), "s")).toBe("ab");
  });
});

describe("only satchel's own chunks", () => {
  it("marks the first chunk with the chunk count", () => {
    const jar = memoryCookieJar();
    const value = token(10_000);
    const writes = planCookieWrites({ session: "s", name: "s", value, attributes, jar, maxChunks: 4 });
    expect(writes[0]?.value.startsWith(`${writes.length}~`)).toBe(true);
    expect(writes.map((w) => w.value).join("")).toBe(`${writes.length}~${value}`);
  });

  it("reads exactly the counted chunks and reports a foreign chunk-like cookie", () => {
    const problems: ChunkProblems = { foreign: [] };
    const jar = memoryCookieJar("s.0=2~a; s.1=b; s.7=theirs");
    expect(readChunkedCookie(jar, "s", problems)).toBe("ab");
    expect(problems).toEqual({ foreign: ["s.7"] });
  });

  it("ignores and reports chunk-like cookies satchel did not write", () => {
    const problems: ChunkProblems = { foreign: [] };
    expect(readChunkedCookie(memoryCookieJar("s.0=a; s.1=b"), "s", problems)).toBeUndefined();
    expect(readChunkedCookie(memoryCookieJar("s.0=99999~a"), "s", problems)).toBeUndefined();
    expect(problems).toEqual({ foreign: ["s.0", "s.1", "s.0"] });
  });

  it("names the first missing chunk of an incomplete value", () => {
    const problems: ChunkProblems = { foreign: [] };
    expect(readChunkedCookie(memoryCookieJar("s.0=3~a; s.2=c"), "s", problems)).toBeUndefined();
    expect(problems).toEqual({ foreign: [], missing: "s.1" });
  });

  it("never expires another application's chunks", () => {
    const plan = (jar: ReturnType<typeof memoryCookieJar>, value: string | null) =>
      summary(planCookieWrites({ session: "auth", name: "auth", value, attributes, jar, maxChunks: 4 }));
    expect(plan(memoryCookieJar("auth.0=theirs; auth.1=theirs"), token(100))).toEqual(["+auth"]);
    expect(plan(memoryCookieJar("auth.0=theirs; auth.1=theirs"), null)).toEqual(["-auth"]);
    // Ours are auth.0 and auth.1 (count 2); auth.7 belongs to someone else.
    const ours = memoryCookieJar("auth.0=2~a; auth.1=b; auth.7=theirs");
    expect(plan(ours, token(100))).toEqual(["+auth", "-auth.0", "-auth.1"]);
    expect(plan(memoryCookieJar("auth.0=2~a; auth.1=b; auth.7=theirs"), null)).toEqual([
      "-auth",
      "-auth.0",
      "-auth.1",
    ]);
  });
});
