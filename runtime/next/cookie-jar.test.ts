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
  it("reads request cookies and writes Set-Cookie with every attribute", () => {
    const request = fakeRequest({ cookie: "a=1; gone=" });
    const jar = nextCookieJar(request.store);
    expect(jar.get("a")).toBe("1");
    expect(jar.get("gone")).toBeUndefined();
    expect(jar.names()).toEqual(["a"]);
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

  it("deletes with Max-Age=0 and then reports the cookie absent", () => {
    const request = fakeRequest({ cookie: "a=1" });
    const jar = nextCookieJar(request.store);
    jar.set({ name: "a", value: "", attributes: { path: "/", maxAge: 0, expires: new Date(0) } });
    expect(jar.get("a")).toBeUndefined();
    expect(request.setCookies()[0]).toMatch(/^a=; .*Max-Age=0/);
  });
});

describe("bufferedCookieJar", () => {
  it("shows its own writes at once and puts them on a response only when flushed", () => {
    const request = fakeRequest({ cookie: "a=1; b=2" });
    const jar = bufferedCookieJar(request.store);
    jar.set({ name: "a", value: "", attributes: { maxAge: 0 } });
    jar.set({ name: "c", value: "3", attributes: { path: "/" } });
    expect(jar.get("a")).toBeUndefined();
    expect(jar.get("c")).toBe("3");
    expect(jar.names().sort()).toEqual(["b", "c"]);
    const target = fakeRequest();
    expect(target.setCookies()).toEqual([]);
    jar.flushTo(target.store);
    expect(target.setCookies().map((line) => line.split(";")[0])).toEqual(["a=", "c=3"]);
  });
});
