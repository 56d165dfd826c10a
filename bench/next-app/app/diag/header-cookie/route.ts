/**
 * Diagnostic for the read + write row: no session, but a constant cookie of a session's size put
 * on the Response as a Set-Cookie header. Shows what sending a cookie costs Next by itself.
 */
export const dynamic = "force-dynamic";

const VALUE = "x".repeat(180);

export function GET(): Response {
  return new Response("0", {
    headers: {
      "content-type": "text/plain",
      "set-cookie": `diag=${VALUE}; Path=/; Max-Age=43200; HttpOnly; SameSite=lax`,
    },
  });
}
