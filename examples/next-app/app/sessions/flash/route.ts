/**
 * Tipfy's flash messages: adds one for a later request, and reads (consumes) the ones set earlier.
 * How many were read is in the `x-flashes-read` header, so a client can see them being consumed.
 */
import { plainText } from "@/lib/plain-text";
import { getSession, withRouteSessions } from "@/sessions";

export const GET = withRouteSessions(async () => {
  const session = await getSession("session");
  const flashes = session.flash.message.read();
  session.flash.message.add("I am a flash message!");
  return plainText("testing flash messages", { headers: { "x-flashes-read": String(flashes.length) } });
});
