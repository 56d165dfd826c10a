import { describe, expect, it } from "vitest";
import { createMemoryStore } from "../stores/memory.ts";
import type { SessionStore } from "../stores/types.ts";
import { createStoreResolver } from "./store-resolver.ts";

describe("store resolver", () => {
  it("hands out the store itself once it has opened, and opens it anew after closeAll", async () => {
    const made: SessionStore[] = [];
    const factory = () => {
      const store = createMemoryStore();
      made.push(store);
      return store;
    };
    const stores = createStoreResolver();
    const first = stores.current(factory, "test");
    expect(first).toBeInstanceOf(Promise);
    const opened = await first;
    expect(stores.current(factory, "test")).toBe(opened);
    expect(await stores.resolve(factory, "test")).toBe(opened);
    await stores.closeAll();
    // A closed store is never handed out again: the next use opens a new one.
    const again = stores.current(factory, "test");
    expect(again).toBeInstanceOf(Promise);
    expect(await again).not.toBe(opened);
    expect(made).toHaveLength(2);
  });

  it("does not hand out a store that closeAll closed while it was opening", async () => {
    const stores = createStoreResolver();
    const factory = () => createMemoryStore();
    const opening = stores.current(factory, "test");
    await stores.closeAll();
    const closed = await opening;
    const next = stores.current(factory, "test");
    expect(next).toBeInstanceOf(Promise);
    expect(await next).not.toBe(closed);
  });

  it("retries a store that failed to open and never hands it out", async () => {
    let calls = 0;
    const store = createMemoryStore();
    const factory = () => {
      calls++;
      if (calls === 1) throw new Error("connection refused");
      return store;
    };
    const stores = createStoreResolver();
    await expect(stores.current(factory, "test")).rejects.toThrow("connection refused");
    // The failed open is dropped in a microtask after it settles.
    await Promise.resolve();
    const retried = stores.current(factory, "test");
    expect(retried).toBeInstanceOf(Promise);
    expect(await retried).toBe(store);
    expect(stores.current(factory, "test")).toBe(store);
    expect(calls).toBe(2);
  });
});
