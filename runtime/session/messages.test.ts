import { describe, expect, it } from "vitest";
import { CookieClient, testSatchel } from "../test-support/harness.ts";
import { type TestTypes, testConfig } from "../test-support/schema.ts";
import { MessageState } from "./messages.ts";

describe("leveled messages", () => {
  it("keeps messages with level, body, title until read, and drops expired ones", async () => {
    const { satchel, clock } = testSatchel<TestTypes>(testConfig);
    const read: unknown[] = [];
    const client = new CookieClient(
      satchel.handle(async (req, sessions) => {
        const cart = await sessions.get("cart");
        const path = new URL(req.url).pathname;
        if (path === "/add") {
          cart.messages.success("Added to cart", { title: "Cart" });
          cart.messages.warning("Low stock", { life: 60 });
          cart.messages.error("Card declined");
          cart.messages.info("Short-lived", { life: 10 });
        } else if (path === "/peek") {
          read.push(cart.messages.peek().map((m) => m.body));
        } else {
          read.push(cart.messages.read());
        }
        return new Response("ok");
      }),
    );
    await client.fetch("/add");
    clock.advance(30_000); // the 10 s message has expired, the 60 s one has not
    await client.fetch("/peek");
    await client.fetch("/read");
    await client.fetch("/read");
    expect(read).toEqual([
      ["Added to cart", "Low stock", "Card declined"],
      [
        { level: "success", body: "Added to cart", title: "Cart" },
        { level: "warning", body: "Low stock", life: 60 },
        { level: "error", body: "Card declined" },
      ],
      [],
    ]);
  });

  it("messages added in a request are readable in that request too", async () => {
    const { satchel } = testSatchel<TestTypes>(testConfig);
    const cart = await satchel.fromRequest(new Request("http://x/")).get("cart");
    cart.messages.info("hello");
    expect(cart.messages.read()).toEqual([{ level: "info", body: "hello" }]);
    expect(cart.messages.peek()).toEqual([]);
  });

  it("is absent on sessions without messages: true", async () => {
    const { satchel } = testSatchel<TestTypes>(testConfig);
    const auth = await satchel.fromRequest(new Request("http://x/")).get("auth");
    expect("messages" in auth).toBe(false);
  });
});

describe("message state without messages", () => {
  it("starts, loads and clears with nothing pending, and a message added to one state never shows in another", () => {
    const now = () => 1_000;
    const a = new MessageState(now);
    const b = new MessageState(now);
    a.load(undefined);
    b.load([]);
    expect(a.persisted()).toBeUndefined();
    const api = a.api(
      () => {},
      () => false,
    );
    expect(api.read()).toEqual([]);
    api.info("hello");
    a.inject([{ level: "success", body: "handed off" }, { level: "nope" }]);
    expect(a.persisted()).toEqual([{ level: "info", body: "hello", at: 1_000 }]);
    expect(b.persisted()).toBeUndefined();
    expect(api.peek()).toEqual([
      { level: "info", body: "hello" },
      { level: "success", body: "handed off" },
    ]);
    expect(api.read()).toHaveLength(2);
    expect(a.persisted()).toBeUndefined();
    api.error("again");
    a.clear();
    expect(a.persisted()).toBeUndefined();
  });
});
