import { describe, expect, it } from "vitest";
import {
  base64urlDecode,
  base64urlEncode,
  type CryptoBackend,
  nodeCryptoBackend,
  webCryptoBackend,
} from "./backend.ts";
import { createSealer, type SealTimes, type UnsealResult } from "./seal.ts";

const OLD = "old-secret-old-secret-old-secret-0001";
const NEW = "new-secret-new-secret-new-secret-0002";
const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);
const nowS = NOW / 1000;
const times: SealTimes = { createdAt: nowS, absoluteExpiresAt: nowS + 3600, idleExpiresAt: nowS + 600 };
const payload = new TextEncoder().encode(
  JSON.stringify({ userId: "u_1", roles: ["admin"], note: "x".repeat(60) }),
);

const backends: [string, CryptoBackend][] = [
  ["node", nodeCryptoBackend() as CryptoBackend],
  ["webcrypto", webCryptoBackend],
];

function expectReason(result: UnsealResult, reason?: string) {
  expect(result.ok).toBe(false);
  if (reason !== undefined && !result.ok) expect(result.reason).toBe(reason);
}

describe.each(backends)("sealing with %s", (_name, backend) => {
  const sealer = createSealer([NEW], { backend });

  it("round-trips payload and times", async () => {
    const token = await sealer.seal("auth", payload, times);
    const result = await sealer.unseal("auth", token, NOW);
    expect(result).toEqual({ ok: true, plaintext: payload, times, staleKey: false });
  });

  it("seals of changing lengths in a row each get their own iv and all open afterwards", async () => {
    const sizes = [10, 300, 10, 300, 5000, 10];
    const texts = sizes.map((n, i) => new TextEncoder().encode(String(i).repeat(n)));
    const tokens: string[] = [];
    for (const text of texts) tokens.push(await sealer.seal("auth", text, times));
    const ivs = tokens.map((token) => token.slice(5, 22));
    expect(new Set(ivs).size).toBe(tokens.length);
    for (const [i, token] of tokens.entries()) {
      const opened = await sealer.unseal("auth", token, NOW);
      expect(opened.ok && opened.plaintext).toEqual(texts[i]);
    }
    // A token with its last (tag) byte changed still fails, after tokens that opened.
    const last = tokens[0] as string;
    const flipped = last.slice(0, -2) + (last.at(-2) === "A" ? "B" : "A") + last.slice(-1);
    expectReason(await sealer.unseal("auth", flipped, NOW), "tampered");
  });

  it("round-trips a session's binding and chosen lifetime (idle none, browser-session cookie)", async () => {
    const binding = new Uint8Array(16).map((_, i) => i * 7);
    const full: SealTimes = {
      ...times,
      binding,
      lifetime: { absolute: 30 * 86_400, idle: null, persistent: false },
    };
    const token = await sealer.seal("auth", payload, full);
    expect(await sealer.unseal("auth", token, NOW)).toEqual({
      ok: true,
      plaintext: payload,
      times: full,
      staleKey: false,
    });
    const chosen: SealTimes = { ...times, lifetime: { absolute: 3600, idle: 600, persistent: true } };
    const second = await sealer.unseal("auth", await sealer.seal("auth", payload, chosen), NOW);
    expect(second.ok && second.times).toEqual(chosen);
    await expect(sealer.seal("auth", payload, { ...times, binding: new Uint8Array(15) })).rejects.toThrow(
      /^satchel: seal\(\) got a binding of 15 bytes/,
    );
  });

  it("keeps a missing idle expiry absent", async () => {
    const noIdle = { ...times, idleExpiresAt: null };
    const token = await sealer.seal("auth", payload, noIdle);
    const result = await sealer.unseal("auth", token, NOW + 3_000_000);
    expect(result.ok && result.times).toEqual(noIdle);
  });

  it("is compact, URL-safe and never shows the payload or secret", async () => {
    const token = await sealer.seal("auth", payload, times);
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    // 4 keyId + 12 iv + 13 header + payload + 16 tag, base64url
    expect(token.length).toBe(Math.ceil(((4 + 12 + 13 + payload.length + 16) * 4) / 3));
    const raw = new TextDecoder("latin1").decode(base64urlDecode(token) as Uint8Array);
    expect(raw).not.toContain("userId");
    expect(raw).not.toContain(NEW.slice(0, 8));
  });

  it("uses a fresh iv for every seal", async () => {
    const tokens = new Set<string>();
    for (let i = 0; i < 300; i++) tokens.add(await sealer.seal("auth", payload, times));
    expect(tokens.size).toBe(300);
  });

  it("rejects the token when any single byte is flipped", async () => {
    const token = await sealer.seal("auth", payload, times);
    const raw = base64urlDecode(token) as Uint8Array;
    for (let position = 0; position < raw.length; position++) {
      for (const mask of [0x01, 0x80, 0xff]) {
        const copy = raw.slice();
        copy[position] = (copy[position] as number) ^ mask;
        const result = await sealer.unseal("auth", base64urlEncode(copy), NOW);
        // The first 4 bytes are the key id: a changed id names no key; anything else fails the tag.
        expectReason(result, position < 4 ? "unknown-key" : "tampered");
      }
    }
  });

  it("rejects the token when any single character is changed", async () => {
    const token = await sealer.seal("auth", payload, times);
    for (let position = 0; position < token.length; position++) {
      const original = token[position] as string;
      for (const replacement of [original === "A" ? "B" : "A", "=", "+", "."]) {
        const changed = token.slice(0, position) + replacement + token.slice(position + 1);
        expect((await sealer.unseal("auth", changed, NOW)).ok, `position ${position}`).toBe(false);
      }
    }
  });

  it("rejects every truncation and extension", async () => {
    const token = await sealer.seal("auth", payload, times);
    for (let length = 0; length < token.length; length++) {
      expect((await sealer.unseal("auth", token.slice(0, length), NOW)).ok, `length ${length}`).toBe(false);
    }
    for (const tail of ["A", "AA", "AAA", "AAAA", "_-_-", token]) {
      expect((await sealer.unseal("auth", token + tail, NOW)).ok).toBe(false);
    }
    const raw = base64urlDecode(token) as Uint8Array;
    const longer = new Uint8Array(raw.length + 3);
    longer.set(raw);
    expectReason(await sealer.unseal("auth", base64urlEncode(longer), NOW), "tampered");
  });

  it("rejects a token of one session presented as another", async () => {
    const cart = await sealer.seal("cart", payload, times);
    expectReason(await sealer.unseal("auth", cart, NOW), "tampered");
    expect((await sealer.unseal("cart", cart, NOW)).ok).toBe(true);
  });

  it("rejects expired tokens under a controlled clock (absolute and idle)", async () => {
    const absoluteOnly = { ...times, idleExpiresAt: null };
    const a = await sealer.seal("auth", payload, absoluteOnly);
    expect((await sealer.unseal("auth", a, times.absoluteExpiresAt * 1000 - 1)).ok).toBe(true);
    expectReason(await sealer.unseal("auth", a, times.absoluteExpiresAt * 1000), "expired");
    expectReason(await sealer.unseal("auth", a, times.absoluteExpiresAt * 1000 + 86_400_000), "expired");

    const i = await sealer.seal("auth", payload, times);
    expect((await sealer.unseal("auth", i, (times.idleExpiresAt as number) * 1000 - 1)).ok).toBe(true);
    expectReason(await sealer.unseal("auth", i, (times.idleExpiresAt as number) * 1000), "expired");

    // Idle later than absolute: absolute still wins.
    const late = await sealer.seal("auth", payload, {
      ...times,
      idleExpiresAt: times.absoluteExpiresAt + 100,
    });
    expectReason(await sealer.unseal("auth", late, times.absoluteExpiresAt * 1000), "expired");
  });

  it("treats garbage as malformed, never throwing", async () => {
    const garbage: unknown[] = [
      "",
      "!!!!",
      "a b",
      "A",
      "=".repeat(80),
      "é".repeat(80),
      "A".repeat(70_000),
      null,
      42,
    ];
    for (const input of garbage) {
      const result = await sealer.unseal("auth", input as string, NOW);
      expectReason(result, "malformed");
    }
    // Well-formed base64url that is too short to hold a token.
    expectReason(await sealer.unseal("auth", "A".repeat(40), NOW), "malformed");
  });

  it("refuses times that do not fit the format", async () => {
    await expect(sealer.seal("auth", payload, { ...times, createdAt: -1 })).rejects.toThrow(
      /^satchel: .*createdAt/,
    );
    await expect(sealer.seal("auth", payload, { ...times, absoluteExpiresAt: 2 ** 33 })).rejects.toThrow(
      /absoluteExpiresAt/,
    );
    await expect(sealer.seal("auth", payload, { ...times, idleExpiresAt: Number.NaN })).rejects.toThrow(
      /idleExpiresAt/,
    );
  });

  it("binds any session name, including non-ASCII ones", async () => {
    const token = await sealer.seal("panier-é", payload, times);
    expect((await sealer.unseal("panier-é", token, NOW)).ok).toBe(true);
    expectReason(await sealer.unseal("panier-e", token, NOW), "tampered");
  });

  it("refuses tokens longer than maxTokenLength as malformed", async () => {
    const strict = createSealer([NEW], { backend, maxTokenLength: 100 });
    const token = await strict.seal("auth", payload, times);
    expect(token.length).toBeGreaterThan(100);
    expectReason(await strict.unseal("auth", token, NOW), "malformed");
  });

  it("seals an empty payload", async () => {
    const token = await sealer.seal("auth", new Uint8Array(0), times);
    const result = await sealer.unseal("auth", token, NOW);
    expect(result.ok && result.plaintext.length).toBe(0);
  });

  it("seals payloads around and past the size of its reused buffers, one after another", async () => {
    await sealer.seal("auth", payload, times); // the key derived: the sizes below take the synchronous path
    for (const size of [4000, 4050, 4096, 6000, 300]) {
      const big = (nodeCryptoBackend() as CryptoBackend).randomBytes(size);
      const token = await sealer.seal("auth", big, times);
      const again = await sealer.seal("auth", big, times);
      expect(again).not.toBe(token);
      for (const sealed of [token, again]) {
        expect(await sealer.unseal("auth", sealed, NOW)).toMatchObject({ ok: true, plaintext: big, times });
      }
    }
  });
});

describe("key rotation", () => {
  it("accepts a token from a secret still listed, flagged staleKey", async () => {
    const before = createSealer([OLD]);
    const token = await before.seal("auth", payload, times);
    const after = createSealer([NEW, OLD]);
    const result = await after.unseal("auth", token, NOW);
    expect(result.ok).toBe(true);
    expect(result.ok && result.staleKey).toBe(true);
    expect(result.ok && result.plaintext).toEqual(payload);
    // Re-sealed with the first secret it is no longer stale.
    const resealed = await after.seal("auth", payload, times);
    expect(await after.unseal("auth", resealed, NOW)).toMatchObject({ ok: true, staleKey: false });
  });

  it("rejects a token whose secret was removed as unknown-key", async () => {
    const token = await createSealer([OLD]).seal("auth", payload, times);
    expectReason(await createSealer([NEW]).unseal("auth", token, NOW), "unknown-key");
  });

  it("works the other way: a server that only lists the new secret second still reads new tokens", async () => {
    // Rolling deploy: new servers seal with NEW while old ones list [OLD, NEW].
    const token = await createSealer([NEW, OLD]).seal("auth", payload, times);
    expect(await createSealer([OLD, NEW]).unseal("auth", token, NOW)).toMatchObject({
      ok: true,
      staleKey: true,
    });
    expectReason(await createSealer([OLD]).unseal("auth", token, NOW), "unknown-key");
  });

  it("derives the key id from the secret, not from the session", async () => {
    const sealer = createSealer([NEW]);
    const a = base64urlDecode(await sealer.seal("auth", payload, times)) as Uint8Array;
    const c = base64urlDecode(await sealer.seal("cart", payload, times)) as Uint8Array;
    const o = base64urlDecode(await createSealer([OLD]).seal("auth", payload, times)) as Uint8Array;
    expect(a.subarray(0, 4)).toEqual(c.subarray(0, 4));
    expect(a.subarray(0, 4)).not.toEqual(o.subarray(0, 4));
  });
});

describe("backends interoperate", () => {
  const node = createSealer([NEW, OLD], { backend: "node" });
  const web = createSealer([NEW, OLD], { backend: "webcrypto" });
  it("node seals, webcrypto unseals", async () => {
    const token = await node.seal("auth", payload, times);
    expect(await web.unseal("auth", token, NOW)).toEqual({
      ok: true,
      plaintext: payload,
      times,
      staleKey: false,
    });
  });
  it("webcrypto seals, node unseals", async () => {
    const token = await web.seal("auth", payload, times);
    expect(await node.unseal("auth", token, NOW)).toEqual({
      ok: true,
      plaintext: payload,
      times,
      staleKey: false,
    });
  });
  it("old-secret tokens interoperate too", async () => {
    const token = await createSealer([OLD], { backend: "webcrypto" }).seal("cart", payload, times);
    expect(await node.unseal("cart", token, NOW)).toMatchObject({ ok: true, staleKey: true });
  });
  it("a synchronous backend that makes its own array for the sealed bytes gives the same tokens", async () => {
    const base = nodeCryptoBackend() as CryptoBackend & Required<Pick<CryptoBackend, "encryptSync">>;
    const own: CryptoBackend = {
      ...base,
      encryptSync: (key, iv, plaintext, aad) => base.encryptSync(key, iv, plaintext, aad),
    };
    const sealer = createSealer([NEW], { backend: own });
    // Derives the keys: later seals are synchronous.
    await Promise.all([sealer.seal("auth", payload, times), node.seal("auth", payload, times)]);
    for (const sealed of [sealer.seal("auth", payload, times), node.seal("auth", payload, times)]) {
      expect(typeof sealed).toBe("string");
      expect(await web.unseal("auth", await sealed, NOW)).toMatchObject({
        ok: true,
        plaintext: payload,
        times,
      });
    }
  });
  it("auto picks node:crypto in Node", () => {
    expect(createSealer([NEW]).backend.name).toBe("node");
  });
});

describe("key caching", () => {
  function counting(base: CryptoBackend) {
    const calls = { deriveKey: 0, deriveBits: 0 };
    const backend: CryptoBackend = {
      ...base,
      name: base.name,
      deriveKey(...args) {
        calls.deriveKey++;
        return base.deriveKey(...args);
      },
      deriveBits(...args) {
        calls.deriveBits++;
        return base.deriveBits(...args);
      },
    };
    return { backend, calls };
  }

  it("derives each (secret, session) key once, never per seal", async () => {
    const { backend, calls } = counting(webCryptoBackend);
    const sealer = createSealer([NEW, OLD], { backend });
    // Concurrent first use shares one derivation.
    const tokens = await Promise.all(Array.from({ length: 20 }, () => sealer.seal("auth", payload, times)));
    for (const token of tokens) expect((await sealer.unseal("auth", token, NOW)).ok).toBe(true);
    await sealer.seal("cart", payload, times);
    expect(calls.deriveKey).toBe(4); // 2 secrets × 2 sessions
    expect(calls.deriveBits).toBe(2); // the key ids, once per secret
  });
});
