/**
 * express-session's signed cookie, as cookie-signature writes it: `s:` + id + `.` + the base64
 * (standard alphabet, `=` padding removed) HMAC-SHA256 of the id under the secret. With a list of
 * secrets the first signed and any verifies (rotation).
 */
import {
  type BackendKey,
  base64urlEncode,
  type CryptoBackend,
  timingSafeEqual,
  utf8,
} from "../crypto/backend.ts";

export type Unsigned = { ok: true; id: string } | { ok: false; problem: string };

/** Verifies express-session cookies under a list of secrets, keeping each backend's keys. */
export function createUnsigner(secrets: readonly string[]) {
  const keys = new WeakMap<CryptoBackend, Promise<BackendKey[]>>();
  const keysFor = (crypto: CryptoBackend): Promise<BackendKey[]> => {
    let found = keys.get(crypto);
    if (found === undefined) {
      found = Promise.all(secrets.map((secret) => crypto.importKey(utf8(secret), "hmac")));
      keys.set(crypto, found);
    }
    return found;
  };

  /** The session id `value` carries when one of the secrets signed it. */
  return async function unsign(value: string, crypto: CryptoBackend): Promise<Unsigned> {
    // express-session ignores a cookie without the prefix; it was not one of its sessions.
    if (!value.startsWith("s:")) return { ok: false, problem: 'is not signed (no "s:" prefix)' };
    const dot = value.lastIndexOf(".");
    if (dot < 2) return { ok: false, problem: "has no signature" };
    const id = value.slice(2, dot);
    const signature = utf8(value.slice(dot + 1));
    const data = utf8(id);
    let verified = false;
    // Every secret is tried, whichever verifies, so the time taken does not say which one did.
    for (const key of await keysFor(crypto)) {
      const expected = utf8(standardBase64(await crypto.hmac(key, data)));
      verified = timingSafeEqual(expected, signature) || verified;
    }
    return verified
      ? { ok: true, id }
      : { ok: false, problem: "does not verify under secret (another secret, or the cookie was changed)" };
  };
}

/** Standard base64 without padding (cookie-signature's text) from the unpadded base64url one. */
function standardBase64(data: Uint8Array): string {
  return base64urlEncode(data).replaceAll("-", "+").replaceAll("_", "/");
}
