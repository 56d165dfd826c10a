/** Tipfy's first example: says the session was not set, sets `foo`, and answers "bar" from then on. */
import { plainText } from "@/lib/plain-text";
import { getSession, withRouteSessions } from "@/sessions";

export const GET = withRouteSessions(async () => {
  const session = await getSession("session");
  // Check if a key is set in session.
  const body = session.get("foo", null) ?? "Session was not set!";
  // Set a value in the session, like in a dictionary.
  session.foo = "bar";
  return plainText(body);
});
