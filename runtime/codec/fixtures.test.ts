/**
 * Texts of formats 1, 2 and 3 written by the codecs of an earlier day (runtime/fixtures/
 * format3-sessions.json, see make-format3-fixture.ts) open today as they opened then: the same
 * envelope, the same trust, the same refusals; and today's writers write them byte for byte.
 */
import { readFileSync } from "node:fs";
import superjson from "superjson";
import { describe, expect, it } from "vitest";
import { kindsSchema, kindsValues } from "../test-support/codec-kinds.ts";
import { interpretedCodec } from "../test-support/interpreted-codec.ts";
import { testConfig } from "../test-support/schema.ts";
import { compileSessionCodec } from "./session-codec.ts";

interface FixtureText {
  text: string;
  authenticated: boolean;
  envelope?: string;
  trusted?: boolean;
  canonical?: boolean;
  malformed?: true;
}
const fixture: { texts: Record<string, FixtureText> } = JSON.parse(
  readFileSync(new URL("../fixtures/format3-sessions.json", import.meta.url), "utf8"),
);

const authSchema = testConfig.sessions.auth.schema;
const codecs = {
  keyed: compileSessionCodec(kindsSchema, 1),
  positional: compileSessionCodec(kindsSchema, 1, interpretedCodec(kindsSchema)),
  authKeyed: compileSessionCodec(authSchema, 1),
  authPositional: compileSessionCodec(authSchema, 1, interpretedCodec(authSchema)),
};
/** Today's writers of format 4 (a generated module with its key), reading what format 3 wrote. */
const format4Of = new Map([
  [codecs.positional, compileSessionCodec(kindsSchema, 1, interpretedCodec(kindsSchema, 1, true))],
  [codecs.authPositional, compileSessionCodec(authSchema, 1, interpretedCodec(authSchema, 1, true))],
]);
/** Which codec read each text when the fixture was written. */
function readerOf(name: string) {
  if (name === "format3-auth" || name === "format2-auth-read-by-positional") return codecs.authPositional;
  if (name.startsWith("format2-auth") || name.startsWith("format3-auth")) return codecs.authKeyed;
  return name.startsWith("format3") ? codecs.positional : codecs.keyed;
}

describe("fixture texts of formats 1, 2 and 3", () => {
  it("holds texts of every format, trusted and not, and refusals", () => {
    const names = Object.keys(fixture.texts);
    for (const prefix of ["format1-", "format2-", "format3-"])
      expect(names.some((n) => n.startsWith(prefix))).toBe(true);
    const all = Object.values(fixture.texts);
    expect(all.some((t) => t.trusted)).toBe(true);
    expect(all.some((t) => t.canonical)).toBe(true);
    expect(all.some((t) => t.malformed)).toBe(true);
  });

  for (const [name, expected] of Object.entries(fixture.texts)) {
    it(`opens ${name} as it did`, () => {
      const codec = readerOf(name);
      if (expected.malformed) {
        expect(() => codec.decode(expected.text, expected.authenticated)).toThrow(/^satchel: /);
        return;
      }
      const read = codec.decode(expected.text, expected.authenticated);
      expect(read.envelope).toEqual(superjson.parse(expected.envelope as string));
      expect({ trusted: read.trusted, canonical: read.canonical }).toEqual({
        trusted: expected.trusted,
        canonical: expected.canonical,
      });
    });
  }

  it("opens the format-3 texts with a format-4 writer as they opened: trusted when layout and checks are live", () => {
    let opened = 0;
    for (const [name, expected] of Object.entries(fixture.texts)) {
      const codec = format4Of.get(readerOf(name));
      if (codec === undefined || !name.startsWith("format3")) continue;
      expect(codec.format).toBe(4);
      opened++;
      if (expected.malformed) {
        expect(() => codec.decode(expected.text, expected.authenticated), name).toThrow(/^satchel: /);
        continue;
      }
      const read = codec.decode(expected.text, expected.authenticated);
      expect(read.envelope, name).toEqual(superjson.parse(expected.envelope as string));
      // Not canonical: re-encoding writes format 4, so a change is compared, not the text.
      expect({ trusted: read.trusted, canonical: read.canonical }, name).toEqual({
        trusted: expected.trusted,
        canonical: false,
      });
    }
    expect(opened).toBe(5);
  });

  it("writes today the texts formats 2 and 3 wrote then", () => {
    for (const [name, data] of Object.entries(kindsValues)) {
      expect(codecs.keyed.encode({ version: 1, data })).toBe(fixture.texts[`format2-${name}`]?.text);
      expect(codecs.positional.encode({ version: 1, data })).toBe(fixture.texts[`format3-${name}`]?.text);
      const pending = superjson.parse<{ flash: Record<string, unknown[]>; messages: never[] }>(
        fixture.texts[`format2-${name}-pending`]?.envelope as string,
      );
      const envelope = { version: 1, data, flash: pending.flash, messages: pending.messages };
      expect(codecs.keyed.encode(envelope)).toBe(fixture.texts[`format2-${name}-pending`]?.text);
      expect(codecs.positional.encode(envelope)).toBe(fixture.texts[`format3-${name}-pending`]?.text);
    }
  });
});
