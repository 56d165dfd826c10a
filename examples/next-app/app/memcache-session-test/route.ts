/**
 * Tipfy's session on another back-end: the `memcache` session has its own store (memcached when
 * `SESSION_MEMCACHE_URL` is set, the embedded file store otherwise; see sessions.schema.ts).
 */
import { plainText } from "@/lib/plain-text";
import { getSession, withRouteSessions } from "@/sessions";

export const GET = withRouteSessions(async () => {
  const session = await getSession("memcache");
  const res = session.get("test");
  if (res) return plainText(res);
  session.test = "I am stored in the memcache session!";
  return plainText("Session does not have a test key.");
});
