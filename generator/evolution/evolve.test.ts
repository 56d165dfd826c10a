import { describe, expect, it } from "vitest";
import { z } from "zod";
import { toJsonSchema } from "../schema/json-schema.ts";
import { type EditedSession, evolveSession } from "./evolve.ts";
import type { SessionSnapshot } from "./snapshot.ts";

function edited(schema: z.ZodType, extra: Partial<EditedSession> = {}): EditedSession {
  return {
    name: "cart",
    storage: "store",
    cookie: "cart",
    version: 1,
    migrations: [],
    output: toJsonSchema(schema, "output"),
    input: toJsonSchema(schema, "input"),
    ...extra,
  };
}

const v1 = z.object({ products: z.array(z.string()).default([]) });
const v2 = z.object({ items: z.array(z.object({ sku: z.string() })).default([]) });
const v3 = z.object({ items: z.array(z.object({ sku: z.string(), qty: z.number() })) });
const base: SessionSnapshot = evolveSession(undefined, edited(v1), false).next;

describe("evolveSession", () => {
  it("a new session becomes the baseline", () => {
    expect(base).toEqual({
      version: 1,
      storage: "store",
      cookie: "cart",
      schema: toJsonSchema(v1, "output"),
    });
  });

  it("refuses a version going down", () => {
    const result = evolveSession({ ...base, version: 3 }, edited(v1, { version: 2 }), false);
    expect(result.errors[0]?.message).toMatch(/version went down from 3 to 2/);
    expect(result.next.version).toBe(3);
  });

  it("keeps every earlier version's schema across bumps, for migration types", () => {
    const second = evolveSession(base, edited(v2, { version: 2, migrations: [2] }), false);
    expect(second.errors).toEqual([]);
    const third = evolveSession(second.next, edited(v3, { version: 3, migrations: [2, 3] }), false);
    expect(third.errors).toEqual([]);
    expect(Object.keys(third.next.previous ?? {})).toEqual(["1", "2"]);
    expect(third.next.previous?.["2"]).toEqual(toJsonSchema(v2, "output"));
  });

  it("refuses a breaking bump whose migration is missing, naming it", () => {
    const result = evolveSession(base, edited(v2, { version: 2 }), false);
    expect(result.errors.map((e) => e.message).join("\n")).toMatch(/migrations\[2\] is missing/);
    expect(result.next).toBe(base);
  });

  it("refuses a storage change unless accepted", () => {
    const refused = evolveSession(base, edited(v1, { storage: "cookie" }), false);
    expect(refused.errors[0]?.message).toMatch(
      /storage changed from "store" to "cookie": .*starts fresh\. Fix: keep the previous storage, or run gen --accept-breaking/,
    );
    const accepted = evolveSession(base, edited(v1, { storage: "cookie" }), true);
    expect(accepted.errors).toEqual([]);
    expect(accepted.next.storage).toBe("cookie");
    expect(accepted.notes[0]).toMatch(/old sessions of "cart" will be reset/);
  });

  it("a snapshot from before storage and cookie were recorded does not count as a move", () => {
    const { storage: _storage, cookie: _cookie, ...old } = base;
    const result = evolveSession(old, edited(v1, { storage: "cookie", cookie: "other" }), false);
    expect(result.errors).toEqual([]);
    expect(result.next.cookie).toBe("other");
  });
});
