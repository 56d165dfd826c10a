/** Tipfy's plain cookie: the first request sets the cookie `test`, the next ones read it back. */
import { plainText } from "@/lib/plain-text";
import { requestSessions, withRouteSessions } from "@/sessions";

export const GET = withRouteSessions(async () => {
  const { cookies } = await requestSessions();
  const value = cookies.get("test");
  if (value !== undefined) return plainText(value);
  // Spaces and "!" go on the wire %-encoded; cookies.get() decodes them.
  cookies.set("test", "I am stored in a cookie!");
  return plainText("No cookies were set.");
});
