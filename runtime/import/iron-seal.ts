/**
 * Opens iron's `Fe26.2` seals as iron-session 8 and 9 write them (through iron-webcrypto, the
 * WebCrypto port of hapi's iron), on satchel's own crypto backend:
 *
 *   Fe26.2*<password id>*<encryption salt>*<iv>*<ciphertext>*<expiration>*<hmac salt>*<hmac>
 *
 * Salts are hex text, used as they are (their UTF-8 bytes) as PBKDF2 salts; iv, ciphertext and hmac
 * are base64url without padding; expiration is epoch milliseconds, empty for a seal that never
 * expires. Both keys are PBKDF2-HMAC-SHA1 of the password over their salt, 1 iteration, 256 bits
 * (iron's defaults, which iron-session never changes); the data is JSON under AES-256-CBC, and
 * HMAC-SHA256 over the first six parts joined by `*` authenticates everything else.
 */
import { base64urlDecode, type CryptoBackend, timingSafeEqual, utf8 } from "../crypto/backend.ts";

/** The mac prefix: iron's format version 2. */
const PREFIX = "Fe26.2";
/** iron's `timestampSkewSec`: a seal is still accepted this long after its expiration. */
export const IRON_SKEW_MS = 60_000;
const KEY_BYTES = 32;
const ITERATIONS = 1;
const EXPIRATION = /^\d+$/;
// Shown in reports only when it looks like an id iron writes; anything else is attacker text.
const SHOWABLE_ID = /^\w{1,16}$/;

/** Passwords by the id a seal names (iron-session: "1", "2", ...). */
export type IronPasswords = ReadonlyMap<string, string>;

export type IronOpened =
  | { ok: true; value: unknown; expiresAt: number | null }
  | { ok: false; problem: string };

const decoder = new TextDecoder();

/**
 * Opens `seal` (without iron-session's `~2` suffix). Like iron: an expired seal is refused before
 * any crypto; the HMAC is checked, in constant time, before anything is decrypted.
 * @param now epoch milliseconds the expiration is judged against.
 */
export async function openIronSeal(
  seal: string,
  passwords: IronPasswords,
  crypto: CryptoBackend,
  now: number,
): Promise<IronOpened> {
  const parts = seal.split("*");
  if (parts.length !== 8 || parts[0] !== PREFIX) {
    return { ok: false, problem: `is not an iron seal (${PREFIX}*... in 8 parts)` };
  }
  const [, id, encryptionSalt, ivText, ciphertextText, expiration, hmacSalt, hmacText] = parts as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  let expiresAt: number | null = null;
  if (expiration !== "") {
    expiresAt = EXPIRATION.test(expiration) ? Number(expiration) : Number.NaN;
    if (!Number.isSafeInteger(expiresAt)) return { ok: false, problem: "has an unreadable expiration" };
    if (expiresAt <= now - IRON_SKEW_MS) {
      return { ok: false, problem: `expired at ${new Date(expiresAt).toISOString()}` };
    }
  }
  const password = passwords.get(id);
  if (password === undefined) {
    const named = SHOWABLE_ID.test(id) ? `password id "${id}"` : "an unknown password id";
    return {
      ok: false,
      problem: `was sealed with ${named}, which "password" does not have (add the old password under that id)`,
    };
  }
  const iv = base64urlDecode(ivText);
  const ciphertext = base64urlDecode(ciphertextText);
  const hmac = base64urlDecode(hmacText);
  if (iv === null || ciphertext === null || hmac === null) {
    return { ok: false, problem: "has parts that are not base64url" };
  }
  const secret = utf8(password);
  const integrityKey = await crypto.pbkdf2Sha1(secret, utf8(hmacSalt), ITERATIONS, KEY_BYTES);
  const signed = utf8(parts.slice(0, 6).join("*"));
  const expected = await crypto.hmac(await crypto.importKey(integrityKey, "hmac"), signed);
  if (!timingSafeEqual(expected, hmac)) {
    return { ok: false, problem: "does not verify (another password, or the cookie was changed)" };
  }
  const encryptionKey = await crypto.pbkdf2Sha1(secret, utf8(encryptionSalt), ITERATIONS, KEY_BYTES);
  const plaintext = await crypto.decryptAesCbc(encryptionKey, iv, ciphertext);
  if (plaintext === null) return { ok: false, problem: "verifies but does not decrypt" };
  try {
    return { ok: true, value: JSON.parse(decoder.decode(plaintext)), expiresAt };
  } catch {
    return { ok: false, problem: "verifies but holds no JSON" };
  }
}
