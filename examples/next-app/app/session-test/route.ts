/**
 * Tipfy's shopping cart, exactly as written: the default session holds `products`, a list of names.
 * `?add-product=foo` appends (duplicates kept), `?remove-product=foo` removes the first copy, and a
 * product that is not in the list changes nothing.
 */

import { plainText } from "@/lib/plain-text";
import { getSession, withRouteSessions } from "@/sessions";

export const GET = withRouteSessions(async (request) => {
  const params = request.nextUrl.searchParams;
  const session = await getSession("session");

  // Add product to session if a 'add-product' is in GET.
  const toAdd = params.get("add-product");
  if (toAdd !== null) session.setdefault("products", []).push(toAdd);

  // Remove product from session if a 'remove-product' is in GET.
  const toRemove = params.get("remove-product");
  if (toRemove !== null) {
    const products = session.setdefault("products", []);
    const index = products.indexOf(toRemove);
    // Name wasn't in the list: nothing to remove.
    if (index !== -1) products.splice(index, 1);
  }

  // Get products from session.
  const products = session.get("products", null);
  return plainText(
    products && products.length > 0 ? `Products in cart: ${products.join(", ")}` : "The cart is empty.",
  );
});
