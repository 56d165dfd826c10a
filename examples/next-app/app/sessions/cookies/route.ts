/**
 * Tipfy's "setting and deleting cookies" before any Response exists: plain cookies go through the
 * request's sessions and are put on whatever Response the handler returns.
 */
import { plainText } from "@/lib/plain-text";
import { requestSessions, withRouteSessions } from "@/sessions";

export const GET = withRouteSessions(async () => {
  const { cookies } = await requestSessions();
  cookies.set("key", "value");
  cookies.delete("another_key");
  return plainText("testing cookies");
});
