/** iron-session, read only. */
import { ironSession } from "../../../lib/iron.ts";

export const dynamic = "force-dynamic";

export async function GET(): Promise<Response> {
  const session = await ironSession();
  return new Response(String(session.visits ?? 0), { headers: { "content-type": "text/plain" } });
}
