import { describe, expect, it } from "vitest";
import { z } from "zod";
import config from "../../../sessions.schema.ts";
import { fieldTypeName } from "./describe-type.ts";

const typeOf = (schema: z.ZodType) => fieldTypeName(schema);

describe("fieldTypeName", () => {
  it("names the reference schema's fields as the generated types do", () => {
    const auth = config.sessions.auth.schema.shape;
    expect(typeOf(auth.userId)).toBe("string | null");
    expect(typeOf(auth.roles)).toBe('("admin" | "member")[]');
    expect(typeOf(auth.signedInAt)).toBe("Date?");
    expect(typeOf(config.sessions.cart.schema.shape.items)).toBe("{ sku: string; qty: number }[]");
  });

  it("shows enum members, literals, nullable and optional; a default fills the field in", () => {
    expect(typeOf(z.enum(["en", "de"]).default("en"))).toBe('"en" | "de"');
    expect(typeOf(z.literal(3))).toBe("3");
    expect(typeOf(z.number().int().optional())).toBe("number?");
    expect(typeOf(z.string().nullable().optional())).toBe("(string | null)?");
    expect(typeOf(z.string().optional().nullable())).toBe("(string | null)?");
    expect(typeOf(z.string().optional().default("x"))).toBe("string");
    expect(typeOf(z.array(z.string().optional()))).toBe("(string | undefined)[]");
    expect(typeOf(z.object({ a: z.string(), "b-c": z.number().optional() }).nullable())).toBe(
      '{ a: string; "b-c"?: number } | null',
    );
  });

  it("names containers, unions and what the schema cannot type", () => {
    expect(typeOf(z.map(z.string(), z.date()))).toBe("Map<string, Date>");
    expect(typeOf(z.set(z.bigint()))).toBe("Set<bigint>");
    expect(typeOf(z.record(z.string(), z.boolean()))).toBe("Record<string, boolean>");
    expect(typeOf(z.tuple([z.string(), z.number()]))).toBe("[string, number]");
    expect(typeOf(z.union([z.string(), z.number()]).array())).toBe("(string | number)[]");
    expect(typeOf(z.string().transform((s) => s.length))).toBe("unknown");
    expect(typeOf(z.preprocess((v) => v, z.number()))).toBe("number");
    expect(typeOf(z.any())).toBe("any");
    expect(typeOf(z.object({ a: z.object({ b: z.object({ c: z.object({ d: z.string() }) }) }) }))).toBe(
      "{ a: { b: { c: { … } } } }",
    );
    type Tree = { children: Tree[] };
    const tree: z.ZodType<Tree> = z.lazy(() => z.object({ children: z.array(tree) }));
    expect(typeOf(tree)).toBe("{ children: …[] }");
  });
});
