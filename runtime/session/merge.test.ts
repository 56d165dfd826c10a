/**
 * `save()` of a store session another request wrote meanwhile: changes to different top-level fields
 * are merged, a field both changed is a conflict.
 */
import { describe, expect, it } from "vitest";
import { SessionConflictError } from "../errors.ts";
import { cartApp } from "../test-support/cart-app.ts";
import { CookieClient, testSatchel } from "../test-support/harness.ts";
import { type TestTypes, testConfig } from "../test-support/schema.ts";

function setup() {
  return testSatchel<TestTypes>(testConfig);
}

describe("save() after another request wrote", () => {
  it("save() merges concurrent changes to different fields", async () => {
    const { satchel } = setup();
    const client = new CookieClient(cartApp(satchel));
    await client.fetch("/?add=a");
    const cookie = client.cookieHeader();
    const one = satchel.fromRequest(new Request("http://x/", { headers: { cookie } }));
    const two = satchel.fromRequest(new Request("http://x/", { headers: { cookie } }));
    const cartOne = await one.get("cart");
    const cartTwo = await two.get("cart");
    cartOne.note = "gift";
    cartTwo.items.push({ sku: "b", qty: 2 });
    await one.commit();
    await two.commit();
    expect(cartTwo.note).toBe("gift");
    const after = await satchel.fromRequest(new Request("http://x/", { headers: { cookie } })).get("cart");
    expect(after.toJSON()).toEqual({
      items: [
        { sku: "a", qty: 1 },
        { sku: "b", qty: 2 },
      ],
      note: "gift",
      owner: null,
    });
  });

  it("save() reports a conflict naming the field both requests changed", async () => {
    const { satchel } = setup();
    const client = new CookieClient(cartApp(satchel));
    await client.fetch("/?add=a");
    const cookie = client.cookieHeader();
    const one = satchel.fromRequest(new Request("http://x/", { headers: { cookie } }));
    const two = satchel.fromRequest(new Request("http://x/", { headers: { cookie } }));
    (await one.get("cart")).note = "one";
    const cartTwo = await two.get("cart");
    cartTwo.note = "two";
    await one.commit();
    const error = await cartTwo.save().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SessionConflictError);
    expect((error as SessionConflictError).key).toBe("note");
    expect(String(error)).toMatch(/field "note" was changed by another request/);
  });
});
