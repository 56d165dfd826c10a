/** iron-session, read + write. */
import { ironSession } from "../../../lib/iron.ts";

export const dynamic = "force-dynamic";

export async function GET(): Promise<Response> {
  const session = await ironSession();
  session.visits = (session.visits ?? 0) + 1;
  await session.save();
  return new Response(String(session.visits), { headers: { "content-type": "text/plain" } });
}
