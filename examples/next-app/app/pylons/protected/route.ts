/**
 * Pylons' guard: a visitor who is not signed in gets the flash "Please login" and is sent to the
 * login page, which shows it once.
 */
import { redirect } from "next/navigation";
import { plainText } from "@/lib/plain-text";
import { getSession, withRouteSessions } from "@/sessions";

export const GET = withRouteSessions(async () => {
  const auth = await getSession("auth");
  if (auth.userId === null) {
    auth.flash.error.add({ message: "Please login" });
    // redirect() throws; withRouteSessions saves the flash first.
    redirect("/login");
  }
  return plainText(`Protected content for ${auth.name}.`);
});
