/**
 * Store keys: the session name and the SHA-256 hex of the id, the same bytes whichever crypto backend
 * computes the digest.
 */
import { describe, expect, it } from "vitest";
import { nodeCryptoBackend, webCryptoBackend } from "../crypto/backend.ts";
import { storeKey } from "./store-keys.ts";

describe("store keys", () => {
  it("computes store keys as session name plus SHA-256 hex of the id", async () => {
    const id = new Uint8Array(32);
    expect(await storeKey("cart", id)).toBe(
      "cart:66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925",
    );
  });

  it("gives the same store key for the same id with the node:crypto and the WebCrypto backend", async () => {
    const node = nodeCryptoBackend();
    expect(node).toBeDefined();
    for (let i = 0; i < 20; i++) {
      const id = globalThis.crypto.getRandomValues(new Uint8Array(32));
      const viaNode = await storeKey("cart", id, node);
      expect(viaNode).toMatch(/^cart:[0-9a-f]{64}$/);
      expect(await storeKey("cart", id, webCryptoBackend)).toBe(viaNode);
    }
    // A custom backend without sha256 falls back to WebCrypto and still agrees.
    const { sha256: _omit, ...bare } = webCryptoBackend;
    const id = new Uint8Array(32).fill(7);
    expect(await storeKey("cart", id, bare)).toBe(await storeKey("cart", id, node));
  });
});
