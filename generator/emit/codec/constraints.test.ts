/**
 * The generated `check` of every golden fixture's sessions, against zod (issue 23, item 3): over
 * values built around each schema's constraints (at, inside and outside every bound and pattern, with
 * missing, `undefined` and unknown keys, wrong types), the check accepts a value only when zod accepts
 * it and returns it unchanged, and refuses it only when zod refuses it or would change it (fill a
 * default, strip a key) — then zod runs, as it always did. Sessions whose schema runs the app's
 * functions, or has a part only zod decides, have no check at all.
 */
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import { type ConstraintPlan, constraintsOf, type GeneratedCodec } from "satchel/internal";
import { beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";

const runs = Number(process.env.SATCHEL_FUZZ_RUNS ?? 300);
const fixtures = fileURLToPath(new URL("../../fixtures/", import.meta.url));
const cases = readdirSync(fixtures).filter((name) =>
  existsSync(path.join(fixtures, name, "expected", "sessions.ts")),
);

beforeAll(() => {
  process.env.SESSION_SECRET ??= "generator-test-secret-that-is-long-enough-0123456789";
});

/** Values that fit no node in particular: wrong types for any of them. */
const junk = fc.oneof(
  fc.string({ maxLength: 3 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constantFrom(null, undefined, Number.NaN, Number.POSITIVE_INFINITY, -0),
  fc.constant(new Date(Number.NaN)),
  fc.constant([]),
  fc.constant({}),
);

/** Numbers at, just inside and just outside each bound, integers and fractions around them. */
function around(bounds: readonly number[]): fc.Arbitrary<number> {
  const near = bounds.flatMap((b) => [b, b - 1, b + 1, b - 0.5, b + 0.5, b - 1e-9, b + 1e-9]);
  return fc.oneof(
    fc.constantFrom(...near, 0, 1, -1, 2 ** 31, 2 ** 53, 2 ** 53 + 2),
    fc.integer({ min: -200, max: 200 }),
    fc.double({ min: -1e3, max: 1e3 }),
  );
}

/** Lengths and sizes at and around the declared ones. */
const sizes = (checks: readonly (readonly [string, ...unknown[]])[]) =>
  checks
    .flatMap(([kind, size]) => (kind === "pattern" ? [] : [size as number]))
    .flatMap((n) => [n - 1, n, n + 1]);

function stringArbitrary(checks: readonly (readonly [string, ...unknown[]])[]): fc.Arbitrary<string> {
  const lengths = sizes(checks).filter((n) => n >= 0);
  const patterns = checks.filter(([kind]) => kind === "pattern") as [string, string, string][];
  return fc.oneof(
    fc.string({ maxLength: 24 }),
    ...patterns.map(([, source, flags]) => fc.stringMatching(new RegExp(source, flags))),
    ...patterns.map(([, source, flags]) =>
      // A match with a character added or dropped: near the pattern, often outside it.
      fc
        .tuple(fc.stringMatching(new RegExp(source, flags)), fc.string({ maxLength: 1 }), fc.boolean())
        .map(([s, extra, drop]) => (drop ? s.slice(1) : s + extra)),
    ),
    ...(lengths.length > 0
      ? [fc.constantFrom(...lengths).chain((n) => fc.string({ minLength: n, maxLength: n }))]
      : []),
  );
}

/** Values for `plan`, mostly near what it accepts, sometimes junk. */
function values(plan: ConstraintPlan): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 6, arbitrary: fitting(plan) }, { weight: 1, arbitrary: junk });
}

function fitting(plan: ConstraintPlan): fc.Arbitrary<unknown> {
  if (plan === "any") return fc.anything();
  if (plan === "boolean") return fc.boolean();
  if (plan === "null") return fc.constant(null);
  switch (plan[0]) {
    case "string":
      return stringArbitrary(plan[1]);
    case "number":
      return around(plan[1].flatMap((c) => (c[0] === "int" ? [] : [c[1]])));
    case "date":
      return around(plan[1].map(([, ms]) => ms)).map((ms) => new Date(ms));
    case "bigint":
      return fc.bigInt();
    case "enum":
      return fc.constantFrom(...plan[1]);
    case "nullable":
      return fc.oneof(fc.constant(null), values(plan[1]));
    case "optional":
      return fc.oneof(fc.constant(undefined), values(plan[1]));
    case "array":
    case "set": {
      const max = Math.max(4, ...sizes(plan[2]));
      const items = fc.array(values(plan[1]), { maxLength: max });
      return plan[0] === "array" ? items : items.map((list) => new Set(list));
    }
    case "tuple":
      return fc.tuple(...plan[1].map(values));
    case "record":
      return fc.dictionary(fc.string({ maxLength: 3 }), values(plan[1]), {
        maxKeys: 3,
        noNullPrototype: true,
      });
    case "map":
      return fc.array(fc.tuple(values(plan[1]), values(plan[2])), { maxLength: 3 }).map((e) => new Map(e));
    case "union":
      return fc.oneof(...plan[1].map(values));
    case "object": {
      const model = Object.fromEntries(plan[1].map(([key, field]) => [key, values(field)]));
      const keys = plan[1].map(([key]) => key);
      return fc.oneof(
        { weight: 4, arbitrary: fc.record(model, { noNullPrototype: true }) },
        { weight: 1, arbitrary: fc.record(model, { requiredKeys: [], noNullPrototype: true }) },
        // An unknown key zod would strip (or, strict, refuse).
        {
          weight: 1,
          arbitrary: fc
            .record(model, { noNullPrototype: true })
            .map((o) => ({ ...o, [`x${keys.length}`]: 1 })),
        },
        // A key present as undefined.
        {
          weight: 1,
          arbitrary: fc
            .tuple(
              fc.record(model, { noNullPrototype: true }),
              fc.constantFrom(...(keys.length > 0 ? keys : ["k"])),
            )
            .map(([o, key]) => ({ ...o, [key]: undefined })),
        },
      );
    }
  }
}

interface FixtureSession {
  fixture: string;
  session: string;
  schema: z.ZodType;
  codec: GeneratedCodec;
}

async function fixtureSessions(): Promise<FixtureSession[]> {
  const out: FixtureSession[] = [];
  for (const fixture of cases) {
    const config = (await import(path.join(fixtures, fixture, "sessions.schema.ts"))).default as {
      sessions: Record<string, { schema: z.ZodType }>;
    };
    const module = (await import(path.join(fixtures, fixture, "expected", "sessions.ts"))) as Record<
      string,
      unknown
    >;
    for (const [session, def] of Object.entries(config.sessions)) {
      const constant = `${session.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase()}_CODEC`;
      const codec = module[constant] as GeneratedCodec | undefined;
      if (codec !== undefined) out.push({ fixture, session, schema: def.schema, codec });
    }
  }
  return out;
}

const sessions = await fixtureSessions();

describe("generated constraint checks agree with zod", () => {
  it("cover the golden fixtures, constraints of every kind among them", () => {
    expect(sessions.length).toBeGreaterThan(10);
    const checked = sessions
      .filter((s) => s.codec.check !== undefined)
      .map((s) => `${s.fixture}/${s.session}`);
    expect(checked).toEqual(
      expect.arrayContaining(["constraints/account", "constraints/basket", "codecs/cart"]),
    );
  });

  it.each(sessions.map((s) => [`${s.fixture}/${s.session}`, s] as const))(
    "%s",
    (_name, { schema, codec }) => {
      const plan = constraintsOf(schema);
      // A check exactly where the schema's constraints are all literal and no app function runs.
      expect(codec.check !== undefined).toBe(plan !== undefined);
      if (plan === undefined || codec.check === undefined) return;
      const check = codec.check;
      fc.assert(
        fc.property(values(plan), (value) => {
          const parsed = schema.safeParse(value);
          const unchanged = parsed.success && isDeepStrictEqual(parsed.data, value);
          // Accepted: zod accepts it and returns it unchanged. Refused: zod refuses it, or changes it.
          expect(check(value)).toBe(unchanged);
        }),
        { numRuns: runs },
      );
    },
  );

  it("refuses an object whose z.unknown() key is absent, which zod refuses too (seed 1226534973 found it)", () => {
    const basket = sessions.find((s) => s.fixture === "constraints" && s.session === "basket");
    const check = basket?.codec.check;
    if (basket === undefined || check === undefined)
      throw new Error("constraints/basket has no generated check");
    const base = { lines: [], tags: new Set(), notes: {}, seen: new Map(), point: null };
    expect(basket.schema.safeParse(base).success).toBe(false);
    expect(check(base)).toBe(false);
    // Present, even as undefined, it is any value.
    expect(basket.schema.safeParse({ ...base, anything: undefined }).success).toBe(true);
    expect(check({ ...base, anything: undefined })).toBe(true);
    expect(check({ ...base, anything: { deep: [1] } })).toBe(true);
  });

  it("refuses what the fixture's bounds refuse, and accepts what they allow", () => {
    const account = sessions.find((s) => s.fixture === "constraints" && s.session === "account");
    const check = account?.codec.check;
    if (check === undefined) throw new Error("constraints/account has no generated check");
    const valid = {
      id: "123e4567-e89b-12d3-a456-426614174000",
      email: "ada@example.org",
      handle: "ada_l",
      age: 36,
      score: 0.5,
      level: 0,
      role: "auditor",
      plan: 3,
      joinedAt: new Date(Date.UTC(2021, 5, 1)),
    };
    expect(check(valid)).toBe(true);
    for (const [field, bad] of Object.entries({
      id: "not-a-uuid",
      email: "ada@",
      handle: "Ada",
      age: 12.5,
      score: 1,
      level: -1,
      role: "root",
      plan: "enterprise",
      joinedAt: new Date(Date.UTC(2019, 0, 1)),
    })) {
      expect(check({ ...valid, [field]: bad }), field).toBe(false);
      expect(account?.schema.safeParse({ ...valid, [field]: bad }).success, field).toBe(false);
    }
  });
});
