/** Tipfy's quick start: any value set in the session is persisted. */
import { plainText } from "@/lib/plain-text";
import { getSession, withRouteSessions } from "@/sessions";

export const GET = withRouteSessions(async () => {
  const session = await getSession("session");
  session.foo = "bar";
  return plainText("testing sessions");
});
