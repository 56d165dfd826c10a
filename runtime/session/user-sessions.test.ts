/** Revoking a user's store sessions, over a store that can list them. */
import { describe, expect, it } from "vitest";
import { createMemoryStore } from "../stores/memory.ts";
import { cartApp, keysOf } from "../test-support/cart-app.ts";
import { CookieClient, testSatchel } from "../test-support/harness.ts";
import { type TestTypes, testConfig } from "../test-support/schema.ts";

function setup(options: Parameters<typeof testSatchel>[1] = {}) {
  return testSatchel<TestTypes>(testConfig, options);
}

describe("revokeUser", () => {
  it("revokeUser deletes every record of that user for that session", async () => {
    const { satchel, store } = setup();
    for (let i = 0; i < 3; i++) await new CookieClient(cartApp(satchel)).fetch("/owner?add=x");
    await new CookieClient(cartApp(satchel)).fetch("/?add=anon");
    expect(await keysOf(store, "user-1")).toHaveLength(3);
    expect(await satchel.revokeUser("cart", "user-1")).toBe(3);
    expect(await keysOf(store, "user-1")).toEqual([]);
  });

  it("revokeUser explains when the store cannot list a user's sessions", async () => {
    const { keysForUser: _omit, ...bare } = createMemoryStore();
    const { satchel } = setup({ store: bare });
    await expect(satchel.revokeUser("cart", "u")).rejects.toThrow(/cannot list a user's sessions/);
  });
});
