/**
 * The shared store conformance suite. Every backend runs it against a real server:
 * `describeStoreConformance("redis", () => createRedisStore({ url }))`.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SessionStore } from "./types.ts";

export interface ConformanceOptions {
  /** Expect `keysForUser` to exist (Redis, Postgres, file). Default: test it when the store has it. */
  userIndex?: boolean;
  /** Concurrent compare-and-set appends in the lost-update test. Default 100. */
  concurrentAppends?: number;
  /** Expect `watchDeletes` (Redis, Postgres) and test it across two instances from `factory`. */
  watchesDeletes?: boolean;
  /** Called with measurements (e.g. the duration of the concurrent-append test) for reports. */
  report?: (line: string) => void;
}

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

/** Append `item` to the JSON array at `key` with compare-and-set, reloading and retrying on conflict. */
export async function appendWithRetry(
  store: SessionStore,
  key: string,
  item: string,
  expiresAt: number,
  maxAttempts = 2000,
): Promise<number> {
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const current = await store.get(key);
    const items = current ? (JSON.parse(current.value) as string[]) : [];
    items.push(item);
    const version = await store.compareAndSet(key, JSON.stringify(items), current?.version ?? null, {
      expiresAt,
    });
    if (version !== null) return attempt;
    // Jitter so a hundred losers do not all come back in the same instant.
    await sleep(Math.random() * Math.min(attempt, 10));
  }
  throw new Error(`append of ${item} still conflicting after ${maxAttempts} attempts`);
}

/**
 * Register the conformance tests for one store. `factory` runs once, in `beforeAll`. Long on purpose:
 * it is one `describe` block listing the contract's cases, each `it` a few lines that share the store
 * and the key helpers above them; splitting it would only scatter the list.
 */
export function describeStoreConformance(
  name: string,
  factory: () => SessionStore | Promise<SessionStore>,
  options: ConformanceOptions = {},
): void {
  describe(`store conformance: ${name}`, () => {
    let store: SessionStore;
    const run = randomBytes(4).toString("hex");
    let counter = 0;
    /** A key no other test (or parallel run) uses. */
    const fresh = (label: string) => `conf-${run}-${label}-${++counter}:${randomBytes(8).toString("hex")}`;
    const inMinutes = (minutes: number) => Date.now() + minutes * 60_000;

    beforeAll(async () => {
      store = await factory();
    });
    afterAll(async () => {
      await store?.close?.();
    });

    it("returns null for a key never written", async () => {
      expect(await store.get(fresh("missing"))).toBeNull();
    });

    it("round-trips value, version and expiresAt; each write bumps the version", async () => {
      const key = fresh("roundtrip");
      const expiresAt = inMinutes(5);
      const value = JSON.stringify({ items: [{ sku: "ünïcödé ✓", qty: 1 }], big: "x".repeat(100_000) });
      expect(await store.set(key, value, { expiresAt })).toBe(1);
      expect(await store.get(key)).toEqual({ value, version: 1, expiresAt });
      expect(await store.set(key, "second", { expiresAt: expiresAt + 1000 })).toBe(2);
      expect(await store.get(key)).toEqual({ value: "second", version: 2, expiresAt: expiresAt + 1000 });
    });

    it("never returns an expired record", async () => {
      const key = fresh("expires");
      await store.set(key, "short-lived", { expiresAt: Date.now() + 1200 });
      expect((await store.get(key))?.value).toBe("short-lived");
      await sleep(1400);
      expect(await store.get(key)).toBeNull();
      const past = fresh("past");
      await store.set(past, "already expired", { expiresAt: Date.now() - 1000 });
      expect(await store.get(past)).toBeNull();
    });

    it("touch extends expiry without changing value or version; a missing key stays missing", async () => {
      const key = fresh("touch");
      await store.set(key, "kept", { expiresAt: Date.now() + 1200 });
      await store.set(key, "kept", { expiresAt: Date.now() + 1200 });
      const extended = inMinutes(10);
      await store.touch(key, extended);
      await sleep(1400);
      expect(await store.get(key)).toEqual({ value: "kept", version: 2, expiresAt: extended });
      const missing = fresh("touch-missing");
      await store.touch(missing, inMinutes(10));
      expect(await store.get(missing)).toBeNull();
    });

    it("touch does not revive an expired record", async () => {
      const key = fresh("touch-expired");
      await store.set(key, "gone", { expiresAt: Date.now() - 10 });
      await store.touch(key, inMinutes(10));
      expect(await store.get(key)).toBeNull();
    });

    it("delete removes the record; deleting a missing key is fine", async () => {
      const key = fresh("delete");
      await store.set(key, "doomed", { expiresAt: inMinutes(5) });
      await store.delete(key);
      expect(await store.get(key)).toBeNull();
      await expect(store.delete(key)).resolves.toBeUndefined();
      expect(await store.compareAndSet(key, "reborn", null, { expiresAt: inMinutes(5) })).toBe(1);
    });

    it("compareAndSet: null creates once, then conflicts; a stale version conflicts and changes nothing", async () => {
      const key = fresh("cas");
      const expiresAt = inMinutes(5);
      expect(await store.compareAndSet(key, "first", null, { expiresAt })).toBe(1);
      expect(await store.compareAndSet(key, "second creator", null, { expiresAt })).toBeNull();
      expect((await store.get(key))?.value).toBe("first");
      expect(await store.compareAndSet(key, "update", 1, { expiresAt })).toBe(2);
      expect(await store.compareAndSet(key, "stale writer", 1, { expiresAt })).toBeNull();
      expect(await store.compareAndSet(key, "future writer", 7, { expiresAt })).toBeNull();
      expect(await store.get(key)).toEqual({ value: "update", version: 2, expiresAt });
      expect(await store.compareAndSet(fresh("cas-missing"), "x", 1, { expiresAt })).toBeNull();
    });

    it("compareAndSet with null succeeds over an expired record", async () => {
      const key = fresh("cas-expired");
      await store.set(key, "old", { expiresAt: Date.now() - 10 });
      const version = await store.compareAndSet(key, "new", null, { expiresAt: inMinutes(5) });
      expect(version).not.toBeNull();
      expect(await store.get(key)).toEqual({ value: "new", version, expiresAt: expect.any(Number) });
      expect(await store.compareAndSet(key, "stale", null, { expiresAt: inMinutes(5) })).toBeNull();
    });

    it("a deleted record is never recreated by a compare-and-set that expects a version it had", async () => {
      // What keeps ended sessions ended: every write after the first expects a version.
      const key = fresh("ended");
      const expiresAt = inMinutes(5);
      expect(await store.compareAndSet(key, "v1", null, { expiresAt })).toBe(1);
      expect(await store.compareAndSet(key, "v2", 1, { expiresAt })).toBe(2);
      await store.delete(key);
      for (const version of [1, 2, 3]) {
        expect(await store.compareAndSet(key, "revived", version, { expiresAt })).toBeNull();
      }
      await store.touch(key, inMinutes(10));
      expect(await store.get(key)).toBeNull();
    });

    it.runIf(options.watchesDeletes === true)(
      "watchDeletes hears a delete made through another instance",
      async () => {
        const other = await factory();
        const heard: string[] = [];
        const watch = await (store.watchDeletes as NonNullable<SessionStore["watchDeletes"]>)({
          deleted: (key) => heard.push(key),
          up: () => undefined,
          down: () => undefined,
        });
        try {
          const key = fresh("watched");
          await other.set(key, "doomed", { expiresAt: inMinutes(5) });
          await other.delete(key);
          for (let polls = 0; polls < 100 && !heard.includes(key); polls++) await sleep(20);
          expect(heard).toContain(key);
        } finally {
          await watch.stop();
          await other.close?.();
        }
      },
    );

    const appends = options.concurrentAppends ?? 100;
    it(`${appends} concurrent compare-and-set appends on one key keep all ${appends}`, {
      timeout: 120_000,
    }, async () => {
      const key = fresh("concurrent");
      const expiresAt = inMinutes(5);
      const started = performance.now();
      const attempts = await Promise.all(
        Array.from({ length: appends }, (_, i) => appendWithRetry(store, key, `item-${i}`, expiresAt)),
      );
      const ms = performance.now() - started;
      const record = await store.get(key);
      const items = JSON.parse(record?.value ?? "[]") as string[];
      expect(items).toHaveLength(appends);
      expect(new Set(items).size).toBe(appends);
      expect(record?.version).toBe(appends);
      const tries = attempts.reduce((a, b) => a + b, 0);
      options.report?.(
        `${name}: ${appends} concurrent CAS appends in ${ms.toFixed(0)} ms (${tries} attempts)`,
      );
    });

    const wantsIndex = options.userIndex;
    it.skipIf(wantsIndex === false)("keysForUser lists exactly the live records of that user", async () => {
      if (!store.keysForUser) {
        expect(wantsIndex, `${name} should implement keysForUser`).not.toBe(true);
        return;
      }
      const user = `user-${run}-${randomBytes(4).toString("hex")}`;
      const other = `${user}-other`;
      const [a, b, c, d] = [fresh("u-a"), fresh("u-b"), fresh("u-c"), fresh("u-d")];
      await store.set(a, "a", { expiresAt: inMinutes(5), userId: user });
      await store.compareAndSet(b, "b", null, { expiresAt: inMinutes(5), userId: user });
      await store.set(c, "c", { expiresAt: inMinutes(5), userId: other });
      await store.set(d, "d", { expiresAt: Date.now() - 10, userId: user });
      expect((await store.keysForUser(user)).sort()).toEqual([a, b].sort());
      // The session changed hands (sign-out, another user signed in): it no longer belongs to `user`.
      await store.set(a, "a2", { expiresAt: inMinutes(5), userId: other });
      await store.delete(b);
      expect(await store.keysForUser(user)).toEqual([]);
      expect((await store.keysForUser(other)).sort()).toEqual([a, c].sort());
    });
  });
}
