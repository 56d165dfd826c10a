import superjson from "superjson";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { encodeEnvelope } from "./codec.ts";
import { compileSessionCodec, schemaFingerprint } from "./compiled-codec.ts";

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
    const read = codec.decode(text);
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
    const read = codec.decode(text);
    expect(read.trusted).toBe(true);
    expect(read.envelope.data).toEqual(data);
    expect(codec.encode(read.envelope)).toBe(text);
  });

  it("falls back to superjson for z.any() / z.unknown() parts, keeping undefined and Dates there", () => {
    const schema = z.object({ anything: z.unknown().optional(), note: z.string() });
    const codec = compileSessionCodec(schema, 1);
    for (const anything of [undefined, new Date(3), { deep: [1n, new Set([1])] }, "s"]) {
      const data = { anything, note: "" };
      const read = codec.decode(codec.encode({ version: 1, data }));
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
    const read = codec.decode(codec.encode(envelope));
    expect(read.envelope).toEqual(envelope);
    expect(read.canonical).toBe(false);
  });

  it("structurally refuses data of the same fingerprint that its schema would not write", () => {
    const codec = compileSessionCodec(signIn, 1);
    const head = `[2,1,${JSON.stringify(codec.fingerprint)},`;
    const good = '{"userId":"u","roles":[],"signedInAt":1,"theme":"dark"}';
    expect(codec.decode(`${head}${good}]`).trusted).toBe(true);
    for (const bad of [
      '{"userId":1,"roles":[],"signedInAt":1,"theme":"dark"}', // wrong type
      '{"roles":[],"signedInAt":1,"theme":"dark"}', // required field missing
      '{"userId":"u","roles":["root"],"signedInAt":1,"theme":"dark"}', // not in the enum
      '{"userId":"u","roles":[],"signedInAt":"2026-01-01","theme":"dark"}', // a Date as text
      '{"userId":"u","roles":[],"signedInAt":1,"theme":"dark","admin":true}', // extra key
      "[]",
    ]) {
      expect(() => codec.decode(`${head}${bad}]`), bad).toThrow(/satchel: .*structure/);
    }
    expect(() => codec.decode("[2,1]")).toThrow(/unknown layout/);
    expect(() => codec.decode("[2,1,")).toThrow(/not valid JSON/);
  });

  it("reads another fingerprint or version leniently, untrusted, for migrations and zod", () => {
    const before = compileSessionCodec(z.object({ userId: z.string(), signedInAt: z.date() }), 1);
    const after = compileSessionCodec(signIn, 1);
    expect(before.fingerprint).not.toBe(after.fingerprint);
    const text = before.encode({ version: 1, data: { userId: "u", signedInAt: new Date(7) } });
    const read = after.decode(text);
    expect(read.trusted).toBe(false);
    expect(read.envelope.data).toEqual({ userId: "u", signedInAt: new Date(7) }); // zod adds the rest
    const older = compileSessionCodec(signIn, 2).decode(text);
    expect(older).toMatchObject({ trusted: false, envelope: { version: 1 } });
    expect(older.envelope.data).toEqual({ userId: "u", signedInAt: 7 }); // stored JSON form
  });

  it("still reads format-1 superjson envelopes (tokens issued before the compiled codec)", () => {
    const codec = compileSessionCodec(signIn, 1);
    const data = { userId: "u", roles: ["member"], signedInAt: new Date(1), theme: "light" };
    const read = codec.decode(superjson.stringify({ version: 1, data }));
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
