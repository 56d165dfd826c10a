import { describe, expect, it } from "vitest";
import { z } from "zod";
import { keyedPlanOf, planOf } from "./plan.ts";
import { checkedPlan } from "./plan-check.ts";
import { planCodec } from "./plan-interpreter.ts";

const rich = z.object({
  name: z.string(),
  age: z.number().int().optional(),
  born: z.date().nullable(),
  big: z.bigint(),
  tags: z.set(z.string()),
  prefs: z.record(z.string(), z.boolean()),
  seen: z.map(z.string(), z.date()),
  pair: z.tuple([z.string(), z.number()]),
  kind: z.enum(["a", "b"]),
  one: z.literal(3),
  either: z.union([z.string(), z.object({ x: z.number() })]),
  anything: z.unknown(),
  nested: z.object({ deep: z.array(z.object({ v: z.string().optional() })) }),
});

describe("checkedPlan: plans from outside this build", () => {
  it("accepts every plan planOf writes, positional and keyed", () => {
    for (const plan of [planOf(rich), keyedPlanOf(rich), planOf(z.object({})), "superjson"]) {
      expect(checkedPlan(JSON.parse(JSON.stringify(plan)))).toEqual(plan);
    }
  });

  const hostile: [string, unknown][] = [
    ["a __proto__ field", ["object", [["__proto__", "string", false]]]],
    ["a __proto__ field of a keyed object", ["keyed", [["__proto__", ["object", []], false]]]],
    [
      "a field named twice",
      [
        "object",
        [
          ["a", "string", false],
          ["a", "number", false],
        ],
      ],
    ],
    ["a field of the wrong arity", ["object", [["a", "string"]]]],
    ["a field whose optional flag is not a boolean", ["object", [["a", "string", 1]]]],
    ["an unknown leaf", "function"],
    ["an unknown node", ["eval", "string"]],
    ["a node with extra members", ["array", "string", "string"]],
    ["an object", { 0: "array", 1: "string", length: 2 }],
    ["an empty enum", ["enum", []]],
    ["an enum of objects", ["enum", [{}]]],
    ["a union of non-plain options", ["union", ["string", "date"]]],
    ["a record keyed by dates", ["record", "date", "string"]],
    [
      "a positional object with more optional fields than a mask holds",
      ["object", Array.from({ length: 31 }, (_, i) => [`f${i}`, "string", true])],
    ],
    ["nesting deeper than any schema", JSON.parse(`${'["array",'.repeat(100)}"string"${"]".repeat(100)}`)],
    ["a plan of more nodes than any session", ["tuple", Array.from({ length: 30_000 }, () => "string")]],
    ["null", null],
  ];
  for (const [what, plan] of hostile) {
    it(`refuses ${what}`, () => {
      expect(checkedPlan(plan)).toBeUndefined();
    });
  }

  it("leaves no prototype changed by what it refused or an accepted plan decodes", () => {
    const accepted = checkedPlan(
      JSON.parse('["object",[["constructor","string",false],["toString","string",false]]]'),
    );
    expect(accepted).toBeDefined();
    const value = planCodec(accepted as never).decode(["x", "y"]) as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(value).toEqual({ constructor: "x", toString: "y" });
    expect(Object.prototype.toString).not.toBe("y");
  });
});
