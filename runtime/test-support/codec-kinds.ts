/**
 * A session schema with every kind of node a codec plan has (and the unions where the keyed and the
 * positional layouts differ: options that hold objects inside a nullable or an array), and values
 * for it. `runtime/fixtures/make-format3-fixture.ts` wrote this data in formats 1, 2 and 3 with the
 * codecs of that day; `runtime/codec/fixtures.test.ts` opens those texts with today's.
 */
import { z } from "zod";

const flags = Object.fromEntries(Array.from({ length: 31 }, (_, i) => [`flag${i}`, z.boolean().optional()]));

export const kindsSchema = z.object({
  name: z.string(),
  count: z.number().int().default(0),
  on: z.boolean().default(false),
  nothing: z.null().default(null),
  at: z.date(),
  big: z.bigint().default(0n),
  size: z.enum(["s", "m", "l"]).default("m"),
  level: z.union([z.literal(1), z.literal(2), z.literal(null)]).default(null),
  maybeDate: z.date().nullable().default(null),
  tags: z.array(z.string()).default([]),
  holes: z.array(z.string().optional()).default([]),
  ids: z.set(z.bigint()).default(new Set()),
  pair: z.tuple([z.number(), z.date()]).optional(),
  byName: z.record(z.string(), z.object({ at: z.date(), n: z.number() })).default({}),
  byDay: z.map(z.date(), z.set(z.string())).default(new Map()),
  payment: z
    .discriminatedUnion("kind", [
      z.object({ kind: z.literal("card"), last4: z.string() }),
      z.object({ kind: z.literal("invoice"), dueDays: z.number().int().optional() }),
    ])
    .nullable()
    .default(null),
  either: z.union([z.string(), z.object({ id: z.string() }).nullable()]).default(""),
  many: z.union([z.number(), z.array(z.object({ sku: z.string() }))]).default(0),
  anything: z.unknown(),
  loose: z.looseObject({ a: z.string() }).optional(),
  settings: z.object(flags).default({}),
  note: z.string().optional(),
});

export type KindsData = z.output<typeof kindsSchema>;

/** Values that exercise every node, with and without the optional parts. */
export const kindsValues: Record<string, KindsData> = {
  full: kindsSchema.parse({
    name: "full",
    count: 3,
    on: true,
    at: new Date(Date.UTC(2026, 11, 1, 8, 30)),
    big: -12345678901234567890n,
    size: "l",
    level: 2,
    maybeDate: new Date(5),
    tags: ["a", "b"],
    holes: ["x", undefined, "z"],
    ids: new Set([1n, 2n]),
    pair: [7, new Date(9)],
    byName: { k: { at: new Date(11), n: 2 } },
    byDay: new Map([[new Date(13), new Set(["p", "q"])]]),
    payment: { kind: "invoice", dueDays: 30 },
    either: { id: "i1" },
    many: [{ sku: "s1" }, { sku: "s2" }],
    anything: { when: new Date(17), m: new Map([["k", 1n]]) },
    loose: { a: "x", extra: 1 },
    settings: { flag0: true, flag30: false },
    note: "hi",
  }),
  sparse: kindsSchema.parse({ name: "sparse", at: new Date(0), anything: "text", either: null }),
};
