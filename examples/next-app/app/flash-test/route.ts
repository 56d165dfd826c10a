/**
 * The seeds' flash tutorial: the first request sets a flash and says none was set; the next one
 * shows it, and it is gone after that.
 */
import { getSession, withRouteSessions } from "@/sessions";

export const GET = withRouteSessions(async () => {
  const prefs = await getSession("prefs");
  const messages = prefs.flash.message.read();
  if (messages.length === 0) {
    prefs.flash.message.add("I am a flash message. I was set during the previous request!");
  }
  const body = messages.length > 0 ? messages.join("\n") : "No flash messages were set.";
  return new Response(body, { headers: { "content-type": "text/plain; charset=utf-8" } });
});
