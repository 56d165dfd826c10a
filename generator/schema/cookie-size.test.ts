import { checksHash, layoutHash, planOf, positionalKey } from "satchel/internal";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { generatedEnvelope, minimalValue, smallestCookie } from "./cookie-size.ts";
import { toJsonSchema } from "./json-schema.ts";

const size = (schema: z.ZodType, maxChunks = 4) =>
  smallestCookie(schema, toJsonSchema(schema, "output"), {
    session: "s",
    version: 1,
    cookieName: "s",
    maxChunks,
  });

describe("smallest sealed cookie", () => {
  it("builds the smallest valid data from the schema", () => {
    const schema = z.object({
      name: z.string().min(3),
      tags: z.array(z.enum(["long-value", "x"])).min(2),
      at: z.date(),
      n: z.number().int().min(5),
      maybe: z.string().optional(),
    });
    const value = minimalValue(toJsonSchema(schema, "output"));
    expect(value).toEqual({ name: "aaa", tags: ["x", "x"], at: new Date(0), n: 5 });
    expect(schema.safeParse(value).success).toBe(true);
  });

  it("estimates the format the runtime writes: positional, no key names", async () => {
    const schema = z.object({ aVeryLongFieldNameThatFormatTwoWouldRepeat: z.string(), n: z.number() });
    const data = { aVeryLongFieldNameThatFormatTwoWouldRepeat: "x", n: 1 };
    const text = generatedEnvelope(schema, data, 4);
    // Format 4: one key of layout and checks.
    expect(text).toMatch(/^\[4,4,"[\w-]{1,6}",\["x",1\]\]$/);
    const key = positionalKey(layoutHash(planOf(schema)), checksHash(schema));
    expect(text).toBe(`[4,4,${JSON.stringify(key)},["x",1]]`);
  });

  it("a small schema fits in one cookie", async () => {
    const result = await size(z.object({ userId: z.string().nullable().default(null) }));
    expect(result?.fits).toBe(true);
    expect(result?.bytes).toBeLessThan(400);
  });

  it("many required fields can exceed the cap even compressed; more chunks make it fit", async () => {
    // Positional format 3 writes no key names: the values themselves must be large and incompressible.
    let seed = 1;
    const noise = () => {
      seed = Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x297a2d39;
      return (seed >>> 0).toString(36);
    };
    const shape = Object.fromEntries(
      Array.from({ length: 1500 }, (_, i) => [`field${i}`, z.literal(`${noise()}${noise()}`)]),
    );
    expect((await size(z.object(shape), 1))?.fits).toBe(false);
    expect((await size(z.object(shape), 8))?.fits).toBe(true);
  });

  it("gives up quietly when it cannot build valid data", async () => {
    expect(await size(z.object({ id: z.uuid() }))).toBeUndefined();
  });
});
