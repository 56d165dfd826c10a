import { describe, expect, it } from "vitest";
import { z } from "zod";
import { toJsonSchema } from "../schema/json-schema.ts";
import { findBreakingChanges } from "./compare.ts";

/** Breaking changes from `before` (data saved) to `after` (the edited schema), as `field: kind`. */
function changes(before: z.ZodType, after: z.ZodType): string[] {
  return findBreakingChanges(toJsonSchema(before, "output"), toJsonSchema(after, "input")).map(
    (c) => `${c.field}: ${c.kind}`,
  );
}

const obj = (shape: z.ZodRawShape) => z.object(shape);

describe("compatible changes", () => {
  it.each([
    ["unchanged", obj({ a: z.string() }), obj({ a: z.string() })],
    ["a new optional field", obj({ a: z.string() }), obj({ a: z.string(), b: z.number().optional() })],
    ["a new field with a default", obj({ a: z.string() }), obj({ a: z.string(), b: z.number().default(0) })],
    ["required made optional", obj({ a: z.string() }), obj({ a: z.string().optional() })],
    ["nullable added", obj({ a: z.string() }), obj({ a: z.string().nullable() })],
    ["integer widened to number", obj({ a: z.number().int() }), obj({ a: z.number() })],
    ["an enum member added", obj({ a: z.enum(["x"]) }), obj({ a: z.enum(["x", "y"]) })],
    ["a literal widened to its type", obj({ a: z.literal("x") }), obj({ a: z.string() })],
    ["a type widened to a union", obj({ a: z.string() }), obj({ a: z.union([z.string(), z.number()]) })],
    ["a looser minimum", obj({ a: z.number().min(2) }), obj({ a: z.number().min(1) })],
    ["a default added", obj({ a: z.string() }), obj({ a: z.string().default("") })],
    [
      "record values widened",
      obj({ a: z.record(z.string(), z.number()) }),
      obj({ a: z.record(z.string(), z.unknown()) }),
    ],
    ["a Date stays a Date", obj({ a: z.date() }), obj({ a: z.date().optional() })],
    [
      "a discriminated union gains a variant",
      obj({ p: z.discriminatedUnion("k", [obj({ k: z.literal("a") })]) }),
      obj({ p: z.discriminatedUnion("k", [obj({ k: z.literal("a") }), obj({ k: z.literal("b") })]) }),
    ],
  ])("%s", (_, before, after) => {
    expect(changes(before, after)).toEqual([]);
  });
});

describe("breaking changes", () => {
  it.each([
    [
      "a new required field",
      obj({ a: z.string() }),
      obj({ a: z.string(), b: z.string() }),
      ["b: new-required"],
    ],
    [
      "optional made required",
      obj({ a: z.string().optional() }),
      obj({ a: z.string() }),
      ["a: now-required"],
    ],
    ["a removed field", obj({ a: z.string(), b: z.string() }), obj({ a: z.string() }), ["b: removed"]],
    [
      "a renamed field",
      obj({ a: z.string(), b: z.number() }),
      obj({ a: z.string(), c: z.number() }),
      ["b: renamed"],
    ],
    ["null no longer allowed", obj({ a: z.string().nullable() }), obj({ a: z.string() }), ["a: narrowed"]],
    ["number narrowed to integer", obj({ a: z.number() }), obj({ a: z.number().int() }), ["a: narrowed"]],
    ["a tighter maximum", obj({ a: z.string().max(10) }), obj({ a: z.string().max(5) }), ["a: narrowed"]],
    ["a new format", obj({ a: z.string() }), obj({ a: z.email() }), ["a: narrowed"]],
    [
      "an enum member removed",
      obj({ a: z.enum(["x", "y"]) }),
      obj({ a: z.enum(["x"]) }),
      ["a: enum-member-removed"],
    ],
    ["string to enum", obj({ a: z.string() }), obj({ a: z.enum(["x"]) }), ["a: narrowed"]],
    ["Date to string", obj({ a: z.date() }), obj({ a: z.string() }), ["a: narrowed"]],
    [
      "nested field narrowed",
      obj({ a: z.array(obj({ q: z.number() })) }),
      obj({ a: z.array(obj({ q: z.number().min(1) })) }),
      ["a[].q: narrowed"],
    ],
    [
      "tuple element changed",
      obj({ t: z.tuple([z.string(), z.number()]) }),
      obj({ t: z.tuple([z.string(), z.string()]) }),
      ["t[1]: narrowed"],
    ],
    [
      "record values narrowed",
      obj({ r: z.record(z.string(), z.number()) }),
      obj({ r: z.record(z.string(), z.string()) }),
      ["r.<value>: narrowed"],
    ],
    [
      "a union variant removed",
      obj({ u: z.union([z.string(), z.number()]) }),
      obj({ u: z.string() }),
      ["u: narrowed"],
    ],
  ])("%s", (_, before, after, expected) => {
    expect(changes(before, after)).toEqual(expected);
  });
});
