/**
 * Diagnostic for the read + write row: no session, but the same constant cookie set through
 * `cookies().set()` from next/headers — the way satchel's and iron-session's Next integrations write.
 */
import { cookies } from "next/headers";

export const dynamic = "force-dynamic";

const VALUE = "x".repeat(180);

export async function GET(): Promise<Response> {
  (await cookies()).set("diag", VALUE, { path: "/", maxAge: 43_200, httpOnly: true, sameSite: "lax" });
  return new Response("0", { headers: { "content-type": "text/plain" } });
}
