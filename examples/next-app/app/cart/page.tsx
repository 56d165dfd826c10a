import { PRODUCTS, titleOf } from "@/lib/catalog";
import { texts } from "@/lib/i18n";
import { getSession } from "@/sessions";
import { addToCart, removeFromCart } from "../actions";

export default async function CartPage() {
  // The cart lives in the store: while it is down, render the page without it rather than fail.
  const [cart, prefs] = await Promise.all([
    getSession("cart", { unavailable: "empty" }),
    getSession("prefs"),
  ]);
  const t = texts(prefs.language);
  if (cart.$unavailable) {
    return (
      <>
        <h1>{t.cart}</h1>
        <p role="alert" data-testid="cart-unavailable" className="notice level-warning">
          {/* A plain link: a full load of the page, with or without JavaScript. */}
          {t.cartUnavailable} <a href="/cart">{t.tryAgain}</a>.
        </p>
      </>
    );
  }
  return (
    <>
      <h1>{t.cart}</h1>
      <ul className="products">
        {PRODUCTS.map((product) => (
          <li key={product.sku}>
            {product.title}{" "}
            <form action={addToCart}>
              <input type="hidden" name="sku" value={product.sku} />
              <button type="submit" data-testid={`add-${product.sku}`}>
                {t.add}
              </button>
            </form>
          </li>
        ))}
      </ul>
      <h2>{t.itemsInCart}</h2>
      {cart.items.length === 0 ? (
        <p data-testid="cart-empty">{t.emptyCart}</p>
      ) : (
        <ul data-testid="cart-items" className="card lines">
          {cart.items.map((item) => (
            <li key={item.sku}>
              {titleOf(item.sku)}
              {item.qty > 1 ? ` × ${item.qty}` : ""}{" "}
              <form action={removeFromCart} style={{ display: "inline" }}>
                <input type="hidden" name="sku" value={item.sku} />
                <button type="submit" data-testid={`remove-${item.sku}`}>
                  {t.remove}
                </button>
              </form>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
