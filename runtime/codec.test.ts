import fc from "fast-check";
import superjson from "superjson";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  compressor,
  decodeEnvelope,
  deflateWithStream,
  encodeEnvelope,
  fastSuperjsonParse,
  fastSuperjsonStringify,
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

  it("reports data superjson refuses as a satchel error", () => {
    expect(() => encodeEnvelope({ version: 1, data: { constructor: 1 } })).toThrow(
      /^satchel: session data cannot be serialized/,
    );
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

describe("fast superjson path", () => {
  it("writes exactly what superjson writes, for any generated value", () => {
    fc.assert(
      fc.property(
        fc.anything({
          withDate: true,
          withBigInt: true,
          withNullPrototype: true,
          withSparseArray: true,
          withMap: true,
          withSet: true,
          withBoxedValues: true,
          withTypedArray: true,
          key: fc.oneof(
            fc.string(),
            fc.constantFrom("a.b", "a\\b", "\\.", "..", "0", "__proto__", "constructor"),
          ),
        }),
        (value) => {
          const text = fastSuperjsonStringify(value);
          if (text !== undefined) expect(text).toBe(superjson.stringify(value));
          let reference: string;
          try {
            reference = superjson.stringify(value);
          } catch {
            return; // superjson refuses it (e.g. a "constructor" key); so does encodeEnvelope
          }
          expect(fastSuperjsonParse(reference)).toEqual(superjson.parse(reference));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("takes the fast path for session-shaped data, byte-identical to superjson", () => {
    const { tree } = fc.letrec((tie) => ({
      leaf: fc.oneof(
        fc.string(),
        fc.integer(),
        fc.double(),
        fc.boolean(),
        fc.constant(null),
        fc.constant(undefined),
        fc.date({ noInvalidDate: true }),
        fc.bigInt(),
      ),
      tree: fc.oneof(
        { depthSize: "small" },
        tie("leaf"),
        fc.array(tie("tree"), { maxLength: 4 }),
        fc.dictionary(fc.oneof(fc.string(), fc.constantFrom("a.b", "x\\y", "7")), tie("tree"), {
          maxKeys: 4,
        }),
      ),
    }));
    let fast = 0;
    fc.assert(
      fc.property(fc.dictionary(fc.string(), tree, { maxKeys: 5 }), (data) => {
        const envelope = { version: 1, data };
        const text = fastSuperjsonStringify(envelope);
        if (text === undefined) return;
        fast++;
        expect(text).toBe(superjson.stringify(envelope));
        expect(superjson.parse(text)).toEqual(envelope);
        expect(fastSuperjsonParse(text)).toEqual(envelope);
      }),
      { numRuns: 1000 },
    );
    // Only repeated NaN/BigInt values or reserved keys leave the fast path here.
    expect(fast).toBeGreaterThan(800);
  });

  it("covers the types sessions hold and reads back through superjson", () => {
    const value = {
      version: 1,
      data: {
        at: new Date(1_700_000_000_000),
        none: undefined,
        big: -(2n ** 70n),
        odd: [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 0, 1.5],
        "dotted.key": { "back\\slash": [undefined, new Date(0)] },
        nested: [[{ deep: [1, "two", null, true] }]],
      },
    };
    const text = fastSuperjsonStringify(value) as string;
    expect(text).toBe(superjson.stringify(value));
    expect(superjson.parse(text)).toEqual(value);
  });

  it("parses hostile meta without polluting prototypes", () => {
    const texts = [
      '{"json":{"a":"x"},"meta":{"values":{"__proto__.polluted":["Date"]},"v":1}}',
      '{"json":{"a":"x"},"meta":{"values":{"constructor.prototype.polluted":["undefined"]},"v":1}}',
      '{"json":{"a":{"b":1}},"meta":{"values":{"a.b.c.d":["Date"]},"v":1}}',
      '{"json":{"a":"1"},"meta":{"values":{"a":["bigint"]},"referentialEqualities":{"a":["b"]},"v":1}}',
      '{"json":{"a":"zz"},"meta":{"values":{"a":["bigint"]},"v":1}}',
      '{"json":{"a":"x"},"meta":{"values":{"a\\\\q":["Date"]},"v":1}}',
    ];
    for (const text of texts) {
      try {
        fastSuperjsonParse(text);
      } catch {
        // refusing is fine; polluting is not
      }
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(() =>
      decodeEnvelope(
        '{"json":{"version":1,"data":{"a":"zz"}},"meta":{"values":{"data.a":["bigint"]},"v":1}}',
      ),
    ).toThrow(SatchelError);
  });

  it("steps aside for what it does not handle", () => {
    const shared = { x: 1 };
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    class Point {
      x = 1;
    }
    for (const value of [
      { a: shared, b: shared },
      cyclic,
      { m: new Map() },
      { s: new Set() },
      { p: new Point() },
      { f: () => 1 },
      { r: /x/ },
      { d: new Date(Number.NaN) },
      { n: [Number.NaN, Number.NaN] },
      { b: [1n, 1n] },
      // biome-ignore lint/suspicious/noSparseArray: a hole is the point
      { h: [1, , 3] },
      JSON.parse('{"__proto__":1}'),
    ]) {
      expect(fastSuperjsonStringify(value)).toBeUndefined();
    }
    // Yet the envelope still round-trips them through superjson.
    const back = decodeEnvelope(
      encodeEnvelope({ version: 1, data: { a: shared, b: shared, m: new Map([[1, 2]]) } }),
    );
    const data = back.data as { a: object; b: object; m: Map<number, number> };
    expect(data.a).toBe(data.b);
    expect(data.m.get(1)).toBe(2);
  });
});

describe("packing for cookies", () => {
  const repetitive = JSON.stringify({
    items: Array.from({ length: 40 }, (_, i) => ({ sku: "SKU-0000", qty: i })),
  });
  /** Compression tried at any size (the default only tries it past 2 KB). */
  const DEFLATE = { minCompressBytes: 0 };

  it("uses node:zlib in Node", () => {
    expect(compressor).toBe("node:zlib");
  });

  it("deflates only when that makes it smaller", async () => {
    const packed = await packForCookie(repetitive, DEFLATE);
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

  it("compresses as well as zlib's defaults despite its smaller window", async () => {
    const { deflateRawSync } = await import("node:zlib");
    for (const length of [512, 700, 1500, 3000, 9000, 40_000]) {
      const text = JSON.stringify(
        Array.from({ length: Math.ceil(length / 10) }, (_, i) => ({
          id: (i * 2654435761) % 99991,
          tag: `t${i % 17}`,
        })),
      ).slice(0, length);
      expect(text).toHaveLength(length);
      const packed = await packForCookie(text, DEFLATE);
      expect(packed.length - 1, `length ${length}`).toBe(deflateRawSync(text).length);
      expect(await unpackFromCookie(packed)).toBe(text);
    }
  });

  it("does not try to deflate text under 2 KB: there a zlib round costs more than it saves", async () => {
    const short = "ab".repeat(60); // compressible, but under the threshold
    expect((await packForCookie(short))[0]).toBe(0);
    expect((await packForCookie(short, DEFLATE))[0]).toBe(1);
    expect(repetitive.length).toBeLessThan(2048);
    expect((await packForCookie(repetitive))[0]).toBe(0);
    const long = repetitive + repetitive + repetitive;
    expect(long.length).toBeGreaterThanOrEqual(2048);
    expect((await packForCookie(long))[0]).toBe(1);
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
    await expect(
      unpackFromCookie(await packForCookie(repetitive, DEFLATE), { maxBytes: 100 }),
    ).rejects.toThrow(SatchelError);
    expect(await unpackFromCookie(bomb, { maxBytes: 4 * 1024 * 1024 })).toHaveLength(3 * 1024 * 1024);
  });

  it("refuses unknown flags, corrupt deflate data and invalid UTF-8", async () => {
    await expect(unpackFromCookie(new Uint8Array([7, 1, 2]))).rejects.toThrow(/unknown format flag/);
    await expect(unpackFromCookie(new Uint8Array(0))).rejects.toThrow(SatchelError);
    await expect(unpackFromCookie(new Uint8Array([1, 0xff, 0xff, 0xff]))).rejects.toThrow(SatchelError);
    await expect(unpackFromCookie(new Uint8Array([0, 0xc3, 0x28]))).rejects.toThrow(/UTF-8/);
  });

  it("the CompressionStream fallback (edge runtimes) reads node:zlib output and guards size", async () => {
    const packed = await packForCookie(repetitive, DEFLATE);
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
