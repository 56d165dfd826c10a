import { describe, expect, it } from "vitest";
import { type CryptoBackend, nodeCryptoBackend, webCryptoBackend } from "./backend.ts";
import { createSigner, deriveSigningKey, signValue, verifyValue } from "./sign.ts";

const A = "first-secret-first-secret-first-secret";
const B = "second-secret-second-secret-second-secret";
const backends: [string, CryptoBackend][] = [
  ["node", nodeCryptoBackend() as CryptoBackend],
  ["webcrypto", webCryptoBackend],
];

describe.each(backends)("signed values with %s", (_name, backend) => {
  it("keeps the value readable and verifies it", async () => {
    const key = await deriveSigningKey(backend, A);
    const signed = await signValue(backend, key, "theme=dark.v2");
    expect(signed).toMatch(/^theme=dark\.v2\.[A-Za-z0-9_-]{43}$/);
    expect(await verifyValue(backend, key, signed)).toBe("theme=dark.v2");
    expect(await verifyValue(backend, key, await signValue(backend, key, ""))).toBe("");
  });

  it("rejects any change to value or signature", async () => {
    const key = await deriveSigningKey(backend, A);
    const signed = await signValue(backend, key, "admin=false");
    for (let i = 0; i < signed.length; i++) {
      const c = signed[i] === "A" ? "B" : "A";
      expect(
        await verifyValue(backend, key, signed.slice(0, i) + c + signed.slice(i + 1)),
        `position ${i}`,
      ).toBeNull();
    }
    for (const bad of ["", "admin=false", "admin=false.", `${signed}x`, signed.slice(0, -1), `x${signed}`]) {
      expect(await verifyValue(backend, key, bad)).toBeNull();
    }
    expect(await verifyValue(backend, key, 42 as unknown as string)).toBeNull();
  });

  it("binds the context (cookie name)", async () => {
    const key = await deriveSigningKey(backend, A);
    const signed = await signValue(backend, key, "1", "theme");
    expect(await verifyValue(backend, key, signed, "theme")).toBe("1");
    expect(await verifyValue(backend, key, signed, "role")).toBeNull();
    expect(await verifyValue(backend, key, signed)).toBeNull();
  });

  it("accepts any of several keys (rotation) and rejects an unknown one", async () => {
    const [a, b] = await Promise.all([deriveSigningKey(backend, A), deriveSigningKey(backend, B)]);
    const byB = await signValue(backend, b, "x");
    expect(await verifyValue(backend, [a, b], byB)).toBe("x");
    expect(await verifyValue(backend, [a], byB)).toBeNull();
  });
});

describe("createSigner", () => {
  it("signs with the first secret and verifies with all, across backends", async () => {
    const old = createSigner([B], "webcrypto");
    const rotated = createSigner([A, B], "node");
    const legacy = await old.sign("v", "c");
    expect(await rotated.verify(legacy, "c")).toBe("v");
    const fresh = await rotated.sign("v", "c");
    expect(await old.verify(fresh, "c")).toBeNull();
    expect(await createSigner([A], "webcrypto").verify(fresh, "c")).toBe("v");
  });

  it("needs a secret", () => {
    expect(() => createSigner([])).toThrow(/^satchel: /);
  });
});
