/**
 * Diagnostic for the read + write row: no session, but a constant Set-Cookie on the Response exactly
 * as long as satchel's (432 characters: a 5-character name, a 379-character base64url value and
 * satchel's attributes, in its order). Against diag/header-cookie (232 characters) it shows what the
 * line's length costs Next; against satchel-cookie/write, what satchel adds beyond sending the cookie.
 */
export const dynamic = "force-dynamic";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const VALUE = Array.from({ length: 379 }, (_, i) => ALPHABET[(i * 7) % 64]).join("");

export function GET(): Response {
  return new Response("0", {
    headers: {
      "content-type": "text/plain",
      "set-cookie": `diag1=${VALUE}; Max-Age=43200; Path=/; HttpOnly; SameSite=Lax`,
    },
  });
}
