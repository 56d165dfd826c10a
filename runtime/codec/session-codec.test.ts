import superjson from "superjson";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { encodeEnvelope } from "./envelope.ts";
import { checksHash, schemaFingerprint } from "./fingerprint.ts";
import { type GeneratedCodec, layoutHash, type Plan, planOf, positionalKey } from "./plan.ts";
import { planCodec } from "./plan-interpreter.ts";
import { compileSessionCodec, UnknownLayoutError } from "./session-codec.ts";

const signIn = z.object({
  userId: z.string(),
  roles: z.array(z.enum(["admin", "member"])),
  signedInAt: z.date(),
  nickname: z.string().optional(),
  theme: z.enum(["light", "dark"]).default("light"),
});

describe("compiled session codec", () => {
  it("writes plain JSON with keys, Dates as epoch ms, and reads its own text as trusted", () => {
    const codec = compileSessionCodec(signIn, 3);
    const data = {
      userId: "u1",
      roles: ["admin"],
      signedInAt: new Date(Date.UTC(2026, 0, 2)),
      theme: "dark",
    };
    const text = codec.encode({ version: 3, data });
    expect(text).toBe(
      `[2,3,${JSON.stringify(codec.fingerprint)},{"userId":"u1","roles":["admin"],"signedInAt":1767312000000,"theme":"dark"}]`,
    );
    const read = codec.decode(text, true);
    expect(read).toMatchObject({ trusted: true, canonical: true });
    expect(read.envelope).toEqual({ version: 3, data });
    expect(codec.encode(read.envelope)).toBe(text);
  });

  it("is smaller than the superjson envelope it replaces", () => {
    const codec = compileSessionCodec(signIn, 1);
    const envelope = {
      version: 1,
      data: { userId: "u1", roles: ["admin", "member"], signedInAt: new Date(0), theme: "light" },
    };
    expect(codec.encode(envelope).length).toBeLessThan(encodeEnvelope(envelope).length - 40);
  });

  it("round-trips Map, Set, BigInt, nullable, records, tuples and unions", () => {
    const schema = z.object({
      counts: z.map(z.string(), z.bigint()),
      tags: z.set(z.string()),
      maybe: z.date().nullable(),
      byId: z.record(z.string(), z.object({ at: z.date(), n: z.number() })),
      pair: z.tuple([z.string(), z.date()]),
      either: z.union([z.string(), z.number()]),
    });
    const codec = compileSessionCodec(schema, 1);
    const data = {
      counts: new Map([["a", 12345678901234567890n]]),
      tags: new Set(["x", "y"]),
      maybe: null,
      byId: { k: { at: new Date(5), n: 2 } },
      pair: ["p", new Date(9)],
      either: 4,
    };
    const text = codec.encode({ version: 1, data });
    const read = codec.decode(text, true);
    expect(read.trusted).toBe(true);
    expect(read.envelope.data).toEqual(data);
    expect(codec.encode(read.envelope)).toBe(text);
  });

  it("falls back to superjson for z.any() / z.unknown() parts, keeping undefined and Dates there", () => {
    const schema = z.object({ anything: z.unknown().optional(), note: z.string() });
    const codec = compileSessionCodec(schema, 1);
    for (const anything of [undefined, new Date(3), { deep: [1n, new Set([1])] }, "s"]) {
      const data = { anything, note: "" };
      const read = codec.decode(codec.encode({ version: 1, data }), true);
      expect(read.trusted).toBe(true);
      expect(read.canonical).toBe(false); // superjson parts: the snapshot is re-encoded, not trusted text
      expect(read.envelope.data).toEqual(data);
      expect("anything" in (read.envelope.data as object)).toBe(true);
    }
  });

  it("carries flash and messages through superjson", () => {
    const codec = compileSessionCodec(signIn, 1);
    const envelope = {
      version: 1,
      data: { userId: "u", roles: [], signedInAt: new Date(1), theme: "light" },
      flash: { notice: [new Date(2), "hi"] },
      messages: [{ level: "info" as const, body: "t", life: 5 }],
    };
    const read = codec.decode(codec.encode(envelope), true);
    expect(read.envelope).toEqual(envelope);
    expect(read.canonical).toBe(false);
  });

  it("structurally refuses data of the same fingerprint that its schema would not write", () => {
    const codec = compileSessionCodec(signIn, 1);
    const head = `[2,1,${JSON.stringify(codec.fingerprint)},`;
    const good = '{"userId":"u","roles":[],"signedInAt":1,"theme":"dark"}';
    expect(codec.decode(`${head}${good}]`, true).trusted).toBe(true);
    for (const bad of [
      '{"userId":1,"roles":[],"signedInAt":1,"theme":"dark"}', // wrong type
      '{"roles":[],"signedInAt":1,"theme":"dark"}', // required field missing
      '{"userId":"u","roles":["root"],"signedInAt":1,"theme":"dark"}', // not in the enum
      '{"userId":"u","roles":[],"signedInAt":"2026-01-01","theme":"dark"}', // a Date as text
      '{"userId":"u","roles":[],"signedInAt":1,"theme":"dark","admin":true}', // extra key
      "[]",
    ]) {
      expect(() => codec.decode(`${head}${bad}]`, true), bad).toThrow(/satchel: .*structure/);
    }
    expect(() => codec.decode("[2,1]", true)).toThrow(/unknown layout/);
    expect(() => codec.decode("[2,1,", true)).toThrow(/not valid JSON/);
  });

  it("reads another fingerprint or version leniently, untrusted, for migrations and zod", () => {
    const before = compileSessionCodec(z.object({ userId: z.string(), signedInAt: z.date() }), 1);
    const after = compileSessionCodec(signIn, 1);
    expect(before.fingerprint).not.toBe(after.fingerprint);
    const text = before.encode({ version: 1, data: { userId: "u", signedInAt: new Date(7) } });
    const read = after.decode(text, true);
    expect(read.trusted).toBe(false);
    expect(read.envelope.data).toEqual({ userId: "u", signedInAt: new Date(7) }); // zod adds the rest
    const older = compileSessionCodec(signIn, 2).decode(text, true);
    expect(older).toMatchObject({ trusted: false, envelope: { version: 1 } });
    expect(older.envelope.data).toEqual({ userId: "u", signedInAt: 7 }); // stored JSON form
  });

  it("still reads format-1 superjson envelopes (tokens issued before the compiled codec)", () => {
    const codec = compileSessionCodec(signIn, 1);
    const data = { userId: "u", roles: ["member"], signedInAt: new Date(1), theme: "light" };
    const read = codec.decode(superjson.stringify({ version: 1, data }), true);
    expect(read).toMatchObject({ trusted: false, canonical: false });
    expect(read.envelope.data).toEqual(data);
  });

  it("the fingerprint changes with checks, defaults and refinements, not with a rebuild", () => {
    const a = z.object({ n: z.number().min(1) });
    expect(schemaFingerprint(a)).toBe(schemaFingerprint(z.object({ n: z.number().min(1) })));
    expect(schemaFingerprint(a)).not.toBe(schemaFingerprint(z.object({ n: z.number().min(2) })));
    expect(schemaFingerprint(z.object({ s: z.string().default("a") }))).not.toBe(
      schemaFingerprint(z.object({ s: z.string().default("b") })),
    );
    expect(schemaFingerprint(z.object({ s: z.string().refine((v) => v !== "x") }))).not.toBe(
      schemaFingerprint(z.object({ s: z.string().refine((v) => v !== "y") })),
    );
  });
});

/**
 * A generated codec over the plan interpreter, counting its decodes. `checks`: given, the checks
 * hash it was generated for (another schema's: stale checks); else the schema's own, and then,
 * with `key`, the key gen emits since format 4 (without: a module from before format 4).
 */
function generated(
  schema: z.ZodType,
  version = 1,
  history: Record<string, Plan> = {},
  { key = false, checks = schemaFingerprint(schema) }: { key?: boolean; checks?: string } = {},
): GeneratedCodec & { decodes: number } {
  const plan = planOf(schema);
  const codec = planCodec(plan);
  const layout = layoutHash(plan);
  const out = {
    layout,
    checks,
    ...(key ? { key: positionalKey(layout, checks) } : {}),
    version,
    history,
    decodes: 0,
    encode: codec.encode,
    decode(wire: unknown) {
      out.decodes++;
      return codec.decode(wire);
    },
  };
  return out;
}

describe("format 3 (through a generated codec)", () => {
  const data = { userId: "u1", roles: ["admin"], signedInAt: new Date(5), theme: "dark" };

  it("writes positional data and reads it back trusted and canonical through the generated decode", () => {
    const gen = generated(signIn, 3);
    const codec = compileSessionCodec(signIn, 3, gen);
    expect(codec.format).toBe(3);
    const text = codec.encode({ version: 3, data });
    expect(text).toBe(`[3,3,"${gen.layout}","${gen.checks}",[0,"u1",["admin"],5,"dark"]]`);
    const read = codec.decode(text, true);
    expect(read).toMatchObject({ trusted: true, canonical: true });
    expect(read.envelope).toEqual({ version: 3, data });
    expect(gen.decodes).toBe(1);
    expect(codec.snapshot(read.envelope)).toBe(text);
  });

  it("carries flash and messages, and is not canonical with superjson parts", () => {
    const schema = z.object({ anything: z.unknown(), n: z.number() });
    const codec = compileSessionCodec(schema, 1, generated(schema));
    const envelope = {
      version: 1,
      data: { anything: new Set([1]), n: 1 },
      flash: { notice: [new Date(2)] },
      messages: [{ level: "info" as const, body: "t", life: 5 }],
    };
    const text = codec.encode(envelope);
    const read = codec.decode(text, true);
    expect(read.envelope).toEqual(envelope);
    expect(read).toMatchObject({ trusted: true, canonical: false });
    expect(codec.decode(codec.encode({ version: 1, data: envelope.data }), true)).toMatchObject({
      trusted: true,
      canonical: false,
    });
  });

  it("never trusts text that was not authenticated (a store record), in either format", () => {
    const codec = compileSessionCodec(signIn, 1, generated(signIn));
    const format2 = compileSessionCodec(signIn, 1);
    for (const text of [codec.encode({ version: 1, data }), format2.encode({ version: 1, data })]) {
      expect(codec.decode(text, true)).toMatchObject({ trusted: true });
      expect(codec.decode(text, false).trusted).toBe(false);
      const read = codec.decode(text); // not said to be authenticated (the default): a store record
      expect(read).toMatchObject({ trusted: false, canonical: false });
      expect(read.envelope.data).toEqual(data);
    }
  });

  it("reads format 2 trusted but not canonical (re-encoding gives format 3)", () => {
    const text = compileSessionCodec(signIn, 1).encode({ version: 1, data });
    expect(compileSessionCodec(signIn, 1, generated(signIn)).decode(text, true)).toMatchObject({
      trusted: true,
      canonical: false,
    });
  });

  it("trusts only this version and checks; refuses a wire that does not fit the layout", () => {
    const gen = generated(signIn);
    const codec = compileSessionCodec(signIn, 1, gen);
    const head = (version: number, checks: string) => `[3,${version},"${gen.layout}","${checks}",`;
    const wire = '[0,"u1",["admin"],5,"dark"]';
    expect(codec.decode(`${head(1, gen.checks)}${wire}]`, true).trusted).toBe(true);
    expect(codec.decode(`${head(1, "other")}${wire}]`, true).trusted).toBe(false);
    const older = codec.decode(`${head(0, gen.checks)}${wire}]`, true);
    expect(older).toMatchObject({ trusted: false, envelope: { version: 0, data } });
    for (const bad of ['[0,"u1",["root"],5,"dark"]', '[0,"u1",["admin"],5]', '{"userId":"u1"}']) {
      expect(() => codec.decode(`${head(1, gen.checks)}${bad}]`, true), bad).toThrow(
        /structure its layout writes/,
      );
    }
    expect(() => codec.decode(`[3,1,"${gen.layout}"]`, true)).toThrow(/unknown layout/);
    expect(() => codec.decode(`[3,1,"${gen.layout}","c",[],0]`, true)).toThrow(/unknown layout/);
  });

  it("reads earlier layouts from the history untrusted, and knows no others (unless newer)", () => {
    const v1 = z.object({ userId: z.string(), signedInAt: z.date() });
    const v1Text = compileSessionCodec(v1, 1, generated(v1)).encode({
      version: 1,
      data: { userId: "u", signedInAt: new Date(7) },
    });
    const v1Layout = layoutHash(planOf(v1));
    const codec = compileSessionCodec(signIn, 2, generated(signIn, 2, { [v1Layout]: planOf(v1) }));
    const read = codec.decode(v1Text, true);
    expect(read).toMatchObject({ trusted: false, canonical: false });
    expect(read.envelope).toEqual({ version: 1, data: { userId: "u", signedInAt: new Date(7) } });

    const unknowing = compileSessionCodec(signIn, 2, generated(signIn, 2));
    expect(() => unknowing.decode(v1Text, true)).toThrow(UnknownLayoutError);
    expect(() => unknowing.decode(v1Text, true)).toThrow(`layout "${v1Layout}"`);
    // Without any generated codec (the runtime codec), the same.
    expect(() => compileSessionCodec(signIn, 2).decode(v1Text, true)).toThrow(UnknownLayoutError);
    // A newer deploy's token: its version is reported (migrateData says newer-version).
    const v2Text = codec.encode({ version: 2, data });
    expect(compileSessionCodec(v1, 1).decode(v2Text, true).envelope).toEqual({ version: 2, data: undefined });
  });

  it("with a stale generated codec writes format 2, warns through onStale, and reads format 3", () => {
    const current = compileSessionCodec(signIn, 1, generated(signIn));
    const text = current.encode({ version: 1, data });
    let warned = 0;
    const staleLayout = generated(z.object({ userId: z.string() }));
    const stale = compileSessionCodec(signIn, 1, staleLayout, () => warned++);
    expect(warned).toBe(1);
    expect(stale.format).toBe(2);
    expect(stale.encode({ version: 1, data }).startsWith("[2,1,")).toBe(true);
    // The current layout is read by the interpreter; trusted by the runtime fingerprint.
    expect(stale.decode(text, true)).toMatchObject({ trusted: true, canonical: false, envelope: { data } });
    expect(staleLayout.decodes).toBe(0);
    // A stale codec still reads tokens of its own layout (untrusted).
    const own = staleLayout.encode({ userId: "old" });
    const ownText = `[3,1,"${staleLayout.layout}","${staleLayout.checks}",${JSON.stringify(own)}]`;
    expect(stale.decode(ownText, true)).toMatchObject({
      trusted: false,
      envelope: { data: { userId: "old" } },
    });
    // Stale by version only: the layout is the same, its decode reads, untrusted across versions.
    const staleVersion = generated(signIn, 2);
    const byVersion = compileSessionCodec(signIn, 1, staleVersion, () => warned++);
    expect(warned).toBe(2);
    expect(byVersion.decode(text, true)).toMatchObject({ trusted: true, envelope: { data } });
    expect(staleVersion.decodes).toBe(1);
  });

  it("snapshots data that does not fit the layout without throwing, distinct from what does", () => {
    const codec = compileSessionCodec(signIn, 1, generated(signIn));
    const partial = { version: 1, data: { roles: [], theme: "light" } };
    const withNull = { version: 1, data: { userId: null, roles: [], theme: "light" } };
    const wrong = { version: 1, data: { ...data, signedInAt: "yesterday" } };
    expect(codec.snapshot(partial)).toBe(encodeEnvelope(partial));
    expect(codec.snapshot(withNull)).not.toBe(codec.snapshot(partial));
    expect(codec.snapshot(wrong)).toBe(encodeEnvelope(wrong));
    expect(codec.snapshot({ version: 1, data })).toBe(codec.encode({ version: 1, data }));
  });
});

describe("format 4 (one key for layout and checks)", () => {
  const data = { userId: "u1", roles: ["admin"], signedInAt: new Date(5), theme: "dark" };
  const wire = '[0,"u1",["admin"],5,"dark"]';
  const liveKey = positionalKey(layoutHash(planOf(signIn)), checksHash(signIn));

  it("writes the live key through an up-to-date generated codec, 10 characters shorter than format 3", () => {
    const gen = generated(signIn, 3, {}, { key: true });
    const codec = compileSessionCodec(signIn, 3, gen);
    expect(codec.format).toBe(4);
    const text = codec.encode({ version: 3, data });
    expect(text).toBe(`[4,3,"${liveKey}",${wire}]`);
    const read = codec.decode(text, true);
    expect(read).toMatchObject({ trusted: true, canonical: true });
    expect(read.envelope).toEqual({ version: 3, data });
    expect(gen.decodes).toBe(1);
    expect(codec.snapshot(read.envelope)).toBe(text);
    const format3 = compileSessionCodec(signIn, 3, generated(signIn, 3)).encode({ version: 3, data });
    expect(format3.length - text.length).toBe(
      `,"${checksHash(signIn)}"`.length + gen.layout.length - liveKey.length,
    );
  });

  it("writes format 3 with a module from before format 4 (no key) or generated for other checks", () => {
    const keyless = compileSessionCodec(signIn, 1, generated(signIn));
    expect(keyless.format).toBe(3);
    expect(keyless.encode({ version: 1, data })).toMatch(/^\[3,1,/);
    let checksStale = 0;
    const staleChecks = generated(signIn, 1, {}, { key: true, checks: "other" });
    const stale = compileSessionCodec(signIn, 1, staleChecks, undefined, () => checksStale++);
    expect(checksStale).toBe(1);
    expect(stale.format).toBe(3);
    expect(stale.encode({ version: 1, data })).toBe(
      `[3,1,"${staleChecks.layout}","${checksHash(signIn)}",${wire}]`,
    );
    // It reads the tokens it wrote before the checks changed (its own key) untrusted: zod judges them.
    expect(stale.decode(`[4,1,"${staleChecks.key}",${wire}]`, true)).toMatchObject({
      trusted: false,
      envelope: { version: 1, data },
    });
    // And the live key's tokens trusted (the live schema's hash, not the module's).
    expect(stale.decode(`[4,1,"${liveKey}",${wire}]`, true).trusted).toBe(true);
  });

  it("writes the same text through the plan interpreter once the layout is recorded", () => {
    const recorded = { positional: true, plan: () => undefined };
    const runtime = compileSessionCodec(signIn, 1, undefined, undefined, undefined, recorded);
    expect(runtime.format).toBe(4);
    const text = runtime.encode({ version: 1, data });
    expect(text).toBe(
      compileSessionCodec(signIn, 1, generated(signIn, 1, {}, { key: true })).encode({ version: 1, data }),
    );
    expect(runtime.decode(text, true)).toMatchObject({ trusted: true, canonical: true, envelope: { data } });
  });

  it("trusts only this version and key; refuses a wire or an envelope that does not fit", () => {
    const codec = compileSessionCodec(signIn, 1, generated(signIn, 1, {}, { key: true }));
    expect(codec.decode(`[4,1,"${liveKey}",${wire}]`, true).trusted).toBe(true);
    expect(codec.decode(`[4,1,"${liveKey}",${wire}]`, false).trusted).toBe(false);
    expect(codec.decode(`[4,0,"${liveKey}",${wire}]`, true)).toMatchObject({
      trusted: false,
      envelope: { version: 0, data },
    });
    expect(() => codec.decode(`[4,1,"${liveKey}",[0,"u1",["root"],5,"dark"]]`, true)).toThrow(
      /structure its layout writes/,
    );
    for (const bad of [`[4,1,"${liveKey}"]`, `[4,1,"${liveKey}",[],0]`, `[4,1,7,${wire}]`]) {
      expect(() => codec.decode(bad, true), bad).toThrow(/unknown layout/);
    }
    // A key none knows is an unknown layout, unless the token is a newer deploy's.
    expect(() => codec.decode(`[4,1,"zz9plural",${wire}]`, true)).toThrow(UnknownLayoutError);
    expect(() => codec.decode(`[4,1,"zz9plural",${wire}]`, true)).toThrow('layout "zz9plural"');
    expect(codec.decode(`[4,2,"zz9plural",${wire}]`, true).envelope).toEqual({ version: 2, data: undefined });
  });

  it("reads format 3 trusted when its layout and checks are the live ones, and not canonical", () => {
    const text = compileSessionCodec(signIn, 1, generated(signIn)).encode({ version: 1, data });
    const codec = compileSessionCodec(signIn, 1, generated(signIn, 1, {}, { key: true }));
    expect(codec.decode(text, true)).toMatchObject({ trusted: true, canonical: false, envelope: { data } });
    const otherChecks = text.replace(`"${checksHash(signIn)}"`, '"other"');
    expect(codec.decode(otherChecks, true)).toMatchObject({ trusted: false, envelope: { data } });
  });

  it("reads an earlier layout's key and a key of other checks from the history, untrusted", () => {
    const v1 = z.object({ userId: z.string(), signedInAt: z.date() });
    const v1Text = compileSessionCodec(v1, 1, generated(v1, 1, {}, { key: true })).encode({
      version: 1,
      data: { userId: "u", signedInAt: new Date(7) },
    });
    const v1Key = positionalKey(layoutHash(planOf(v1)), checksHash(v1));
    expect(v1Text.startsWith(`[4,1,"${v1Key}",`)).toBe(true);
    const codec = compileSessionCodec(
      signIn,
      2,
      generated(signIn, 2, { [v1Key]: planOf(v1) }, { key: true }),
    );
    expect(codec.decode(v1Text, true)).toMatchObject({
      trusted: false,
      canonical: false,
      envelope: { version: 1, data: { userId: "u", signedInAt: new Date(7) } },
    });
    expect(() =>
      compileSessionCodec(signIn, 2, generated(signIn, 2, {}, { key: true })).decode(v1Text, true),
    ).toThrow(`layout "${v1Key}"`);
    // The same layout under looser checks: the plan kept under that key reads it, zod judges it.
    const loose = signIn.extend({ userId: z.string().max(50) });
    const looseText = compileSessionCodec(loose, 1, generated(loose, 1, {}, { key: true })).encode({
      version: 1,
      data,
    });
    const looseKey = positionalKey(layoutHash(planOf(loose)), checksHash(loose));
    expect(looseKey).not.toBe(liveKey);
    const reader = compileSessionCodec(
      signIn,
      1,
      generated(signIn, 1, { [looseKey]: planOf(loose) }, { key: true }),
    );
    expect(reader.decode(looseText, true)).toMatchObject({ trusted: false, envelope: { version: 1, data } });
  });
});
