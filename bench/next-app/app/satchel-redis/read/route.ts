/** satchel Redis store session, read only. */
import { getSession, withRouteSessions } from "../../../generated/sessions.ts";

export const dynamic = "force-dynamic";

export const GET = withRouteSessions(async () => {
  const counter = await getSession("counter");
  return new Response(String(counter.visits), { headers: { "content-type": "text/plain" } });
});
