/**
 * Diagnostic for the read row: no session, but the session cookie read through `cookies()` from
 * next/headers — the floor for any session that reads cookies that way.
 */
import { cookies } from "next/headers";

export const dynamic = "force-dynamic";

export async function GET(): Promise<Response> {
  const value = (await cookies()).get("prefs")?.value ?? "";
  return new Response(String(value.length), { headers: { "content-type": "text/plain" } });
}
