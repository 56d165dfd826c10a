/**
 * The seeds' cart tutorial over plain HTTP:
 * `GET /session-test?add-product=foo` adds foo, `?remove-product=foo` removes it, and the answer lists
 * the cart in the order products were added. Each change is one atomic `update()` on the store, so
 * concurrent adds to one cart are all kept.
 */

import { addItem, lineText, removeItem } from "@/lib/catalog";
import { getSession, withRouteSessions } from "@/sessions";

export const GET = withRouteSessions(async (request) => {
  const params = request.nextUrl.searchParams;
  const add = params.get("add-product");
  const remove = params.get("remove-product");
  const cart = await getSession("cart");
  if (add) await cart.update((data) => ({ items: addItem(data.items, add) }));
  if (remove) await cart.update((data) => ({ items: removeItem(data.items, remove) }));
  const body =
    cart.items.length === 0
      ? "The cart is empty."
      : `Products in cart: ${cart.items.map(lineText).join(", ")}`;
  return new Response(body, { headers: { "content-type": "text/plain; charset=utf-8" } });
});
