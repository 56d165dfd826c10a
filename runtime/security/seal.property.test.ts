/**
 * Property tests of the sealed format: for random session data, seal → unseal is the identity
 * (through the real codec and sealer, and through whole requests via the Fetch adapter), and any
 * change to a token is rejected.
 */
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { packForCookie, unpackFromCookie } from "../codec/compress.ts";
import { decodeEnvelope, type Envelope, encodeEnvelope } from "../codec/envelope.ts";
import { base64urlDecode, base64urlEncode } from "../crypto/backend.ts";
import { createSealer, type SealTimes } from "../crypto/seal.ts";
import { CookieClient, SECRET_A, SECRET_B, testSatchel } from "../test-support/harness.ts";
import { FUZZ_RUNS, fuzzCasesSoFar, fuzzParameters, fuzzTimeout, reportFuzz } from "./fuzz-config.ts";
import { type FuzzTypes, fuzzConfig, sessionValue } from "./fuzz-schema.ts";

afterAll(() => {
  console.info(`[fuzz] seal.property: ${fuzzCasesSoFar()} cases in total (SATCHEL_FUZZ_RUNS=${FUZZ_RUNS})`);
});

const NOW = Date.UTC(2026, 0, 1);
const nowS = NOW / 1000;
const times: SealTimes = {
  createdAt: nowS,
  absoluteExpiresAt: nowS + 7 * 86_400,
  idleExpiresAt: nowS + 7200,
};
const sealer = createSealer([SECRET_A]);
const otherSealer = createSealer([SECRET_B]);

async function sealValue(value: unknown, session = "blob"): Promise<string> {
  const envelope: Envelope = { version: 1, data: { value, note: "" }, flash: { said: ["hi"] } };
  return sealer.seal(session, await packForCookie(encodeEnvelope(envelope)), times);
}

/** Everything a token change can be: a bit flip, a cut, extra bytes, or another secret's key id. */
type Mutation =
  | { kind: "flip"; at: number; mask: number }
  | { kind: "truncate"; keep: number }
  | { kind: "extend"; extra: Uint8Array }
  | { kind: "swap-key-id" };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant("flip" as const),
    at: fc.nat(),
    mask: fc.integer({ min: 1, max: 255 }),
  }),
  fc.record({ kind: fc.constant("truncate" as const), keep: fc.nat() }),
  fc.record({ kind: fc.constant("extend" as const), extra: fc.uint8Array({ minLength: 1, maxLength: 40 }) }),
  fc.constant({ kind: "swap-key-id" as const }),
);

function mutate(raw: Uint8Array, m: Mutation, otherKeyId: Uint8Array): Uint8Array {
  switch (m.kind) {
    case "flip": {
      const copy = raw.slice();
      const at = m.at % copy.length;
      copy[at] = (copy[at] as number) ^ m.mask;
      return copy;
    }
    case "truncate":
      return raw.slice(0, m.keep % raw.length);
    case "extend": {
      const copy = new Uint8Array(raw.length + m.extra.length);
      copy.set(raw, 0);
      copy.set(m.extra, raw.length);
      return copy;
    }
    case "swap-key-id": {
      const copy = raw.slice();
      copy.set(otherKeyId, 0);
      return copy;
    }
  }
}

describe("seal ∘ codec: identity on random session data", () => {
  it(
    "unseal(seal(encode(x))) decodes back to x, with the same times",
    async () => {
      const started = performance.now();
      const params = fuzzParameters<[unknown]>();
      await fc.assert(
        fc.asyncProperty(sessionValue, async (value) => {
          const token = await sealValue(value);
          const result = await sealer.unseal("blob", token, NOW);
          expect(result.ok).toBe(true);
          if (!result.ok) return;
          expect(result.times).toEqual(times);
          expect(result.staleKey).toBe(false);
          const envelope = decodeEnvelope(await unpackFromCookie(result.plaintext));
          expect(envelope).toEqual({ version: 1, data: { value, note: "" }, flash: { said: ["hi"] } });
        }),
        params,
      );
      reportFuzz("seal∘codec identity", params.numRuns ?? FUZZ_RUNS, started);
    },
    fuzzTimeout(10),
  );
});

describe("any change to a token is rejected", () => {
  it(
    "bit flips, truncation, extension and a swapped key id never unseal",
    async () => {
      const otherKeyId = (
        base64urlDecode(await otherSealer.seal("blob", new Uint8Array(1), times)) as Uint8Array
      )
        .subarray(0, 4)
        .slice();
      const reader = createSealer([SECRET_A, SECRET_B]); // knows both key ids: a swap must still fail
      const started = performance.now();
      const params = fuzzParameters<[unknown, Mutation]>();
      await fc.assert(
        fc.asyncProperty(sessionValue, mutation, async (value, m) => {
          const raw = base64urlDecode(await sealValue(value)) as Uint8Array;
          const changed = mutate(raw, m, otherKeyId);
          const result = await reader.unseal("blob", base64urlEncode(changed), NOW);
          expect(result.ok).toBe(false);
        }),
        params,
      );
      reportFuzz("byte-level token mutations", params.numRuns ?? FUZZ_RUNS, started);
    },
    fuzzTimeout(10),
  );

  it(
    "any edit of the token text (replace, insert, delete a character) never unseals",
    async () => {
      const edit = fc.record({
        at: fc.nat(),
        op: fc.constantFrom("replace", "insert", "delete"),
        char: fc.oneof(
          fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
          fc.string({ minLength: 1, maxLength: 1, unit: "binary" }),
        ),
      });
      const started = performance.now();
      const params = fuzzParameters<[unknown, { at: number; op: string; char: string }]>();
      await fc.assert(
        fc.asyncProperty(sessionValue, edit, async (value, e) => {
          const token = await sealValue(value);
          const at = e.at % token.length;
          let changed: string;
          if (e.op === "replace") changed = token.slice(0, at) + e.char + token.slice(at + 1);
          else if (e.op === "insert") changed = token.slice(0, at) + e.char + token.slice(at);
          else changed = token.slice(0, at) + token.slice(at + 1);
          fc.pre(changed !== token); // replacing a character by itself is no change
          const result = await sealer.unseal("blob", changed, NOW);
          expect(result.ok).toBe(false);
        }),
        params,
      );
      reportFuzz("text-level token edits", params.numRuns ?? FUZZ_RUNS, started);
    },
    fuzzTimeout(10),
  );

  it(
    "a token of another session name or another secret never unseals",
    async () => {
      const started = performance.now();
      const params = fuzzParameters<[unknown, string]>(0.5);
      await fc.assert(
        fc.asyncProperty(
          sessionValue,
          fc.oneof(fc.constantFrom("vault", "auth", "blob ", "Blob", ""), fc.string({ maxLength: 12 })),
          async (value, otherName) => {
            fc.pre(otherName !== "blob");
            const asOther = await sealValue(value, otherName);
            expect((await sealer.unseal("blob", asOther, NOW)).ok).toBe(false);
            const plaintext = await packForCookie(encodeEnvelope({ version: 1, data: { value, note: "" } }));
            const bySomeoneElse = await otherSealer.seal("blob", plaintext, times);
            expect(await sealer.unseal("blob", bySomeoneElse, NOW)).toEqual({
              ok: false,
              reason: "unknown-key",
            });
          },
        ),
        params,
      );
      reportFuzz("cross-session and foreign-secret tokens", params.numRuns ?? FUZZ_RUNS, started);
    },
    fuzzTimeout(15, 0.5),
  );
});

/** A client of a Fetch app whose `/write` stores `pending` in both sessions and `/read` echoes them. */
function fetchApp() {
  const setup = testSatchel<FuzzTypes>(fuzzConfig);
  const state = {
    pending: undefined as unknown,
    read: { blob: undefined as unknown, vault: undefined as unknown },
  };
  const seen = { blobNew: true, vaultNew: true };
  const handler = setup.satchel.handle(async (request, sessions) => {
    const blob = await sessions.get("blob");
    const vault = await sessions.get("vault");
    if (new URL(request.url).pathname === "/write") {
      blob.value = state.pending;
      vault.value = state.pending;
    } else {
      state.read = { blob: blob.value, vault: vault.value };
      seen.blobNew = blob.$isNew;
      seen.vaultNew = vault.$isNew;
    }
    return new Response("ok");
  });
  return { ...setup, state, seen, handler };
}

describe("Fetch adapter round trip", () => {
  it(
    "a value written in one request is read back equal in the next (cookie and store session)",
    async () => {
      const app = fetchApp();
      const started = performance.now();
      const params = fuzzParameters<[unknown]>(0.5);
      await fc.assert(
        fc.asyncProperty(sessionValue, async (value) => {
          const client = new CookieClient(app.handler);
          app.state.pending = value;
          expect((await client.fetch("/write")).status).toBe(200);
          expect((await client.fetch("/read")).status).toBe(200);
          expect(app.seen).toEqual({ blobNew: false, vaultNew: false });
          expect(app.state.read.blob).toEqual(value);
          expect(app.state.read.vault).toEqual(value);
        }),
        params,
      );
      expect(app.reports).toEqual([]);
      reportFuzz("Fetch round trip (cookie + store)", params.numRuns ?? FUZZ_RUNS, started);
      await app.satchel.close();
    },
    fuzzTimeout(40, 0.5),
  );

  it(
    "chunks reordered, or a chunk taken from another user's session, give a fresh session",
    async () => {
      const app = fetchApp();
      // Incompressible values of a few KB, so the blob cookie is always split into chunks.
      const bulky = fc
        .uint8Array({ minLength: 3000, maxLength: 7000 })
        .map((bytes) => Buffer.from(bytes).toString("hex"));
      const started = performance.now();
      const params = fuzzParameters<[string, string, number, boolean]>(0.1);
      await fc.assert(
        fc.asyncProperty(bulky, bulky, fc.nat(), fc.boolean(), async (mine, theirs, pick, swapOrder) => {
          const victim = new CookieClient(app.handler);
          const other = new CookieClient(app.handler);
          app.state.pending = mine;
          await victim.fetch("/write");
          app.state.pending = theirs;
          await other.fetch("/write");
          const chunks = [...victim.cookies.keys()].filter((name) => name.startsWith("blob."));
          expect(chunks.length).toBeGreaterThanOrEqual(2);
          const reports = app.reports.length;
          if (swapOrder) {
            // Swap two chunk values: same bytes, wrong order.
            const a = `blob.${pick % chunks.length}`;
            const b = `blob.${(pick + 1) % chunks.length}`;
            const va = victim.cookies.get(a) as string;
            victim.cookies.set(a, victim.cookies.get(b) as string);
            victim.cookies.set(b, va);
          } else {
            // Graft one chunk of another user's cookie onto the victim's.
            const name = `blob.${pick % chunks.length}`;
            const foreign = other.cookies.get(name);
            fc.pre(foreign !== undefined);
            victim.cookies.set(name, foreign as string);
          }
          expect((await victim.fetch("/read")).status).toBe(200);
          expect(app.seen.blobNew).toBe(true);
          expect(app.state.read.blob).toBeUndefined();
          expect(app.reports.length).toBe(reports + 1);
          expect(app.reports.at(-1)?.session).toBe("blob");
        }),
        params,
      );
      reportFuzz("chunk reorder / foreign chunk via Fetch", params.numRuns ?? FUZZ_RUNS, started);
      await app.satchel.close();
    },
    fuzzTimeout(80, 0.1),
  );
});
