/** iron-session, read + write. */
import { IRON_PROFILE, ironSession } from "../../../lib/iron.ts";

export const dynamic = "force-dynamic";

export async function GET(): Promise<Response> {
  const session = await ironSession();
  // A new session starts with the same ~300 bytes as satchel's (whose schema defaults hold them).
  if (session.visits === undefined) Object.assign(session, IRON_PROFILE);
  session.visits = (session.visits ?? 0) + 1;
  await session.save();
  return new Response(String(session.visits), { headers: { "content-type": "text/plain" } });
}
