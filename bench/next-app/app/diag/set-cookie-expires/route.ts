/**
 * Diagnostic for the read + write row: diag/set-cookie-long's Set-Cookie (432 characters) with an
 * `Expires` attribute, whose date holds a comma, in place of 39 characters of the value. Satchel sends
 * no Expires; this shows what the comma costs Next's splitting of Set-Cookie lines before sending.
 */
export const dynamic = "force-dynamic";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const VALUE = Array.from({ length: 340 }, (_, i) => ALPHABET[(i * 7) % 64]).join("");
const EXPIRES = "; Expires=Tue, 08 Dec 2026 00:00:00 GMT";

export function GET(): Response {
  return new Response("0", {
    headers: {
      "content-type": "text/plain",
      "set-cookie": `diag2=${VALUE}; Max-Age=43200; Path=/${EXPIRES}; HttpOnly; SameSite=Lax`,
    },
  });
}
