/** The products the cart page offers. The tutorial routes accept any product name. */
export const PRODUCTS: readonly { sku: string; title: string }[] = [
  { sku: "apple", title: "Apple" },
  { sku: "bread", title: "Bread" },
  { sku: "cheese", title: "Cheese" },
];

/** The product's display name, or the sku for one the catalog does not list. */
export function titleOf(sku: string): string {
  return PRODUCTS.find((product) => product.sku === sku)?.title ?? sku;
}

/** How a cart line reads: the sku, with a count when there is more than one. */
export function lineText(item: { sku: string; qty: number }): string {
  return item.qty > 1 ? `${item.sku} x${item.qty}` : item.sku;
}

/** Adds one of `sku`: a new line at the end, or one more on an existing line. */
export function addItem(items: { sku: string; qty: number }[], sku: string): { sku: string; qty: number }[] {
  const line = items.find((item) => item.sku === sku);
  if (line) {
    line.qty += 1;
    return items;
  }
  return [...items, { sku, qty: 1 }];
}

/** Removes every `sku` line. */
export function removeItem(
  items: { sku: string; qty: number }[],
  sku: string,
): { sku: string; qty: number }[] {
  return items.filter((item) => item.sku !== sku);
}
