import { describe, expect, it } from "vitest";
import { z } from "zod";
import { runsUserCode } from "./checks.ts";
import { checksHash, schemaFingerprint } from "./fingerprint.ts";

describe("runsUserCode: schemas whose reads always run zod", () => {
  it.each([
    ["refine", z.object({ a: z.string().refine((v) => v !== "x") })],
    ["superRefine", z.object({ a: z.string().superRefine(() => {}) })],
    ["check", z.object({ a: z.string().check(() => {}) })],
    ["transform", z.object({ a: z.string().transform((v) => v.trim()) })],
    ["preprocess", z.object({ a: z.preprocess((v) => v, z.string()) })],
    ["custom", z.object({ a: z.custom<string>(() => true) })],
    ["trim (zod rewrites the value)", z.object({ a: z.string().trim() })],
    ["custom string format", z.object({ a: z.stringFormat("even", (v) => v.length % 2 === 0) })],
    ["lazy", z.object({ a: z.lazy(() => z.string()) })],
    [
      "deep in a union in an array",
      z.object({ a: z.array(z.union([z.number(), z.string().refine(Boolean)])) }),
    ],
    ["on the object itself", z.object({ a: z.string() }).refine((o) => o.a !== "")],
  ])("%s", (_name, schema) => {
    expect(runsUserCode(schema)).toBe(true);
  });

  it("is false for checks declared with literals, defaults included", () => {
    const schema = z.object({
      id: z.uuid(),
      email: z.string().email().max(200),
      qty: z.number().int().min(1).max(99),
      tags: z.array(z.string().regex(/^[a-z]+$/)).max(5),
      at: z.date().min(new Date(0)).optional(),
      theme: z.enum(["light", "dark"]).default("light"),
      items: z.array(z.object({ sku: z.string() })).default(() => []),
    });
    expect(runsUserCode(schema)).toBe(false);
  });
});

describe("checksHash", () => {
  it("ignores a function's source (minifying cannot change it) but not a literal check", () => {
    const a = z.object({ n: z.number().max(100), s: z.string().refine((value) => value.length > 0) });
    const minified = z.object({ n: z.number().max(100), s: z.string().refine((v) => v.length > 0) });
    const tightened = z.object({ n: z.number().max(10), s: z.string().refine((value) => value.length > 0) });
    expect(checksHash(minified)).toBe(checksHash(a));
    expect(schemaFingerprint(minified)).not.toBe(schemaFingerprint(a));
    expect(checksHash(tightened)).not.toBe(checksHash(a));
  });

  it("equals the schema fingerprint of a schema without functions (generated modules keep their hash)", () => {
    const schema = z.object({ n: z.number().int().min(1), roles: z.array(z.enum(["a", "b"])).default([]) });
    expect(checksHash(schema)).toBe(schemaFingerprint(schema));
  });
});
