/**
 * Emitted codecs against the runtime's plan interpreter (`planCodec`), the reference: for schemas
 * covering every plan kind, the emitted encode writes the same bytes, decode round-trips, and on
 * wires mutated everywhere (wrong type, length, mask, enum value, extra element or key) the emitted
 * decode throws exactly when the interpreter's does, and otherwise returns the same value.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import fc from "fast-check";
import {
  type GeneratedCodec,
  MAX_MASKED_FIELDS,
  type Plan,
  type PlanField,
  planCodec,
  planOf,
} from "satchel/internal";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { CodecModule, describeLayout } from "./emit-codec.ts";

const runs = Number(process.env.SATCHEL_FUZZ_RUNS ?? 30);
const directory = mkdtempSync(path.join(tmpdir(), "satchel-emit-codec-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

/** The module `satchel gen` would write for one session, reduced to its codec. */
function codecModule(plan: Plan, history: Record<string, Plan> = {}): string {
  const codecs = new CodecModule();
  const codec = codecs.emit({
    session: "test",
    typeStem: "Test",
    plan,
    layout: "layout",
    checks: "checks",
    key: "key",
    versionConstant: "TEST_VERSION",
    constant: "TEST_CODEC",
    history,
  });
  const imports = ["type GeneratedCodec", ...codecs.imports].join(", ");
  return [
    `import { ${imports} } from "satchel";`,
    "type TestData = Record<string, unknown>;",
    "export const TEST_VERSION = 1;",
    codec,
    codecs.sharedSource(),
    "",
  ].join("\n\n");
}

let loaded = 0;
async function load(plan: Plan): Promise<{ source: string; codec: GeneratedCodec }> {
  const source = codecModule(plan);
  const file = path.join(directory, `codec-${loaded++}.ts`);
  writeFileSync(file, source);
  const module = (await import(/* @vite-ignore */ file)) as { TEST_CODEC: GeneratedCodec };
  return { source, codec: module.TEST_CODEC };
}

// ---- values of a plan ---------------------------------------------------------------------------

const finite = fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => (Object.is(n, -0) ? 0 : n));
const text = fc.string({ maxLength: 6 });
/** What `z.unknown()` may hold: anything superjson writes, `undefined` included. */
const anything = fc.oneof(
  fc.constant(undefined),
  text,
  finite,
  fc.date({ noInvalidDate: true }),
  fc.bigInt(),
  fc.dictionary(text, fc.oneof(text, fc.integer(), fc.constant(null)), { maxKeys: 3 }),
  fc.array(fc.oneof(fc.integer(), fc.constant(undefined)), { maxLength: 3 }),
  fc.constant(new Map<unknown, unknown>([[1, new Set(["a"])]])),
);

/** Values whose wire `plan` describes (structure only: zod's checks are not the codec's business). */
function valuesOf(plan: Plan): fc.Arbitrary<unknown> {
  if (typeof plan === "string") {
    switch (plan) {
      case "string":
        return text;
      case "number":
        return finite;
      case "boolean":
        return fc.boolean();
      case "null":
        return fc.constant(null);
      case "date":
        return fc.date({ noInvalidDate: true });
      case "bigint":
        return fc.bigInt();
      case "superjson":
        return anything;
    }
  }
  switch (plan[0]) {
    case "enum":
      return fc.constantFrom(...plan[1]);
    case "nullable":
      return fc.option(valuesOf(plan[1]), { nil: null });
    case "array":
      return fc.array(valuesOf(plan[1]), { maxLength: 4 });
    case "set":
      return fc.array(valuesOf(plan[1]), { maxLength: 4 }).map((items) => new Set(items));
    case "tuple":
      return fc.tuple(...plan[1].map(valuesOf));
    case "record":
      return fc.dictionary(valuesOf(plan[1]) as fc.Arbitrary<string>, valuesOf(plan[2]), { maxKeys: 3 });
    case "map":
      return fc
        .array(fc.tuple(valuesOf(plan[1]), valuesOf(plan[2])), { maxLength: 3 })
        .map((e) => new Map(e));
    case "union":
      return fc.oneof(...plan[1].map(valuesOf));
    case "object":
    case "keyed": {
      const fields = plan[1].map(([key, field, optional]) => {
        const value = valuesOf(field);
        // Absent, or (a superjson field) present as undefined: both must round-trip as the interpreter does.
        const slot = optional
          ? fc.option(
              value.map((v) => ({ v })),
              { nil: undefined },
            )
          : value.map((v) => ({ v }));
        return slot.map((held) => [key, held] as const);
      });
      return fc.tuple(...fields).map((entries) => {
        const out: Record<string, unknown> = {};
        for (const [key, held] of entries) if (held !== undefined) out[key] = held.v;
        return out;
      });
    }
  }
}

// ---- mutated wires ------------------------------------------------------------------------------

/**
 * Every wire one change away from `wire` (written for `plan`): each node replaced by values of other
 * types, arrays lengthened and shortened, masks with each bit flipped, objects with a key added or
 * removed. Superjson parts are replaced whole: what is inside is superjson's business, and both
 * codecs hand it to the same `decodeSuperjsonPart`.
 */
function mutations(plan: Plan, wire: unknown): unknown[] {
  const out: unknown[] = [];
  const replacements = [null, "x", 1.5, -1, 2 ** 31, true, [], {}, [0], "12a", 0];
  const visit = (plan: Plan | undefined, node: unknown, replace: (value: unknown) => unknown) => {
    for (const other of replacements)
      if (JSON.stringify(other) !== JSON.stringify(node)) out.push(replace(other));
    if (plan === "superjson") return;
    if (Array.isArray(plan) && plan[0] === "nullable") plan = plan[1];
    const at = (i: number, item: Plan | undefined, list: unknown[]) =>
      visit(item, list[i], (value) => replace(list.map((x, j) => (j === i ? value : x))));
    if (Array.isArray(node)) {
      out.push(replace([...node, node[node.length - 1] ?? 0]), replace([...node, "extra"]));
      if (node.length > 0) out.push(replace(node.slice(0, -1)));
      const kind = typeof plan === "string" ? undefined : plan?.[0];
      if (kind === "object" && plan?.[0] === "object") {
        // Which plan each element has: the mask (when there is one) says which optional fields are there.
        const fields = plan[1];
        const masked = fields.some(([, , optional]) => optional);
        const mask = masked ? (node[0] as number) : 0;
        if (masked) {
          for (let bit = 0; bit <= 4; bit++) out.push(replace([mask ^ (1 << bit), ...node.slice(1)]));
          out.push(replace([2 ** MAX_MASKED_FIELDS, ...node.slice(1)]));
        }
        let index = masked ? 1 : 0;
        let bit = 1;
        for (const [, field, optional] of fields) {
          if (optional) {
            const present = (mask & bit) !== 0;
            bit <<= 1;
            if (!present) continue;
          }
          at(index++, field, node);
        }
      } else {
        node.forEach((_, i) => {
          let item: Plan | undefined;
          if (plan !== undefined && typeof plan !== "string") {
            if (plan[0] === "array" || plan[0] === "set") item = plan[1];
            else if (plan[0] === "tuple") item = plan[1][i];
            else if (plan[0] === "map") item = ["tuple", [plan[1], plan[2]]];
          }
          at(i, item, node);
        });
      }
    } else if (typeof node === "object" && node !== null) {
      const record = node as Record<string, unknown>;
      out.push(replace({ ...record, extra: 1 }));
      for (const key of Object.keys(record)) {
        const { [key]: _, ...without } = record;
        out.push(replace(without));
        let item: Plan | undefined;
        if (Array.isArray(plan) && plan[0] === "record") item = plan[2];
        if (Array.isArray(plan) && plan[0] === "keyed") {
          item = (plan[1] as readonly PlanField[]).find(([k]) => k === key)?.[1];
        }
        visit(item, record[key], (value) => replace({ ...record, [key]: value }));
      }
    }
  };
  visit(plan, wire, (value) => value);
  return out;
}

type Outcome = { ok: true; value: unknown } | { ok: false };
function attempt(decode: (wire: unknown) => unknown, wire: unknown): Outcome {
  try {
    return { ok: true, value: decode(wire) };
  } catch (error) {
    expect(error).toBeInstanceOf(Error);
    return { ok: false };
  }
}

// ---- the schemas --------------------------------------------------------------------------------

const address = z.object({ street: z.string(), zip: z.string().optional() });
const manyOptional = Object.fromEntries(
  Array.from({ length: MAX_MASKED_FIELDS + 1 }, (_, i) => [`f${i}`, z.number().optional()]),
);

const schemas: Record<string, z.ZodType> = {
  "JSON types only": z.object({
    userId: z.string().nullable(),
    n: z.number(),
    on: z.boolean(),
    nothing: z.null(),
    roles: z.array(z.enum(["admin", "member"])),
  }),
  "optional fields with a mask (all absent too)": z.object({
    a: z.string().optional(),
    b: z.number(),
    c: z.date().optional(),
    d: z.boolean().optional(),
    e: z.array(address).optional(),
  }),
  "only optional fields": z.object({ x: z.string().optional(), y: z.bigint().optional() }),
  "Date, BigInt, Map and Set": z.object({
    at: z.date(),
    maybeAt: z.date().nullable(),
    total: z.bigint(),
    counters: z.map(z.string(), z.number()),
    byDate: z.map(z.date(), z.set(z.bigint())),
    seen: z.set(z.string()),
  }),
  "nested objects in arrays": z.object({
    items: z.array(
      z.object({ sku: z.string(), qty: z.number(), added: z.date(), note: z.string().optional() }),
    ),
    billing: z.object({ address, vatId: z.string().nullable() }).nullable(),
    grid: z.array(z.array(z.object({ v: z.number() }))),
  }),
  "records, enums and literals": z.object({
    scores: z.record(z.string(), z.number()),
    byRole: z.record(z.enum(["admin", "member"]), z.date()),
    theme: z.enum(["light", "dark", "system"]),
    level: z.union([z.literal(1), z.literal(2), z.literal(true), z.literal(null)]),
    big: z.enum(["a", "b", "c", "d", "e", "f", "g", "h"]),
    format: z.literal("v1"),
  }),
  "unions with keyed objects": z.object({
    contact: z.union([
      z.object({ email: z.string() }),
      z.object({ phone: z.string(), ext: z.number().optional() }),
    ]),
    payment: z
      .discriminatedUnion("kind", [
        z.object({ kind: z.literal("card"), last4: z.string() }),
        z.object({ kind: z.literal("invoice"), dueDays: z.number() }),
      ])
      .optional(),
    either: z.union([z.string(), z.array(z.number()), z.null()]),
  }),
  "superjson parts": z.object({
    anything: z.unknown(),
    loose: z.looseObject({ a: z.string() }),
    changed: z.string().transform((s) => s.length),
    items: z.array(z.string().optional()),
    mixed: z.union([z.date(), z.string()]),
    note: z.string(),
  }),
  tuples: z.object({
    point: z.tuple([z.number(), z.number()]),
    stamped: z.tuple([z.date(), z.string().nullable(), z.bigint()]).optional(),
  }),
  "more optional fields than a mask holds (keyed)": z.object({ ...manyOptional, when: z.date() }),
  "keys that are not identifiers": z.object({
    "content-type": z.string().optional(),
    "0": z.number(),
    "a b": z.union([z.object({ "x-y": z.string() }), z.null()]),
  }),
  "empty object": z.object({}),
  "a root that is not an object": z.union([z.object({ a: z.string() }), z.object({ b: z.number() })]),
};

describe("emitted codecs match the plan interpreter", () => {
  it("covers every plan kind", () => {
    const kinds = new Set<string>();
    const walk = (plan: Plan): void => {
      if (typeof plan === "string") {
        kinds.add(plan);
        return;
      }
      kinds.add(plan[0]);
      if (plan[0] === "object" || plan[0] === "keyed") {
        for (const [, field, optional] of plan[1]) {
          if (optional) kinds.add(`optional ${plan[0]} field`);
          walk(field);
        }
      } else if (plan[0] === "tuple" || plan[0] === "union") plan[1].forEach(walk);
      else if (plan[0] === "record" || plan[0] === "map") {
        walk(plan[1]);
        walk(plan[2]);
      } else if (plan[0] !== "enum") walk(plan[1]);
    };
    for (const schema of Object.values(schemas)) walk(planOf(schema));
    expect([...kinds].sort()).toEqual(
      [
        ...["string", "number", "boolean", "null", "date", "bigint", "superjson"],
        ...["enum", "nullable", "array", "set", "tuple", "record", "map", "union", "object", "keyed"],
        ...["optional object field", "optional keyed field"],
      ].sort(),
    );
  });

  it.each(Object.entries(schemas))("%s", async (_, schema) => {
    const plan = planOf(schema);
    const { codec } = await load(plan);
    const reference = planCodec(plan);
    let refused = 0;
    fc.assert(
      fc.property(valuesOf(plan), (value) => {
        const text = JSON.stringify(codec.encode(value));
        expect(text).toBe(JSON.stringify(reference.encode(value)));
        const wire: unknown = JSON.parse(text);
        const back = codec.decode(wire);
        expect(back).toStrictEqual(reference.decode(wire));
        expect(JSON.stringify(codec.encode(back))).toBe(text);
        for (const mutated of mutations(plan, wire)) {
          const ours = attempt(codec.decode, mutated);
          const theirs = attempt(reference.decode, mutated);
          expect(ours.ok, `decode of ${JSON.stringify(mutated)}`).toBe(theirs.ok);
          if (ours.ok && theirs.ok) expect(ours.value).toStrictEqual(theirs.value);
          else refused++;
        }
      }),
      { numRuns: runs },
    );
    // The mutations did reach the checks: most changed wires are refused.
    expect(refused).toBeGreaterThan(runs);
  });

  it("round-trips to the data, with superjson parts present as undefined kept", async () => {
    const plan = planOf(schemas["superjson parts"]!);
    const { codec } = await load(plan);
    const value = {
      anything: undefined,
      loose: { a: "x", extra: new Date(5) },
      changed: 3,
      items: ["a", undefined],
      mixed: new Date(9),
      note: "",
    };
    const back = codec.decode(JSON.parse(JSON.stringify(codec.encode(value)))) as Record<string, unknown>;
    expect(back).toStrictEqual(value);
    expect(Object.hasOwn(back, "anything")).toBe(true);
  });
});

describe("fields named like what every object inherits", () => {
  // planCodec reads `record.constructor` as the inherited function (see the report of issue 13);
  // emitted codecs read such keys as own properties only.
  it("are absent unless the data has them as its own", async () => {
    const plan = planOf(
      z.object({
        constructor: z.string().optional(),
        toString: z.unknown(),
        n: z.number(),
        pick: z.union([z.object({ valueOf: z.number().optional() }), z.null()]),
      }),
    );
    const { codec } = await load(plan);
    const wire = JSON.parse(JSON.stringify(codec.encode({ n: 1, pick: {} })));
    expect(wire).toEqual([0, 1, {}]);
    expect(codec.decode(wire)).toStrictEqual({ n: 1, pick: {} });
    const full = JSON.parse('{"constructor":"c","n":1,"pick":{"valueOf":2}}') as Record<string, unknown>;
    Object.defineProperty(full, "toString", { value: undefined, enumerable: true, writable: true });
    const back = codec.decode(JSON.parse(JSON.stringify(codec.encode(full)))) as Record<string, unknown>;
    expect(back).toEqual(full);
    expect(Object.keys(back)).toEqual(["constructor", "toString", "n", "pick"]);
    expect(() => codec.decode([0, 1, { valueOf: "x" }])).toThrow(/data does not fit/);
  });
});

describe("emitted decode refuses", () => {
  const plan = planOf(
    z.object({
      a: z.string(),
      at: z.date(),
      n: z.bigint(),
      role: z.enum(["admin", "member"]),
      tags: z.array(z.string()),
      maybe: z.number().optional(),
    }),
  );
  const good = [1, "a", 5, "12", "admin", ["t"], 2];
  const cases: [string, unknown][] = [
    ["not an array", { a: "a" }],
    ["a wrong type", [0, 7, 5, "12", "admin", []]],
    ["an array one too long", [...good, 3]],
    ["an array one too short (mask says present)", good.slice(0, -1)],
    ["a mask with an unknown bit", [3, ...good.slice(1)]],
    ["a mask that is not an integer", [0.5, ...good.slice(1, -1)]],
    ["a negative mask", [-1, ...good.slice(1)]],
    ["a value not in the enum", [0, "a", 5, "12", "root", []]],
    ["a date that is not a number", [0, "a", "5", "12", "admin", []]],
    ["a bigint that is not decimal text", [0, "a", 5, "1e3", "admin", []]],
    ["an extra element in a nested array of the wrong type", [0, "a", 5, "12", "admin", ["t", 1]]],
  ];
  it.each(cases)("%s, as the interpreter does", async (_, wire) => {
    const { codec } = await load(plan);
    expect(codec.decode(good)).toEqual({
      a: "a",
      at: new Date(5),
      n: 12n,
      role: "admin",
      tags: ["t"],
      maybe: 2,
    });
    expect(() => planCodec(plan).decode(wire)).toThrow();
    expect(() => codec.decode(wire)).toThrow(
      /^satchel: session "test" data does not fit its generated layout/,
    );
  });
});

describe("emitted source", () => {
  it("is one readable codec: a comment line naming the layout, helpers per nested node, history as plans", () => {
    const plan = planOf(
      z.object({ items: z.array(z.object({ at: z.date() })), note: z.string().optional() }),
    );
    const older = planOf(z.object({ items: z.array(z.object({ at: z.date() })) }));
    const source = codecModule(plan, { older: older });
    expect(source).toContain(`/** Codec of "test", layout layout: ${describeLayout(plan)}. */`);
    expect(describeLayout(plan)).toBe("[mask(note), items, note?]");
    expect(source).toMatch(/function encodeTestItems\(value: unknown\): unknown \{/);
    expect(source).toMatch(/function decodeTestItemsItem\(wire: unknown\): unknown \{/);
    expect(source).toContain(`"older": ${JSON.stringify(older)},`);
    // JSON types only: nothing walks the data on encode, and no superjson import.
    const plain = codecModule(planOf(z.object({ a: z.string(), b: z.array(z.number()) })));
    expect(plain).toContain("return [data.a, data.b];");
    expect(plain).toContain('import { type GeneratedCodec } from "satchel";');
  });

  it("checks an enum of many values with one Set", () => {
    const source = codecModule(planOf(z.object({ v: z.enum(["a", "b", "c", "d", "e", "f", "g"]) })));
    expect(source).toContain('const valuesTestV = new Set<unknown>(["a", "b", "c", "d", "e", "f", "g"]);');
    expect(source).toContain("if (!valuesTestV.has(v0))");
  });
});
