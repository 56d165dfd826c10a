import fc from "fast-check";
import superjson from "superjson";
import { describe, expect, it } from "vitest";
import { SatchelError } from "../errors.ts";
import {
  decodeEnvelope,
  encodeEnvelope,
  encodeEnvelopeWithInfo,
  fastSuperjsonParse,
  fastSuperjsonStringify,
  type RecordInfo,
} from "./envelope.ts";

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

  it("writes a store record's info into the envelope's text exactly as superjson writes it", () => {
    const leaf = fc.oneof(fc.string(), fc.double(), fc.constant(undefined), fc.date({ noInvalidDate: true }));
    const info: fc.Arbitrary<RecordInfo> = fc.record(
      {
        createdAt: fc.oneof(fc.integer({ min: 0, max: 4_102_444_800_000 }), fc.double()),
        updatedAt: fc.oneof(fc.integer({ min: 0, max: 4_102_444_800_000 }), fc.double()),
        device: fc.string(),
        lifetime: fc.record({
          absolute: fc.integer(),
          idle: fc.oneof(fc.integer(), fc.constant(null)),
          persistent: fc.boolean(),
        }),
      },
      { requiredKeys: ["createdAt", "updatedAt"] },
    );
    const envelope = fc.record(
      {
        version: fc.integer(),
        data: fc.dictionary(
          fc.oneof(fc.string(), fc.constantFrom("a.b", "x\\y", "__proto__")),
          fc.oneof(leaf, fc.array(leaf, { maxLength: 3 })),
          { maxKeys: 4 },
        ),
        flash: fc.dictionary(fc.string(), fc.array(leaf, { maxLength: 2 }), { maxKeys: 2 }),
        messages: fc.array(fc.record({ level: fc.constant("info" as const), body: fc.string() }), {
          maxLength: 2,
        }),
      },
      { requiredKeys: ["version", "data"] },
    );
    fc.assert(
      fc.property(envelope, info, (env, recordInfo) => {
        let expected: string;
        try {
          expected = superjson.stringify({ ...env, info: recordInfo });
        } catch {
          // superjson refuses the data (a key named __proto__): so does the record.
          expect(() => encodeEnvelopeWithInfo(env, recordInfo)).toThrow(SatchelError);
          return;
        }
        const text = encodeEnvelopeWithInfo(env, recordInfo);
        expect(text).toBe(expected);
        expect(decodeEnvelope(text).info).toEqual(recordInfo);
      }),
      { numRuns: 1000 },
    );
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
