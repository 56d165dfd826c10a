import { describe, expect, it } from "vitest";
import { z } from "zod";
import { schemaFingerprint } from "../../codec/fingerprint.ts";
import { layoutHash, type Plan, planOf } from "../../codec/plan.ts";
import { planCodec } from "../../codec/plan-interpreter.ts";
import { defineSessions, type SessionsConfig } from "../../define.ts";
import { createSatchel } from "../../satchel.ts";
import { hostRuntimeOf } from "../../session/host-runtime.ts";
import { createMemoryStore } from "../../stores/memory.ts";
import type { SessionHandle } from "../../types.ts";
import { inspectSessions } from "./decode.ts";

const SECRET = "inspector-decode-secret-0123456789abcdefghijk";
const v1Schema = z.object({ name: z.string() });
const v2Schema = z.object({ name: z.string(), seen: z.date().optional() });
type Types = { prefs: SessionHandle<{ name: string }> };

/** A satchel whose prefs session seals through the interpreter of its plan (format 3). */
function satchelOf(
  config: SessionsConfig,
  schema: z.ZodType,
  version: number,
  history: Record<string, Plan>,
) {
  const plan = planOf(schema);
  const codec = planCodec(plan);
  return createSatchel<Types>(config, {
    secrets: SECRET,
    store: createMemoryStore(),
    codecs: {
      prefs: {
        layout: layoutHash(plan),
        checks: schemaFingerprint(schema),
        version,
        encode: codec.encode,
        decode: codec.decode,
        history,
      },
    },
  });
}

describe("inspectSessions", () => {
  it("decodes a format-3 cookie of an earlier layout with the satchel's codec (its history)", async () => {
    const v1 = defineSessions({ prefs: { storage: "cookie", schema: v1Schema } });
    const v2 = defineSessions({
      prefs: { storage: "cookie", schema: v2Schema, version: 2, migrations: { 2: (d: unknown) => d } },
    });
    const writer = satchelOf(v1, v1Schema, 1, {});
    const sessions = writer.fromRequest(new Request("http://x/"));
    (await sessions.get("prefs")).name = "ada";
    await sessions.commit();
    const cookie = (sessions.apply(new Response()).headers.getSetCookie()[0] as string).split(
      ";",
    )[0] as string;
    const request = new Request("http://x/_satchel", { headers: { cookie } });

    const reader = satchelOf(v2, v2Schema, 2, { [layoutHash(planOf(v1Schema))]: planOf(v1Schema) });
    const host = hostRuntimeOf(reader);
    const deps = { now: Date.now(), sealer: () => host.sealer(), store: async () => createMemoryStore() };
    const [withCodec] = await inspectSessions(v2, request, { ...deps, codec: (def) => host.codec(def) });
    expect(withCodec).toMatchObject({ status: "ok", storedVersion: 1, currentVersion: 2 });
    expect(withCodec?.fields).toEqual([
      { name: "name", type: "string", set: true, value: '"ada"', declared: true },
      { name: "seen", type: "Date?", set: false, value: "", declared: true },
    ]);
    // The runtime codec alone has no history: that layout is unknown to it.
    const [without] = await inspectSessions(v2, request, deps);
    expect(without?.status).toBe("undecodable");
  });
});

describe("inspectSessions with both cookie forms", () => {
  it("shows the chunked session a tossed garbage plain cookie sits next to, as the session layer reads it", async () => {
    const schema = z.object({ name: z.string(), notes: z.array(z.string()) });
    const config = defineSessions({ prefs: { storage: "cookie", schema, cookie: { hostPrefix: false } } });
    const satchel = createSatchel<{ prefs: SessionHandle<z.output<typeof schema>> }>(config, {
      secrets: SECRET,
      store: createMemoryStore(),
    });
    const sessions = satchel.fromRequest(new Request("http://x/"));
    const prefs = await sessions.get("prefs");
    prefs.name = "ada";
    // Random notes do not compress: the cookie is chunked.
    prefs.notes = Array.from({ length: 150 }, () => crypto.randomUUID());
    await sessions.commit();
    const chunks = sessions
      .apply(new Response())
      .headers.getSetCookie()
      .map((line) => line.split(";")[0] as string);
    expect(chunks.length).toBeGreaterThan(1);
    const host = hostRuntimeOf(satchel);
    const deps = { now: Date.now(), sealer: () => host.sealer(), store: async () => createMemoryStore() };
    for (const cookie of [
      ["prefs=garbage", ...chunks],
      [...chunks, "prefs=garbage"],
    ]) {
      const request = new Request("http://x/_satchel", { headers: { cookie: cookie.join("; ") } });
      const [seen] = await inspectSessions(config, request, deps);
      expect(seen).toMatchObject({ status: "ok" });
      expect(seen?.fields[0]).toMatchObject({ name: "name", value: '"ada"' });
    }
  });
});
