/**
 * `save()` of a store session another request wrote meanwhile: changes to different top-level fields
 * are merged, a field both changed is a conflict.
 */
import { describe, expect, it } from "vitest";
import { SessionConflictError } from "../errors.ts";
import { cartApp, keysOf } from "../test-support/cart-app.ts";
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

describe("what a merge compares both sides with", () => {
  /**
   * Two requests of the browser whose `cookie` holds a stored cart, each with its own handle on the
   * cart; `open` starts another, `stored` reads the cart as stored.
   */
  async function twoRequests(satchel: ReturnType<typeof setup>["satchel"], cookie: string) {
    const open = () => satchel.fromRequest(new Request("http://x/", { headers: { cookie } }));
    const one = open();
    const two = open();
    const stored = async () => (await open().get("cart")).toJSON();
    return { one, two, cartOne: await one.get("cart"), cartTwo: await two.get("cart"), open, stored };
  }

  it("the record as the load read it: a default the schema filled in is no one's change", async () => {
    const { satchel, store } = setup();
    const client = new CookieClient(cartApp(satchel));
    await client.fetch("/owner?add=a");
    // Another build wrote the record without `note`; reading it fills in its default "".
    const [key] = await keysOf(store, "user-1");
    const record = await store.get(key as string);
    if (record === null) throw new Error("test: no record");
    await store.set(key as string, record.value.replace(',"note":""', ""), {
      expiresAt: record.expiresAt,
      userId: "user-1",
    });
    const { one, two, cartOne, cartTwo, stored } = await twoRequests(satchel, client.cookieHeader());
    cartOne.note = "gift";
    cartTwo.items.push({ sku: "b", qty: 2 });
    await one.commit();
    await two.commit();
    expect(await stored()).toEqual({
      items: [
        { sku: "a", qty: 1 },
        { sku: "b", qty: 2 },
      ],
      note: "gift",
      owner: "user-1",
    });
  });

  it("after a save() in the same request, what that save wrote", async () => {
    const { satchel } = setup();
    const client = new CookieClient(cartApp(satchel));
    await client.fetch("/?add=a");
    const { one, cartOne, open, stored } = await twoRequests(satchel, client.cookieHeader());
    cartOne.items.push({ sku: "b", qty: 1 });
    await cartOne.save();
    // The other request reads the record that save wrote, and changes the items again.
    const three = open();
    (await three.get("cart")).items.push({ sku: "c", qty: 1 });
    await three.commit();
    // The first request's next change is to another field: the items it saved are not its change.
    cartOne.note = "gift";
    await one.commit();
    expect(await stored()).toEqual({
      items: [
        { sku: "a", qty: 1 },
        { sku: "b", qty: 1 },
        { sku: "c", qty: 1 },
      ],
      note: "gift",
      owner: null,
    });
  });
});
