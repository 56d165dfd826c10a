import { describe, expect, it } from "vitest";
import { SessionValidationError } from "../errors.ts";
import { CookieClient, testSatchel } from "../test-support/harness.ts";
import { type TestTypes, testConfig } from "../test-support/schema.ts";
import { FlashState } from "./flash.ts";

describe("flash channels", () => {
  it("add is for the next request, now for this one, read consumes and peek does not", async () => {
    const { satchel } = testSatchel<TestTypes>(testConfig);
    const seen: Record<string, unknown> = {};
    const client = new CookieClient(
      satchel.handle(async (req, sessions) => {
        const auth = await sessions.get("auth");
        const step = new URL(req.url).pathname;
        if (step === "/1") {
          auth.flash.notice.add("saved");
          auth.flash.notice.now("this request");
          seen["1.peek"] = auth.flash.notice.peek();
          seen["1.read"] = auth.flash.notice.read();
        } else if (step === "/2") {
          auth.flash.error.add({ message: "bad", field: "email" });
          seen["2.peek"] = auth.flash.notice.peek();
          seen["2.peekAgain"] = auth.flash.notice.peek();
        } else if (step === "/3") {
          seen["3.notice"] = auth.flash.notice.read();
          seen["3.error"] = auth.flash.error.read();
        } else {
          seen["4.notice"] = auth.flash.notice.read();
          seen["4.error"] = auth.flash.error.peek();
        }
        return new Response("ok");
      }),
    );
    for (const step of ["/1", "/2", "/3", "/4"]) await client.fetch(step);
    expect(seen).toEqual({
      "1.peek": ["this request"],
      "1.read": ["this request"],
      "2.peek": ["saved"],
      "2.peekAgain": ["saved"],
      "3.notice": ["saved"],
      "3.error": [{ message: "bad", field: "email" }],
      "4.notice": [],
      "4.error": [],
    });
  });

  it("validates payloads with the channel's zod schema when they are added", async () => {
    const { satchel } = testSatchel<TestTypes>(testConfig);
    const auth = await satchel.fromRequest(new Request("http://x/")).get("auth");
    const bad = () => auth.flash.error.add({ message: 5 } as unknown as { message: string });
    expect(bad).toThrow(SessionValidationError);
    expect(bad).toThrow(/field "flash.error.message"/);
  });

  it("a flash read writes the session (the value is gone), a peek does not", async () => {
    const { satchel } = testSatchel<TestTypes>(testConfig);
    const client = new CookieClient(
      satchel.handle(async (req, sessions) => {
        const auth = await sessions.get("auth");
        const mode = new URL(req.url).pathname;
        if (mode === "/add") auth.flash.notice.add("hi");
        if (mode === "/peek") auth.flash.notice.peek();
        if (mode === "/read") auth.flash.notice.read();
        return new Response("ok");
      }),
    );
    await client.fetch("/add");
    await client.fetch("/peek");
    expect(client.lastSetCookie).toEqual([]);
    await client.fetch("/read");
    expect(client.lastSetCookie).toHaveLength(1);
  });

  it("flash of a store session lives in the store record", async () => {
    const { satchel } = testSatchel<TestTypes>(testConfig);
    const out: string[][] = [];
    const client = new CookieClient(
      satchel.handle(async (req, sessions) => {
        const cart = await sessions.get("cart");
        if (req.method === "POST") cart.flash.added.add("apple");
        else out.push(cart.flash.added.read());
        return new Response("ok");
      }),
    );
    await client.fetch("/", { method: "POST" });
    await client.fetch("/");
    await client.fetch("/");
    expect(out).toEqual([["apple"], []]);
  });
});

describe("flash state without values", () => {
  const schemas = testConfig.sessions.auth.flash;
  const allowed = () => {};
  const writable = () => false;

  it("starts, loads and clears with nothing stored, and values added to one state never show in another", () => {
    const a = new FlashState("auth", schemas);
    const b = new FlashState("auth", schemas);
    a.load(undefined);
    b.load({});
    expect(a.persisted()).toBeUndefined();
    const channels = a.channels(allowed, writable);
    expect(channels.notice?.read()).toEqual([]);
    channels.notice?.add("for next");
    channels.notice?.now("for this");
    expect(a.persisted()).toEqual({ notice: ["for next"] });
    expect(b.persisted()).toBeUndefined();
    expect(b.channels(allowed, writable).notice?.peek()).toEqual([]);
    b.load({ notice: ["stored"], error: "not a list" });
    expect(b.persisted()).toEqual({ notice: ["stored"] });
    expect(a.persisted()).toEqual({ notice: ["for next"] });
    a.clear();
    expect(a.persisted()).toBeUndefined();
    expect(channels.notice?.peek()).toEqual([]);
    channels.error?.add({ message: "again" });
    expect(a.persisted()).toEqual({ error: [{ message: "again" }] });
  });
});
