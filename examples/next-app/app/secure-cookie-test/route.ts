/**
 * Tipfy's secure cookie: a dictionary in the cookie `my_cookie_name`, sealed, so the client can
 * neither read nor change it.
 */
import { plainText } from "@/lib/plain-text";
import { getSession, withRouteSessions } from "@/sessions";

export const GET = withRouteSessions(async () => {
  const secure = await getSession("my_cookie_name");
  const message = secure.get("message");
  if (message) return plainText(message);
  secure.message = "I am stored in a secure cookie!";
  return plainText("No message was stored in the secure cookie.");
});
