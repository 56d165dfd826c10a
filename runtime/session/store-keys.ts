/**
 * The ids of store sessions and the store keys they map to. An id is 32 random bytes, sealed in the
 * cookie; its record lives under `"<session>:" + hex(SHA-256(id))`, so the raw id never reaches the store.
 * Other records satchel keeps have a "/" in their key, which no session name has: a cookie
 * session's layout (`layoutKey`), a used one-off token (`token/<kind>:…`, tokens/single-use.ts).
 * @internal not part of the public API; import from "satchel" instead.
 */
import { type CryptoBackend, selectBackend, sha256 } from "../crypto/backend.ts";

/** Length of an id in bytes; a sealed id of any other length is malformed. */
export const ID_BYTES = 32;

/** A brand-new random id. */
export function newId(): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(ID_BYTES));
}

/**
 * The store key of an id: the session name and the SHA-256 of the id, hex. The digest goes through
 * the crypto backend: node:crypto hashes synchronously (~1 µs), WebCrypto is the fallback (~20 µs).
 */
export async function storeKey(
  session: string,
  id: Uint8Array,
  backend: CryptoBackend = selectBackend(),
): Promise<string> {
  return storeKeyOf(session, id, backend);
}

/** `storeKey`, synchronous when the backend hashes synchronously (node:crypto): no promise per request. */
export function storeKeyOf(
  session: string,
  id: Uint8Array,
  backend: CryptoBackend,
): string | Promise<string> {
  const result = sha256(id, backend);
  return result instanceof Uint8Array
    ? hexOf(result, `${session}:`)
    : result.then((digest) => hexOf(digest, `${session}:`));
}

/** Two hex digits per byte value, so a digest is 32 lookups instead of 32 toString + padStart. */
const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"));

/**
 * `head` then the lower-case hex of `bytes`, two digits per byte, as one flat string. Joined, not
 * added up: `hex +=` left a chain of cons strings (one per byte) that every use needing the
 * characters walked again, and a store key is kept per token (opened-ids.ts) and used by each read of
 * its session (the Redis store measures and frames `<prefix>s:<key>`: ~1.1k instructions more per
 * read for the chain).
 */
export function hexOf(bytes: Uint8Array, head = ""): string {
  const parts: string[] = [head];
  for (let i = 0; i < bytes.length; i++) parts.push(HEX[bytes[i] as number] as string);
  return parts.join("");
}

/**
 * The store key of a cookie session's recorded layout (session/layout-history.ts):
 * `"layout/<session>:<key>"`: format 4's key of layout and checks (or, recorded by builds before
 * format 4, a layout hash).
 */
export function layoutKey(session: string, layout: string): string {
  return `layout/${session}:${layout}`;
}
