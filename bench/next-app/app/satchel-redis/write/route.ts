/** satchel Redis store session, read + write (saved by the wrapper when the handler returns). */
import { getSession, withRouteSessions } from "../../../generated/sessions.ts";

export const dynamic = "force-dynamic";

export const GET = withRouteSessions(async () => {
  const counter = await getSession("counter");
  counter.visits += 1;
  return new Response(String(counter.visits), { headers: { "content-type": "text/plain" } });
});
