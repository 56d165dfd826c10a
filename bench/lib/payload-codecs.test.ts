/** The committed benchmark codecs are what the emitter writes today, and they seal through the public API. */
import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { PAYLOAD_CODECS_PATH, payloadCodecsSource } from "./gen-payload-codecs.ts";
import {
  largeSchema,
  largeSession,
  smallSchema,
  smallSession,
  tokenSchema,
  tokenSession,
} from "./payloads.ts";
import { satchelRoundTrip } from "./public-session.ts";

it("payload-codecs.ts is current (npx tsx bench/lib/gen-payload-codecs.ts rewrites it)", () => {
  expect(readFileSync(PAYLOAD_CODECS_PATH, "utf8")).toBe(payloadCodecsSource());
});

it.each([
  ["small", smallSchema, smallSession],
  ["large", largeSchema, largeSession],
  ["token", tokenSchema, tokenSession(2048)],
] as const)(
  "the %s session round-trips through createSatchel with its generated codec",
  async (_, schema, data) => {
    const warnings: unknown[] = [];
    const warn = console.warn;
    console.warn = (...args: unknown[]) => warnings.push(args);
    try {
      const generated = await satchelRoundTrip(schema, { ...data }, { fetch: true });
      const runtime = await satchelRoundTrip(schema, { ...data }, { fetch: true, codec: "runtime" });
      for (const write of [true, false, true]) {
        await generated.request(write);
        await runtime.request(write);
      }
      // Positional format 4 is smaller than keyed format 2 (no key names), so the codec was used.
      expect(generated.cookieBytes()).toBeLessThan(runtime.cookieBytes());
    } finally {
      console.warn = warn;
    }
    expect(warnings).toEqual([]); // no "generated codec does not match" warning
  },
);
