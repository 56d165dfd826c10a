/**
 * What the importer tests share: both crypto backends, and the browser's step from a response's
 * `Set-Cookie` headers to the next request's cookies.
 */
import { memoryCookieJar } from "../../cookies/header.ts";
import { type CryptoBackend, nodeCryptoBackend, webCryptoBackend } from "../../crypto/backend.ts";
import type { CookieReader } from "../../types.ts";

export const backends: [string, CryptoBackend][] = [
  ["node", nodeCryptoBackend() as CryptoBackend],
  ["webcrypto", webCryptoBackend],
];

/**
 * The cookies a browser sends after receiving `setCookies` (expired ones dropped), read through
 * satchel's own jar, as the session layer will hand them to an importer.
 */
export function cookiesAfter(setCookies: readonly string[], extra = ""): CookieReader {
  const pairs = setCookies
    .filter((header) => !/;\s*max-age=0\b/i.test(header))
    .map((header) => header.slice(0, header.indexOf(";") < 0 ? header.length : header.indexOf(";")));
  return memoryCookieJar([...pairs, extra].filter(Boolean).join("; "));
}
