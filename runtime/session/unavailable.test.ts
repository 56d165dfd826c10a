/**
 * The empty handle of a session whose store is down (`getSession(name, { unavailable: "empty" })`):
 * schema defaults, nothing to read from flash or messages, every write refused with the store's
 * outage error. The Next adapter's test (`next/degraded-pages.test.ts`) runs it against a stopped Redis.
 */
import { describe, expect, it } from "vitest";
import { SessionStoreUnavailableError } from "../errors.ts";
import { testSatchel } from "../test-support/harness.ts";
import { type TestTypes, testConfig } from "../test-support/schema.ts";
import { createHandle } from "./handle.ts";
import { UnavailableSession } from "./unavailable.ts";

const cartDef = testConfig.sessions.cart;
if (cartDef === undefined) throw new Error("the test schema has a cart session");
const outage = new SessionStoreUnavailableError("redis", "get", { endpoint: "127.0.0.1:1" });
const emptyCart = () => createHandle(new UnavailableSession(cartDef, outage)) as TestTypes["cart"];

describe("an unavailable session's handle", () => {
  it("holds the schema defaults and nothing pending, and says it is unavailable", async () => {
    const cart = emptyCart();
    expect(cart.$unavailable).toBe(true);
    expect({ ...cart }).toEqual({ items: [], note: "", owner: null });
    expect(cart.flash.added.read()).toEqual([]);
    expect(cart.messages.read()).toEqual([]);
    // flash.now() is never stored, so a page may still use it.
    cart.flash.added.now("shown once");
    expect(cart.flash.added.read()).toEqual(["shown once"]);
    expect(Object.keys(cart)).not.toContain("$unavailable");
  });

  it("refuses every write with the outage of the store it could not reach", async () => {
    const cart = emptyCart();
    for (const write of [
      () => cart.set("note", "x"),
      () => cart.pop("note"),
      () => cart.setdefault("note", "x"),
      () => cart.flash.added.add("x"),
      () => cart.update(() => undefined),
    ]) {
      const error = await Promise.resolve()
        .then(write)
        .then(
          () => null,
          (thrown: unknown) => thrown,
        );
      expect(error).toBeInstanceOf(SessionStoreUnavailableError);
      expect(error).toMatchObject({ store: "redis", endpoint: "127.0.0.1:1", cause: outage });
    }
    expect(cart.note).toBe("");
  });

  it("is false on every handle that loaded", async () => {
    const { satchel } = testSatchel<TestTypes>(testConfig);
    const sessions = satchel.fromRequest(new Request("http://app.test/"));
    expect((await sessions.get("cart")).$unavailable).toBe(false);
    expect((await sessions.get("auth")).$unavailable).toBe(false);
  });
});
