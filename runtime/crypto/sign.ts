/**
 * Signed readable values, for plain signed cookies: `value.signature`, where the signature is
 * HMAC-SHA256 (base64url) over the value and an optional context such as the cookie name. The
 * value stays readable; any change to it, or moving it to another cookie name, breaks the check.
 */

import { SatchelConfigError } from "../errors.ts";
import {
  type BackendChoice,
  type BackendKey,
  base64urlDecode,
  base64urlEncode,
  type CryptoBackend,
  selectBackend,
  timingSafeEqual,
  utf8,
} from "./backend.ts";

const SIGN_SALT = utf8("satchel/v1 signed value");
const SIGN_INFO = utf8("satchel/v1/signed-value");
/** base64url length of a 32-byte HMAC. */
const SIGNATURE_LENGTH = 43;

/** The HMAC key for signed values derived from one secret (HKDF-SHA256, its own salt and info). */
export function deriveSigningKey(backend: CryptoBackend, secret: string): Promise<BackendKey> {
  return backend.deriveKey(utf8(secret), SIGN_SALT, SIGN_INFO, "hmac");
}

function macInput(value: string, context: string): Uint8Array {
  // Length-prefixed context, so ("a", "b.c") and ("a.b", "c") can never sign the same bytes.
  return utf8(`${context.length}:${context}\u0000${value}`);
}

/**
 * `value.signature`.
 * @param context binds the signature to a purpose, typically the cookie name. Default `""`.
 */
export async function signValue(
  backend: CryptoBackend,
  key: BackendKey,
  value: string,
  context = "",
): Promise<string> {
  const mac = await backend.hmac(key, macInput(value, context));
  return `${value}.${base64urlEncode(mac)}`;
}

/**
 * The value when `signed` carries a valid signature from `key` (or any of `keys`, for rotation)
 * for the same `context`; otherwise `null`. Never throws on bad input; compares in constant time.
 */
export async function verifyValue(
  backend: CryptoBackend,
  key: BackendKey | readonly BackendKey[],
  signed: string,
  context = "",
): Promise<string | null> {
  if (typeof signed !== "string") return null;
  const dot = signed.length - SIGNATURE_LENGTH - 1;
  if (dot < 0 || signed.charCodeAt(dot) !== 46 /* . */) return null;
  const given = base64urlDecode(signed.slice(dot + 1));
  if (given === null) return null;
  const value = signed.slice(0, dot);
  const input = macInput(value, context);
  const keys = Array.isArray(key) ? (key as readonly BackendKey[]) : [key as BackendKey];
  let valid = false;
  // Check every key even after a match, so timing does not reveal which secret signed it.
  for (const k of keys) {
    if (timingSafeEqual(await backend.hmac(k, input), given)) valid = true;
  }
  return valid ? value : null;
}

/** Signs with the first secret, verifies with all; keys derived once. */
export interface Signer {
  sign(value: string, context?: string): Promise<string>;
  /** The value, or `null` when the signature is missing or wrong. */
  verify(signed: string, context?: string): Promise<string | null>;
}

/** A `Signer` for a list of secrets (already checked, see `resolveSecrets`). */
export function createSigner(secrets: readonly string[], backend: BackendChoice = "auto"): Signer {
  if (secrets.length === 0) throw new SatchelConfigError("satchel: createSigner needs at least one secret.");
  const impl = selectBackend(backend);
  let keys: Promise<BackendKey[]> | undefined;
  const getKeys = () => {
    keys ??= Promise.all(secrets.map((secret) => deriveSigningKey(impl, secret)));
    keys.catch(() => {
      keys = undefined; // let a later call retry
    });
    return keys;
  };
  return {
    async sign(value, context = "") {
      const [first] = await getKeys();
      return signValue(impl, first as BackendKey, value, context);
    },
    async verify(signed, context = "") {
      return verifyValue(impl, await getKeys(), signed, context);
    },
  };
}
