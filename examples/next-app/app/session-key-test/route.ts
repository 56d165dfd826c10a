/** The seeds' session-key tutorial: the first request stores a value, the next one reads it back. */
import { getSession, withRouteSessions } from "@/sessions";

export const GET = withRouteSessions(async () => {
  const prefs = await getSession("prefs");
  let body: string;
  if (prefs.testKey === undefined) {
    prefs.testKey = "I am stored in the session!";
    body = "Session does not have a test key.";
  } else {
    body = prefs.testKey;
  }
  return new Response(body, { headers: { "content-type": "text/plain; charset=utf-8" } });
});
