import { describe, expect, it } from "vitest";
import { bufferedCookieJar, isReadOnlyCookieStore, nextCookieJar } from "./cookie-jar.ts";
import { fakeRequest } from "./test-support/fake-request.ts";

describe("isReadOnlyCookieStore", () => {
  it("tells Next's sealed Server Component cookies from writable action/route cookies", () => {
    expect(isReadOnlyCookieStore(fakeRequest({ readOnly: true }).store)).toBe(true);
    expect(isReadOnlyCookieStore(fakeRequest({ readOnly: false }).store)).toBe(false);
  });
});

describe("nextCookieJar", () => {
  it("reads the raw header with satchel's parser and writes Set-Cookie with every attribute", () => {
    const header = "a=1; empty=; a=2";
    const request = fakeRequest({ cookie: header });
    const jar = nextCookieJar(request.store, header);
    expect(jar.get("a")).toBe("1"); // Next's cookies() says "2"
    expect(jar.get("empty")).toBe(""); // as the Fetch adapter reads it
    expect(jar.names()).toEqual(["a", "empty"]);
    jar.set({
      name: "s",
      value: "token",
      attributes: { path: "/", httpOnly: true, secure: true, sameSite: "lax", maxAge: 60 },
    });
    expect(jar.get("s")).toBe("token");
    const [line] = request.setCookies();
    expect(line).toMatch(/^s=token; /);
    expect(line).toMatch(/Path=\//);
    expect(line).toMatch(/Max-Age=60/);
    expect(line).toMatch(/HttpOnly/);
    expect(line).toMatch(/Secure/);
    expect(line).toMatch(/SameSite=lax/i);
  });

  // Issue 22 item 6: writes through cookies() (server actions) get the checks of satchel's serializer.
  it("refuses what browsers drop and caps Max-Age at 400 days, as the Fetch adapter's jar does", () => {
    const request = fakeRequest();
    const jar = nextCookieJar(request.store, null);
    expect(() => jar.set({ name: "t", value: "v", attributes: { sameSite: "none" } })).toThrow(
      /SameSite=None without Secure/,
    );
    expect(() => jar.set({ name: "t", value: "v", attributes: { maxAge: 1.5 } })).toThrow(/whole number/);
    expect(() => jar.set({ name: "t", value: "v", attributes: { path: "/a<b" } })).toThrow(/option path/);
    jar.set({ name: "t", value: "v", attributes: { maxAge: 10 * 365 * 86_400 } });
    expect(request.setCookies()).toHaveLength(1);
    expect(request.setCookies()[0]).toMatch(/Max-Age=34560000/);
  });

  it("deletes with Max-Age=0 and then reports the cookie absent", () => {
    const request = fakeRequest({ cookie: "a=1" });
    const jar = nextCookieJar(request.store, "a=1");
    jar.set({ name: "a", value: "", attributes: { path: "/", maxAge: 0, expires: new Date(0) } });
    expect(jar.get("a")).toBeUndefined();
    expect(request.setCookies()[0]).toMatch(/^a=; .*Max-Age=0/);
  });

  it("shows a write Next merged into cookies() earlier in the request (an action's re-render)", () => {
    const request = fakeRequest({ cookie: "a=1; a=2; b=3" });
    request.store.set("a", "new", {});
    request.store.delete?.("b");
    const jar = nextCookieJar(request.store, "a=1; a=2; b=3");
    expect(jar.get("a")).toBe("new");
    expect(jar.get("b")).toBeUndefined();
    expect(jar.names()).toEqual(["a"]);
  });
});

describe("bufferedCookieJar", () => {
  it("shows its own writes at once and puts them on a response only when flushed", () => {
    const jar = bufferedCookieJar("a=1; b=2; b=3");
    jar.set({ name: "a", value: "", attributes: { maxAge: 0 } });
    jar.set({ name: "c", value: "3", attributes: { path: "/" } });
    expect(jar.get("a")).toBeUndefined();
    expect(jar.get("c")).toBe("3");
    expect(jar.names().sort()).toEqual(["b", "c"]);
    expect(jar.get("b")).toBe("2");
    const target = fakeRequest();
    expect(target.setCookies()).toEqual([]);
    jar.flushTo(target.store);
    expect(target.setCookies().map((line) => line.split(";")[0])).toEqual(["a=", "c=3"]);
  });

  it("serializes its writes as Set-Cookie lines, last write per name, in the order of last writes", () => {
    const jar = bufferedCookieJar(null);
    jar.set({ name: "a", value: "1", attributes: { path: "/" } });
    jar.set({
      name: "b",
      value: "x y",
      attributes: { path: "/", httpOnly: true, sameSite: "lax", maxAge: 60 },
    });
    jar.set({ name: "a", value: "2", attributes: { path: "/" } });
    expect(jar.hasPending()).toBe(true);
    expect(jar.setCookieLines()).toEqual([
      "b=x%20y; Max-Age=60; Path=/; HttpOnly; SameSite=Lax",
      "a=2; Path=/",
    ]);
    expect(bufferedCookieJar("a=1").hasPending()).toBe(false);
  });

  it("refuses an invalid write where it is made, as the Fetch adapter's jar does", () => {
    const jar = bufferedCookieJar("a=1");
    expect(() => jar.set({ name: "bad name", value: "1", attributes: {} })).toThrow(
      /^satchel: .*not a valid cookie name/,
    );
    expect(() => jar.set({ name: "__Host-s", value: "1", attributes: { path: "/" } })).toThrow(
      /__Host- prefix/,
    );
    expect(jar.hasPending()).toBe(false);
    expect(jar.get("a")).toBe("1");
  });

  it("reads a hostile header the way parseCookies does: first value wins, bounded, never throws", () => {
    const jar = bufferedCookieJar(
      `s=first; s=second; bad%=x; q="quoted"; e=%E0%A4%A; ${"x".repeat(70_000)}=1`,
    );
    expect(jar.get("s")).toBe("first");
    expect(jar.get("q")).toBe("quoted");
    expect(jar.get("e")).toBe("%E0%A4%A");
    expect(jar.names()).not.toContain("x".repeat(70_000));
  });
});
