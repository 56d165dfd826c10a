/** satchel cookie session, read + write (saved by the wrapper when the handler returns). */
import { getSession, withRouteSessions } from "../../../generated/sessions.ts";

export const dynamic = "force-dynamic";

export const GET = withRouteSessions(async () => {
  const prefs = await getSession("prefs");
  prefs.visits += 1;
  return new Response(String(prefs.visits), { headers: { "content-type": "text/plain" } });
});
