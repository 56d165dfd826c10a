import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defineSessions } from "../define.ts";
import { createSatchel, type SessionTypesShape } from "../satchel.ts";
import { createMemoryStore } from "../stores/memory.ts";
import type { SessionStore } from "../stores/types.ts";
import { CookieClient } from "../test-support/harness.ts";
import {
  FIXTURE_SECRET,
  type V1Types,
  type V2Types,
  v1Config,
  v2Config,
  v2ThrowingConfig,
} from "../test-support/versioned-schema.ts";
import type { InvalidReport } from "../types.ts";
import { validateOnRead } from "./core.ts";
import { migrateData } from "./migrate.ts";

interface Fixture {
  time: number;
  cookies: Record<string, string>;
  record: { key: string; value: string; version: number; expiresAt: number };
}
const fixture: Fixture = JSON.parse(
  readFileSync(new URL("../fixtures/v1-sessions.json", import.meta.url), "utf8"),
);
const now = () => fixture.time + 60_000;

/** A memory store holding the v1 record exactly as the v1 code wrote it. */
async function storeWithV1Record(): Promise<SessionStore> {
  const store = createMemoryStore({ now });
  const { key, value, expiresAt } = fixture.record;
  await store.set(key, value, { expiresAt });
  return store;
}

function app<T extends SessionTypesShape<T>>(
  config: Parameters<typeof createSatchel>[0],
  store: SessionStore,
  reports: InvalidReport[],
  handler: (
    sessions: Awaited<ReturnType<ReturnType<typeof createSatchel<T>>["fromRequest"]>>,
  ) => Promise<unknown>,
) {
  const satchel = createSatchel<T>(config, {
    secrets: [FIXTURE_SECRET],
    store,
    now,
    onInvalid: (r) => reports.push(r),
  });
  const client = new CookieClient(
    satchel.handle(async (_req, sessions) => Response.json(await handler(sessions))),
  );
  for (const [name, value] of Object.entries(fixture.cookies)) client.cookies.set(name, value);
  return client;
}

describe("versions and migrations", () => {
  it("upgrades a sealed v1 cookie and a v1 store record (real fixtures) and writes them back", async () => {
    const store = await storeWithV1Record();
    const reports: InvalidReport[] = [];
    const client = app<V2Types>(v2Config, store, reports, async (sessions) => ({
      basket: (await sessions.get("basket")).toJSON(),
      cart: (await sessions.get("cart")).toJSON(),
    }));
    const body = await (await client.fetch("/")).json();
    expect(body).toEqual({
      basket: {
        items: [
          { sku: "apple", qty: 1 },
          { sku: "pear", qty: 1 },
        ],
      },
      cart: { items: [{ sku: "plum", qty: 1 }] },
    });
    expect(reports).toEqual([]);
    // Upgraded data is written back: a new basket cookie, and the record now at version 2 of the data.
    expect(client.lastSetCookie.some((line) => line.startsWith("basket="))).toBe(true);
    const record = await store.get(fixture.record.key);
    expect(record?.version).toBe(2);
    expect(record?.value).toContain('"version":2');
    expect(record?.value).toContain('"sku":"plum"');
  });

  it("a migration that throws, or returns data the schema rejects, gives a fresh session and a report", async () => {
    const store = await storeWithV1Record();
    const reports: InvalidReport[] = [];
    const client = app<V2Types>(v2ThrowingConfig, store, reports, async (sessions) => ({
      basket: (await sessions.get("basket")).toJSON(),
      cart: (await sessions.get("cart")).toJSON(),
    }));
    const res = await client.fetch("/");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ basket: { items: [] }, cart: { items: [] } });
    expect(reports.map((r) => [r.session, r.reason])).toEqual([
      ["basket", "migration-failed"],
      ["cart", "migration-failed"],
    ]);
    expect(reports[0]?.detail).toMatch(/cannot convert/);
  });

  it("data from a newer version (a rollback) starts fresh and leaves the store record byte-for-byte intact", async () => {
    // The v2 deploy writes...
    const store = createMemoryStore({ now });
    const v2Reports: InvalidReport[] = [];
    const writer = app<V2Types>(v2Config, store, v2Reports, async (sessions) => {
      (await sessions.get("cart")).items = [{ sku: "new", qty: 3 }];
      (await sessions.get("basket")).items = [{ sku: "new", qty: 3 }];
      return null;
    });
    writer.cookies.clear();
    await writer.fetch("/");
    const cartCookie = writer.cookies.get("cart") as string;
    const before = await snapshot(store, writer, v2Config);

    // ...then the code is rolled back to v1, which reads and even changes the sessions.
    const reports: InvalidReport[] = [];
    const reader = app<V1Types>(v1Config, store, reports, async (sessions) => {
      const cart = await sessions.get("cart");
      const basket = await sessions.get("basket");
      const seen = { cart: cart.toJSON(), basket: basket.toJSON(), isNew: cart.$isNew };
      cart.products.push("rollback");
      return seen;
    });
    reader.cookies.clear();
    for (const [name, value] of writer.cookies) reader.cookies.set(name, value);
    expect(await (await reader.fetch("/")).json()).toEqual({
      cart: { products: [] },
      basket: { products: [] },
      isNew: true,
    });
    expect(reports.map((r) => [r.session, r.reason])).toEqual([
      ["cart", "newer-version"],
      ["basket", "newer-version"],
    ]);
    // The rolled-back deploy wrote its change under a new id; the v2 record is untouched.
    expect(reader.cookies.get("cart")).not.toBe(cartCookie);
    expect(reader.lastSetCookie.some((l) => l.startsWith("basket="))).toBe(false);
    expect(await snapshot(store, writer, v2Config)).toEqual(before);
  });
});

/** The exact stored record behind a client's cart cookie. */
async function snapshot(
  store: SessionStore,
  client: CookieClient,
  config: Parameters<typeof createSatchel>[0],
) {
  const { storeKey } = await import("./store-keys.ts");
  const { createSealer } = await import("../crypto/seal.ts");
  const sealer = createSealer([FIXTURE_SECRET]);
  const opened = await sealer.unseal("cart", client.cookies.get("cart") as string, now());
  if (!opened.ok) throw new Error(`fixture cookie did not open: ${opened.reason}`);
  expect(config.sessions.cart?.storage).toBe("store");
  return store.get(await storeKey("cart", opened.plaintext));
}

describe("migrateData", () => {
  const chain = defineSessions({
    s: {
      storage: "store",
      schema: z.object({ c: z.number() }),
      version: 3,
      migrations: {
        2: (v1: { a: number }) => ({ b: v1.a + 1 }),
        3: async (v2: { b: number }) => ({ c: v2.b * 10 }),
      },
    },
  }).sessions.s;
  const validate = (data: unknown) => validateOnRead(chain, data);

  it("runs each migration in order (sync or async) from the stored version", async () => {
    expect(await migrateData(chain, 1, { a: 1 }, validate)).toEqual({
      ok: true,
      data: { c: 20 },
      migrated: true,
    });
    expect(await migrateData(chain, 2, { b: 5 }, validate)).toEqual({
      ok: true,
      data: { c: 50 },
      migrated: true,
    });
    expect(await migrateData(chain, 3, { c: 7 }, validate)).toEqual({
      ok: true,
      data: { c: 7 },
      migrated: false,
    });
  });

  it("names why data cannot be used", async () => {
    expect(await migrateData(chain, 4, {}, validate)).toMatchObject({ ok: false, reason: "newer-version" });
    expect(await migrateData(chain, 3, { c: "x" }, validate)).toMatchObject({
      ok: false,
      reason: "schema-mismatch",
    });
    expect(await migrateData(chain, "1", {}, validate)).toMatchObject({
      ok: false,
      reason: "schema-mismatch",
    });
    expect(await migrateData(chain, 1, null, validate)).toMatchObject({
      ok: false,
      reason: "migration-failed",
      detail: expect.stringMatching(/migration to version 2 threw/),
    });
  });
});
