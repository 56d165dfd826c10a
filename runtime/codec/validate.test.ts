import { describe, expect, it } from "vitest";
import { z } from "zod";
import { SessionValidationError } from "../errors.ts";
import { formatPath, validateForRead, validateForWrite } from "./validate.ts";

describe("validation", () => {
  const schema = z.object({
    userId: z.string().nullable().default(null),
    roles: z.array(z.enum(["admin", "member"])).default([]),
    items: z.array(z.object({ sku: z.string(), qty: z.number().int().positive() })).default([]),
  });

  it("formats paths like code", () => {
    expect(formatPath([])).toBe("(root)");
    expect(formatPath(["items", 0, "qty"])).toBe("items[0].qty");
    expect(formatPath(["a", "b"])).toBe("a.b");
  });

  it("returns parsed data on write, with defaults", () => {
    expect(validateForWrite("auth", schema, {})).toEqual({ userId: null, roles: [], items: [] });
  });

  it("throws SessionValidationError naming session and field on write", () => {
    try {
      validateForWrite("cart", schema, {
        items: [
          { sku: "a", qty: 1 },
          { sku: "b", qty: -1 },
        ],
      });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(SessionValidationError);
      const e = error as SessionValidationError;
      expect(e.session).toBe("cart");
      expect(e.path).toBe("items[1].qty");
      expect(e.message).toMatch(/^satchel: session "cart" field "items\[1\]\.qty" is invalid/);
    }
  });

  it("reports a schema with async refinements as a satchel error", () => {
    const asyncSchema = z.object({ a: z.string().refine(async () => true) });
    expect(() => validateForWrite("auth", asyncSchema, { a: "x" })).toThrow(/async refinements/);
    expect(validateForRead(asyncSchema, { a: "x" })).toMatchObject({ ok: false });
  });

  it("never throws on read; gives field paths without values", () => {
    expect(validateForRead(schema, { roles: ["admin"] })).toEqual({
      ok: true,
      data: { userId: null, roles: ["admin"], items: [] },
    });
    const bad = validateForRead(schema, { userId: "secret-value-123", roles: ["root"], items: "no" });
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.detail).toContain("roles[0]");
      expect(bad.detail).toContain("items");
      expect(bad.detail).not.toContain("secret-value-123");
    }
    for (const garbage of [null, undefined, 42, "x", []]) {
      expect(validateForRead(schema, garbage).ok).toBe(false);
    }
    const many = validateForRead(
      z.object({ a: z.string(), b: z.string(), c: z.string(), d: z.string(), e: z.string() }),
      {},
    );
    expect(!many.ok && many.detail).toMatch(/and 2 more$/);
  });
});
