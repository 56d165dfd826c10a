/**
 * Diagnostic for the read row: no session, but the session cookie read from the handler's own
 * NextRequest (`request.cookies`), without next/headers.
 */
import type { NextRequest } from "next/server";

export const dynamic = "force-dynamic";

export function GET(request: NextRequest): Response {
  const value = request.cookies.get("prefs")?.value ?? "";
  return new Response(String(value.length), { headers: { "content-type": "text/plain" } });
}
