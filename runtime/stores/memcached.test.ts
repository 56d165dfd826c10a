import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeStoreConformance } from "./conformance.ts";
import { createMemcachedStore, type MemcachedStore } from "./memcached.ts";
import { runOutageScenario } from "./test-support/outage.ts";
import { startMemcached } from "./test-support/servers.ts";

const report = (line: string) => console.info(`[measure] ${line}`);

describe("memcached (private server on a spare port)", () => {
  let memcached: Awaited<ReturnType<typeof startMemcached>>;
  beforeAll(async () => {
    memcached = await startMemcached();
  });
  afterAll(async () => {
    await memcached?.cleanup();
  });

  describeStoreConformance("memcached", () => createMemcachedStore({ url: memcached.url }), {
    userIndex: false,
    report,
  });

  it("keeps records due in more than 30 days (memcached's absolute-time threshold)", async () => {
    const store = createMemcachedStore({ url: memcached.url, prefix: "long:" });
    const expiresAt = Date.now() + 60 * 24 * 60 * 60 * 1000;
    await store.set("cart:long", "kept", { expiresAt });
    expect(await store.get("cart:long")).toEqual({ value: "kept", version: 1, expiresAt });
    await store.close();
  });

  it("a record over memcached's item limit is a clear error, not an outage, and the old record stays", async () => {
    const store = createMemcachedStore({ url: memcached.url, prefix: "big:" });
    await store.set("cart:big", "small", { expiresAt: Date.now() + 60_000 });
    const error = await store
      .set("cart:big", "x".repeat(2_000_000), { expiresAt: Date.now() + 60_000 })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "SatchelError" });
    expect(String(error)).toMatch(/item size limit/);
    expect(await store.get("cart:big")).toMatchObject({ value: "small", version: 1 });
    await store.close();
  });

  it("rejects keys memcached cannot hold with a clear error", async () => {
    const store = createMemcachedStore({ url: memcached.url });
    await expect(store.get(`cart:${"x".repeat(300)}`)).rejects.toThrow(/250 bytes/);
    await store.close();
  });
});

describe("memcached outages (private server)", () => {
  let memcached: Awaited<ReturnType<typeof startMemcached>>;
  let store: MemcachedStore;
  const timeoutMs = 1000;
  beforeAll(async () => {
    memcached = await startMemcached();
    store = createMemcachedStore({ url: memcached.url, timeoutMs, prefix: "outage:" });
  });
  afterAll(async () => {
    await store?.close();
    await memcached?.cleanup();
  });

  it("paused → typed error within the timeout; resumed → works with all old data", {
    timeout: 60_000,
  }, async () => {
    // memcached keeps data in memory only: a restart loses it by design, so this scenario checks
    // pause/resume with data kept, and stop/start with the store recovering (not the data).
    const notes = await runOutageScenario(store, memcached.server, "cart", { durable: false });
    for (const note of notes) report(note);
  });
});
