/**
 * Tipfy's "multiple sessions": next to the default (cookie) session, the `cart` session lives on a
 * different backend, the store; both are saved at the end of the same request.
 */
import { plainText } from "@/lib/plain-text";
import { getSession, withRouteSessions } from "@/sessions";

export const GET = withRouteSessions(async () => {
  const cart = await getSession("cart");
  cart.foo = "bar";
  return plainText("testing multiple sessions");
});
