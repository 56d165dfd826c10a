/**
 * Beaker's `use_cookies = False`: the `beaker` session's id travels in the `x-session-id` header.
 * Send `x-session-id: new` to start one; its id comes back in that header, and no cookie is set.
 * This path is left out of the proxy (see proxy.ts), so nothing else sets a cookie either.
 */
import { plainText } from "@/lib/plain-text";
import { getSession, withRouteSessions } from "@/sessions";

export const GET = withRouteSessions(async () => {
  const session = await getSession("beaker");
  if (session.fred === undefined) {
    session.fred = 42;
    return plainText("fred is not set.");
  }
  return plainText(`fred = ${session.fred}`);
});
