import { describe, expect, it } from "vitest";
import { z } from "zod";
import { SatchelError } from "../errors.ts";
import { decodeSuperjsonPart, encodeSuperjsonPart } from "./envelope.ts";
import { type Plan, planOf } from "./plan.ts";
import { planCodec } from "./plan-interpreter.ts";

/** Encodes, goes through JSON text as a token does, decodes. */
function roundTrip(plan: Plan, value: unknown): { wire: unknown; back: unknown } {
  const codec = planCodec(plan);
  const wire = JSON.parse(JSON.stringify(codec.encode(value)));
  return { wire, back: codec.decode(wire) };
}

describe("planCodec round trips", () => {
  it("writes an object positionally, in schema order, with Dates as epoch ms and BigInts as text", () => {
    const plan = planOf(
      z.object({
        userId: z.string().nullable(),
        roles: z.array(z.enum(["admin", "member"])),
        at: z.date(),
        count: z.bigint(),
        on: z.boolean(),
        nothing: z.null(),
        n: z.number(),
      }),
    );
    const value = {
      userId: "u1",
      roles: ["admin"],
      at: new Date(7),
      count: -12345678901234567890n,
      on: false,
      nothing: null,
      n: 1.5,
    };
    const { wire, back } = roundTrip(plan, value);
    expect(wire).toEqual(["u1", ["admin"], 7, "-12345678901234567890", false, null, 1.5]);
    expect(back).toEqual(value);
    expect(Object.keys(back as object)).toEqual(Object.keys(value));
  });

  it("flags the optional fields present in a leading mask and writes only those", () => {
    const plan = planOf(
      z.object({
        a: z.string().optional(),
        b: z.number(),
        c: z.date().optional(),
        d: z.boolean().optional(),
      }),
    );
    const cases: [Record<string, unknown>, unknown[]][] = [
      [{ b: 1 }, [0, 1]],
      [{ a: "x", b: 1 }, [1, "x", 1]],
      [{ b: 1, c: new Date(2) }, [2, 1, 2]],
      [{ a: "x", b: 1, c: new Date(2), d: true }, [7, "x", 1, 2, true]],
      [{ a: undefined, b: 1, d: false }, [4, 1, false]], // present as undefined → absent
    ];
    for (const [value, expected] of cases) {
      const { wire, back } = roundTrip(plan, value);
      expect(wire).toEqual(expected);
      const present = Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
      expect(back).toEqual(present);
      expect(Object.keys(back as object)).toEqual(Object.keys(present));
    }
  });

  it("keeps a superjson field that is present as undefined (z.unknown() set to undefined is a value)", () => {
    const plan = planOf(z.object({ anything: z.unknown(), note: z.string() }));
    for (const anything of [undefined, new Date(3), { deep: [1n, new Set([1]), new Map([[1, 2]])] }, "s"]) {
      const { back } = roundTrip(plan, { anything, note: "" });
      expect(back).toEqual({ anything, note: "" });
      expect(Object.hasOwn(back as object, "anything")).toBe(true);
    }
    const { wire, back } = roundTrip(plan, { note: "" });
    expect(wire).toEqual([0, ""]);
    expect(Object.hasOwn(back as object, "anything")).toBe(false);
  });

  it("reads fields named like Object.prototype members as own properties only", () => {
    const plan = planOf(z.object({ constructor: z.string().optional(), toString: z.unknown() }));
    // Absent: not the inherited function, so nothing is written for either.
    expect(planCodec(plan).encode({})).toEqual([0]);
    expect(roundTrip(plan, { constructor: "c", toString: 1 }).back).toEqual({
      constructor: "c",
      toString: 1,
    });
  });

  it("refuses a date that is not a finite number of epoch ms", () => {
    const codec = planCodec(planOf(z.object({ at: z.date() })));
    expect(codec.decode([0])).toEqual({ at: new Date(0) });
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, "0"])
      expect(() => codec.decode([bad])).toThrow(SatchelError);
  });

  it("round-trips nullable, arrays, sets, tuples, records, maps, unions and nested objects", () => {
    const plan = planOf(
      z.object({
        maybe: z.date().nullable(),
        tags: z.set(z.string()),
        pair: z.tuple([z.string(), z.date()]),
        byId: z.record(z.string(), z.object({ at: z.date(), n: z.number().optional() })),
        counts: z.map(z.string(), z.bigint()),
        either: z.union([z.string(), z.number()]),
        step: z.union([
          z.object({ kind: z.literal("a"), n: z.number() }),
          z.object({ kind: z.literal("b"), note: z.string().optional() }),
        ]),
        lines: z.array(z.object({ sku: z.string(), qty: z.number(), price: z.bigint() })),
        plainRecord: z.record(z.string(), z.number()),
        flags: z.enum(["x", "y"]).nullable(),
        items: z.array(z.string().optional()),
      }),
    );
    const value = {
      maybe: null,
      tags: new Set(["x", "y"]),
      pair: ["p", new Date(9)],
      byId: { k: { at: new Date(5), n: 2 }, j: { at: new Date(6) } },
      counts: new Map([
        ["a", 1n],
        ["b", 12345678901234567890n],
      ]),
      either: 4,
      step: { kind: "b" },
      lines: [{ sku: "s", qty: 2, price: 199n }],
      plainRecord: { a: 1 },
      flags: "y",
      items: ["a", undefined, "b"],
    };
    const { wire, back } = roundTrip(plan, value);
    expect(back).toEqual(value);
    expect((wire as unknown[])[3]).toEqual({ k: [1, 5, 2], j: [0, 6] });
    expect((wire as unknown[])[4]).toEqual([
      ["a", "1"],
      ["b", "12345678901234567890"],
    ]);
    expect((wire as unknown[])[6]).toEqual({ kind: "b" });
    expect(roundTrip(plan, { ...value, maybe: new Date(1), step: { kind: "a", n: 1 } }).back).toEqual({
      ...value,
      maybe: new Date(1),
      step: { kind: "a", n: 1 },
    });
  });

  it("round-trips keyed objects (more optional fields than a mask holds) and empty objects", () => {
    const shape = Object.fromEntries(Array.from({ length: 31 }, (_, i) => [`f${i}`, z.date().optional()]));
    const plan = planOf(z.object({ many: z.object(shape), none: z.object({}) }));
    const value = { many: { f0: new Date(1), f30: new Date(2) }, none: {} };
    const { wire, back } = roundTrip(plan, value);
    expect(wire).toEqual([{ f0: 1, f30: 2 }, []]);
    expect(back).toEqual(value);
  });

  it("writes a schema of JSON types as its value when the root is not an object", () => {
    const codec = planCodec(["array", "string"]);
    const value = ["a"];
    expect(codec.encode(value)).toBe(value);
  });

  it("encodes and decodes superjson parts for generated codecs", () => {
    expect(encodeSuperjsonPart("s")).toEqual(["s"]);
    const part = encodeSuperjsonPart(new Date(4));
    expect(part).toHaveLength(2);
    expect(decodeSuperjsonPart(JSON.parse(JSON.stringify(part)))).toEqual(new Date(4));
    expect(decodeSuperjsonPart(JSON.parse(JSON.stringify(encodeSuperjsonPart(undefined))))).toBeUndefined();
    for (const bad of [[], [1, 2, 3], "x", null, { json: 1 }, [1, { values: ["nope"] }]]) {
      expect(() => decodeSuperjsonPart(bad), JSON.stringify(bad)).toThrow(SatchelError);
    }
  });
});

describe("planCodec strict decode", () => {
  const plan = planOf(
    z.object({
      userId: z.string(),
      roles: z.array(z.enum(["admin", "member"])),
      at: z.date(),
      nick: z.string().optional(),
      count: z.bigint().optional(),
      pair: z.tuple([z.string(), z.number()]),
      byId: z.record(z.string(), z.number()),
      counts: z.map(z.string(), z.number()),
      step: z.union([z.object({ kind: z.literal("a") }), z.object({ kind: z.literal("b"), n: z.number() })]),
      extra: z.unknown(),
    }),
  );
  const codec = planCodec(plan);
  // mask 0b01 (nick present), userId, roles, at, nick, pair, byId, counts, step (extra absent: bit 2)
  const good = () => [1, "u", ["admin"], 5, "n", ["p", 1], { k: 1 }, [["a", 1]], { kind: "b", n: 2 }];

  it("accepts the wire it writes", () => {
    const value = codec.decode(good());
    expect(value).toEqual({
      userId: "u",
      roles: ["admin"],
      at: new Date(5),
      nick: "n",
      pair: ["p", 1],
      byId: { k: 1 },
      counts: new Map([["a", 1]]),
      step: { kind: "b", n: 2 },
    });
    expect(JSON.stringify(codec.encode(value))).toBe(JSON.stringify(good()));
  });

  const mutations: [string, (w: unknown[]) => unknown][] = [
    ["not an array", () => ({ userId: "u" })],
    ["one element short", (w) => w.slice(0, -1)],
    ["an extra element", (w) => [...w, 1]],
    ["a mask flagging an absent field", (w) => [3, ...w.slice(1)]],
    ["a mask bit beyond the optional fields", (w) => [1 | 8, ...w.slice(1)]],
    ["a negative mask", (w) => [-1, ...w.slice(1)]],
    ["a fractional mask", (w) => [1.5, ...w.slice(1)]],
    ["a mask as text", (w) => ["1", ...w.slice(1)]],
    ["a mask that drops a present field", (w) => [0, ...w.slice(1)]],
    ["a wrong type", (w) => [1, 7, ...w.slice(2)]],
    ["a value not in the enum", (w) => [1, "u", ["root"], ...w.slice(3)]],
    ["a Date as text", (w) => [1, "u", ["admin"], "1970-01-01", ...w.slice(4)]],
    ["a short tuple", (w) => [...w.slice(0, 5), ["p"], ...w.slice(6)]],
    ["a record with a wrong value", (w) => [...w.slice(0, 6), { k: "1" }, ...w.slice(7)]],
    [
      "a record with a __proto__ key",
      (w) => [...w.slice(0, 6), JSON.parse('{"__proto__":1}'), ...w.slice(7)],
    ],
    ["a map entry not a pair", (w) => [...w.slice(0, 7), [["a", 1, 2]], ...w.slice(8)]],
    ["a union option with an extra key", (w) => [...w.slice(0, 8), { kind: "a", n: 1 }]],
    ["a union option missing a key", (w) => [...w.slice(0, 8), { kind: "b" }]],
    ["a union value of no option", (w) => [...w.slice(0, 8), { kind: "c" }]],
    ["a union value that is positional", (w) => [...w.slice(0, 8), ["b", 2]]],
  ];
  for (const [name, mutate] of mutations) {
    it(`refuses ${name}`, () => {
      expect(() => codec.decode(mutate(good()))).toThrow(/^satchel: session data does not fit its layout/);
    });
  }

  it("says where the wire does not fit, without the value", () => {
    expect(() => codec.decode([1, "u", ["admin", "secret-role"], ...good().slice(3)])).toThrow(
      'satchel: session data does not fit its layout at data.roles[1] (expected one of "admin", "member").',
    );
  });

  it("refuses a malformed superjson part and a bigint that is not decimal text", () => {
    const withExtra = planCodec(planOf(z.object({ extra: z.unknown(), big: z.bigint() })));
    expect(withExtra.decode([1, ["x"], "12"])).toEqual({ extra: "x", big: 12n });
    expect(() => withExtra.decode([1, "x", "12"])).toThrow(/at data\.extra/);
    expect(() => withExtra.decode([1, ["x"], "1e3"])).toThrow(/at data\.big/);
    expect(() => withExtra.decode([1, ["x"], 12])).toThrow(/at data\.big/);
  });

  it("refuses keyed objects with extra or missing required keys", () => {
    const keyedPlan: Plan = [
      "keyed",
      [
        ["a", "date", false],
        ["b", "string", true],
      ],
    ];
    const keyed = planCodec(keyedPlan);
    expect(keyed.decode({ a: 1 })).toEqual({ a: new Date(1) });
    expect(keyed.decode({ a: 1, b: "x" })).toEqual({ a: new Date(1), b: "x" });
    for (const bad of [{ b: "x" }, { a: 1, c: 1 }, [1], null, { a: "1" }]) {
      expect(() => keyed.decode(bad), JSON.stringify(bad)).toThrow(SatchelError);
    }
  });
});
