import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  compressor,
  decodeEnvelope,
  deflateWithStream,
  encodeEnvelope,
  formatPath,
  inflateWithStream,
  packForCookie,
  unpackFromCookie,
  validateForRead,
  validateForWrite,
} from "./codec.ts";
import { SatchelError, SessionValidationError } from "./errors.ts";

describe("envelope", () => {
  it("round-trips Date, Map, Set, BigInt and undefined", () => {
    const data = {
      signedInAt: new Date("2026-11-22T10:00:00.000Z"),
      seen: new Map<string, number>([["a", 1]]),
      tags: new Set(["x", "y"]),
      balance: 12_345_678_901_234_567_890n,
      maybe: undefined,
      nested: [{ when: new Date(0) }],
    };
    const envelope = {
      version: 3,
      data,
      flash: { notice: ["saved"] },
      messages: [{ level: "info" as const, body: "hi" }],
    };
    const back = decodeEnvelope(encodeEnvelope(envelope));
    expect(back).toEqual(envelope);
    const backData = back.data as typeof data;
    expect(backData.signedInAt).toBeInstanceOf(Date);
    expect(backData.seen).toBeInstanceOf(Map);
    expect(backData.tags).toBeInstanceOf(Set);
    expect(typeof backData.balance).toBe("bigint");
    expect("maybe" in backData).toBe(true);
  });

  it("omits absent flash and messages", () => {
    expect(decodeEnvelope(encodeEnvelope({ version: 1, data: { a: 1 } }))).toStrictEqual({
      version: 1,
      data: { a: 1 },
    });
  });

  it("rejects text that is not an envelope with a satchel error", () => {
    for (const bad of [
      "",
      "{",
      "null",
      "[]",
      '{"json":{"data":1}}',
      '{"json":{"version":"1","data":1}}',
      '{"json":{"version":1}}',
      '{"json":{"version":1,"data":1,"flash":{"a":1}}}',
      '{"json":{"version":1,"data":1,"messages":{}}}',
    ]) {
      expect(() => decodeEnvelope(bad), bad).toThrow(SatchelError);
    }
  });
});

describe("packing for cookies", () => {
  const repetitive = JSON.stringify({
    items: Array.from({ length: 40 }, (_, i) => ({ sku: "SKU-0000", qty: i })),
  });

  it("uses node:zlib in Node", () => {
    expect(compressor).toBe("node:zlib");
  });

  it("deflates only when that makes it smaller", async () => {
    const packed = await packForCookie(repetitive);
    expect(packed[0]).toBe(1);
    expect(packed.length).toBeLessThan(repetitive.length / 2);
    expect(await unpackFromCookie(packed)).toBe(repetitive);

    // Text deflate would only make larger stays raw, even when compression is tried.
    for (const text of ["xyzzy", "q8Z!kP", "a1b2c3d4e5f6g7h8"]) {
      const raw = await packForCookie(text, { minCompressBytes: 0 });
      expect(raw[0], text).toBe(0);
      expect(raw.length).toBe(text.length + 1);
      expect(await unpackFromCookie(raw)).toBe(text);
    }
  });

  it("does not try to deflate short text", async () => {
    const short = "ab".repeat(100); // compressible, but under the threshold
    expect((await packForCookie(short))[0]).toBe(0);
    expect((await packForCookie(short, { minCompressBytes: 0 }))[0]).toBe(1);
  });

  it("round-trips non-ASCII text", async () => {
    const text = `${"héllo wörld 🎒 ".repeat(60)}`;
    expect(await unpackFromCookie(await packForCookie(text))).toBe(text);
    expect(await unpackFromCookie(await packForCookie("ü🎒"))).toBe("ü🎒");
  });

  it("refuses a decompression bomb", async () => {
    const bomb = await packForCookie("a".repeat(3 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(10_000);
    await expect(unpackFromCookie(bomb)).rejects.toThrow(/satchel: .*limit/);
    await expect(unpackFromCookie(await packForCookie(repetitive), { maxBytes: 100 })).rejects.toThrow(
      SatchelError,
    );
    expect(await unpackFromCookie(bomb, { maxBytes: 4 * 1024 * 1024 })).toHaveLength(3 * 1024 * 1024);
  });

  it("refuses unknown flags, corrupt deflate data and invalid UTF-8", async () => {
    await expect(unpackFromCookie(new Uint8Array([7, 1, 2]))).rejects.toThrow(/unknown format flag/);
    await expect(unpackFromCookie(new Uint8Array(0))).rejects.toThrow(SatchelError);
    await expect(unpackFromCookie(new Uint8Array([1, 0xff, 0xff, 0xff]))).rejects.toThrow(SatchelError);
    await expect(unpackFromCookie(new Uint8Array([0, 0xc3, 0x28]))).rejects.toThrow(/UTF-8/);
  });

  it("the CompressionStream fallback (edge runtimes) reads node:zlib output and guards size", async () => {
    const packed = await packForCookie(repetitive);
    const inflated = await inflateWithStream(packed.subarray(1), 1024 * 1024);
    expect(new TextDecoder().decode(inflated)).toBe(repetitive);
    const deflated = await deflateWithStream(new TextEncoder().encode(repetitive));
    expect(await unpackFromCookie(Uint8Array.of(1, ...deflated))).toBe(repetitive);
    const bomb = await deflateWithStream(new Uint8Array(2 * 1024 * 1024));
    await expect(inflateWithStream(bomb, 1024 * 1024)).rejects.toThrow(/limit/);
    await expect(inflateWithStream(new Uint8Array([0xff, 0xff, 0xff]), 1024)).rejects.toThrow(SatchelError);
  });
});

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
