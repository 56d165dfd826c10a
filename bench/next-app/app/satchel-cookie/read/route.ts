/** satchel cookie session, read only. */
import { getSession, withRouteSessions } from "../../../generated/sessions.ts";

export const dynamic = "force-dynamic";

export const GET = withRouteSessions(async () => {
  const prefs = await getSession("prefs");
  return new Response(String(prefs.visits), { headers: { "content-type": "text/plain" } });
});
