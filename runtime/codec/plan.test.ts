import { describe, expect, it } from "vitest";
import { z } from "zod";
import { hasSuperjsonPart, keyedPlanOf, layoutHash, MAX_MASKED_FIELDS, planOf } from "./plan.ts";

describe("planOf", () => {
  it("lays out an object positionally, in schema order, flagging fields that may be absent", () => {
    const plan = planOf(
      z.object({
        userId: z.string().nullable().default(null),
        roles: z.array(z.enum(["admin", "member"])).default([]),
        signedInAt: z.date().optional(),
        count: z.bigint(),
      }),
    );
    expect(plan).toEqual([
      "object",
      [
        ["userId", ["nullable", "string"], false],
        ["roles", ["array", ["enum", ["admin", "member"]]], false],
        ["signedInAt", "date", true],
        ["count", "bigint", false],
      ],
    ]);
  });

  it("keeps keys for objects in unions, so options are told apart by their wire value", () => {
    const plan = planOf(
      z.object({
        step: z.union([
          z.object({ kind: z.literal("a"), n: z.number() }),
          z.object({ kind: z.literal("b") }),
        ]),
      }),
    );
    expect(plan).toEqual([
      "object",
      [
        [
          "step",
          [
            "union",
            [
              [
                "keyed",
                [
                  ["kind", ["enum", ["a"]], false],
                  ["n", "number", false],
                ],
              ],
              ["keyed", [["kind", ["enum", ["b"]], false]]],
            ],
          ],
          false,
        ],
      ],
    ]);
  });

  it("leaves what the schema cannot type to superjson", () => {
    const plan = planOf(
      z.object({
        anything: z.unknown(),
        loose: z.looseObject({ a: z.string() }),
        changed: z.string().transform((s) => s.length),
        items: z.array(z.string().optional()),
        mixed: z.union([z.date(), z.string()]),
      }),
    );
    expect(plan).toEqual([
      "object",
      [
        ["anything", "superjson", true],
        ["loose", "superjson", false],
        ["changed", "superjson", false],
        ["items", ["array", "superjson"], false],
        ["mixed", "superjson", false],
      ],
    ]);
  });

  it("keys objects with more optional fields than a mask holds", () => {
    const shape = Object.fromEntries(
      Array.from({ length: MAX_MASKED_FIELDS + 1 }, (_, i) => [`f${i}`, z.string().optional()]),
    );
    expect(planOf(z.object(shape))[0]).toBe("keyed");
    expect(planOf(z.object({ ...shape, f0: z.string() }))[0]).toBe("object");
  });
});

describe("layoutHash", () => {
  it("changes with the layout, not with checks, defaults or refinement sources", () => {
    const base = layoutHash(planOf(z.object({ n: z.number(), s: z.string() })));
    expect(layoutHash(planOf(z.object({ n: z.number().min(3), s: z.string().default("x") })))).toBe(base);
    expect(layoutHash(planOf(z.object({ n: z.number().refine((v) => v > 1), s: z.string() })))).toBe(base);
    expect(layoutHash(planOf(z.object({ s: z.string(), n: z.number() })))).not.toBe(base);
    expect(layoutHash(planOf(z.object({ n: z.number(), s: z.string().optional() })))).not.toBe(base);
    expect(layoutHash(planOf(z.object({ n: z.number(), t: z.string() })))).not.toBe(base);
  });
});

describe("keyedPlanOf (format 2)", () => {
  it("keys every object, so a union of nested objects stays plain JSON instead of a superjson part", () => {
    const schema = z.object({
      either: z.union([z.string(), z.object({ id: z.string() }).nullable()]),
      many: z.union([z.number(), z.array(z.object({ sku: z.string() }))]),
      at: z.date().optional(),
    });
    // Positionally such unions cannot be told apart by their wire value: superjson carries them.
    expect(planOf(schema)).toEqual([
      "object",
      [
        ["either", "superjson", false],
        ["many", "superjson", false],
        ["at", "date", true],
      ],
    ]);
    expect(keyedPlanOf(schema)).toEqual([
      "keyed",
      [
        ["either", ["union", ["string", ["nullable", ["keyed", [["id", "string", false]]]]]], false],
        ["many", ["union", ["number", ["array", ["keyed", [["sku", "string", false]]]]]], false],
        ["at", "date", true],
      ],
    ]);
    expect(hasSuperjsonPart(planOf(schema))).toBe(true);
    expect(hasSuperjsonPart(keyedPlanOf(schema))).toBe(false);
  });

  it("finds a superjson part by node, not by a key that happens to be named so", () => {
    expect(hasSuperjsonPart(keyedPlanOf(z.object({ superjson: z.string() })))).toBe(false);
    expect(hasSuperjsonPart(keyedPlanOf(z.object({ a: z.map(z.string(), z.unknown()) })))).toBe(true);
  });
});
