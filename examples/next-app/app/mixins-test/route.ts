/** Tipfy's mixins: one handler uses the secure cookie and the session side by side. */
import { plainText } from "@/lib/plain-text";
import { getSession, withRouteSessions } from "@/sessions";

export const GET = withRouteSessions(async () => {
  const [secure, session] = await Promise.all([getSession("my_cookie_name"), getSession("session")]);
  secure.foo = "bar";
  session.baz = "ding";
  return plainText("Session mixins are yummy!");
});
