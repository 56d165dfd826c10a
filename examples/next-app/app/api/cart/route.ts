/**
 * The catalog cart (the `cart` store session) as an API: `?add-product=apple` adds one, `?remove-product=apple`
 * removes the line. Each change is one atomic `update()` on the store, so concurrent adds to one cart
 * are all kept. API clients without cookies can carry the cart in the `x-cart-session` header.
 */

import { addItem, lineText, removeItem } from "@/lib/catalog";
import { plainText } from "@/lib/plain-text";
import { getSession, withRouteSessions } from "@/sessions";

export const GET = withRouteSessions(async (request) => {
  const params = request.nextUrl.searchParams;
  const add = params.get("add-product");
  const remove = params.get("remove-product");
  const cart = await getSession("cart");
  if (add) await cart.update((data) => ({ ...data, items: addItem(data.items, add) }));
  if (remove) await cart.update((data) => ({ ...data, items: removeItem(data.items, remove) }));
  return plainText(
    cart.items.length === 0
      ? "The cart is empty."
      : `Products in cart: ${cart.items.map(lineText).join(", ")}`,
  );
});
