/** The conformance suite over the in-process stores (no server needed), and the counting wrapper. */
import { describe, expect, it } from "vitest";

import { describeStoreConformance } from "./conformance.ts";
import { createCountingStore } from "./counting.ts";
import { createMemoryStore } from "./memory.ts";

const report = (line: string) => console.info(`[measure] ${line}`);
describeStoreConformance("memory", () => createMemoryStore(), { userIndex: true, report });
describeStoreConformance("counting(memory)", () => createCountingStore(createMemoryStore()), { report });

describe("counting store", () => {
  it("counts each operation, logs it with its key, forwards results unchanged, and resets", async () => {
    const counted = createCountingStore(createMemoryStore());
    const later = Date.now() + 60_000;
    expect(await counted.set("cart:a", "v", { expiresAt: later, userId: "u" })).toBe(1);
    expect(await counted.get("cart:a")).toEqual({ value: "v", version: 1, expiresAt: later });
    expect(await counted.compareAndSet("cart:a", "w", 9, { expiresAt: later })).toBeNull();
    await counted.touch("cart:a", later + 1);
    expect(await counted.keysForUser?.("u")).toEqual(["cart:a"]);
    await counted.delete("cart:a");
    expect(counted.counts()).toEqual({
      get: 1,
      set: 1,
      compareAndSet: 1,
      delete: 1,
      touch: 1,
      keysForUser: 1,
    });
    expect(counted.total()).toBe(6);
    expect(counted.log()).toEqual([
      "set cart:a",
      "get cart:a",
      "compareAndSet cart:a",
      "touch cart:a",
      "keysForUser u",
      "delete cart:a",
    ]);
    counted.reset();
    expect(counted.total()).toBe(0);
    expect(counted.log()).toEqual([]);
  });

  it("offers keysForUser only when the wrapped store does", () => {
    const inner = createMemoryStore();
    const { keysForUser: _dropped, ...withoutListing } = inner;
    expect(createCountingStore(withoutListing).keysForUser).toBeUndefined();
  });
});
