/**
 * Single use: a `singleUse` token is recorded as used in the app's store, by one atomic
 * compare-and-set that expects no record (`compareAndSet(key, …, null)`). Of any number of
 * concurrent opens, in one process or many, exactly one creates the record; the others see a
 * conflict and are refused as `used`.
 *
 * The record lives until the token's own expiry plus a margin for servers whose clocks lag behind
 * (after the expiry the seal refuses the token by itself). Its key is `token/<kind>:` and a SHA-256
 * of the token's sealed id: a store holds no token and no id, and no session key (`<session>:…`, an
 * identifier before the colon) can collide with it.
 */
import { base64urlEncode, type CryptoBackend, sha256 } from "../crypto/backend.ts";
import type { SessionStore } from "../stores/types.ts";

/** How long past its expiry a token stays recorded: covers a server whose clock runs this much behind. */
export const USED_RECORD_MARGIN_MS = 5 * 60_000;

/** The store key recording that the token `id` of `kind` was used. */
export async function usedKey(kind: string, id: Uint8Array, backend: CryptoBackend): Promise<string> {
  return `token/${kind}:${base64urlEncode(await sha256(id, backend))}`;
}

/**
 * Records the token as used. Resolves `true` for the one open that recorded it, `false` when it was
 * used before (or by a concurrent open). Rejects with `SessionStoreUnavailableError` when the store
 * cannot answer: the caller answers 503 and the data is not handed out. A write that landed before
 * the outage showed leaves the token used (a retry finds it so): it is never let through twice.
 */
export async function markUsed(
  store: SessionStore,
  key: string,
  tokenExpiresAt: number,
  nowMs: number,
): Promise<boolean> {
  const value = JSON.stringify({ usedAt: nowMs });
  const written = await store.compareAndSet(key, value, null, {
    expiresAt: tokenExpiresAt + USED_RECORD_MARGIN_MS,
  });
  return written !== null;
}

/** Whether the token was used already, without using it (`openToken(…, { consume: false })`). */
export async function wasUsed(store: SessionStore, key: string): Promise<boolean> {
  return (await store.get(key)) !== null;
}
