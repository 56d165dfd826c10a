/**
 * The test schema's `cart` store session behind the Fetch adapter, for the store-session tests:
 * `?add=sku` appends an item, `/owner` sets the user, `/regen` regenerates, `/destroy` destroys; the
 * response is the cart's skus and `$isNew`.
 */
import type { SessionStore } from "../stores/types.ts";
import type { TestSetup } from "./harness.ts";
import type { TestTypes } from "./schema.ts";

export function cartApp(satchel: TestSetup<TestTypes>["satchel"]) {
  return satchel.handle(async (req, sessions) => {
    const cart = await sessions.get("cart");
    const url = new URL(req.url);
    const sku = url.searchParams.get("add");
    if (sku !== null) cart.items.push({ sku, qty: 1 });
    if (url.pathname === "/owner") cart.owner = "user-1";
    if (url.pathname === "/regen") await cart.regenerate();
    if (url.pathname === "/destroy") await cart.destroy();
    return Response.json({ items: cart.items.map((i) => i.sku), isNew: cart.$isNew });
  });
}

/** Keys the memory store holds, found through its user index. */
export async function keysOf(store: SessionStore, owner: string) {
  return (await store.keysForUser?.(owner)) ?? [];
}
