"use server";
/**
 * Server actions. Each is wrapped with `withActionSessions`, which saves every changed session when the
 * action returns or ends with `redirect()`, and saves nothing when it throws.
 */
import { redirect } from "next/navigation";
import { addItem, PRODUCTS, removeItem } from "@/lib/catalog";
import { isLanguage } from "@/lib/i18n";
import { checkPassword } from "@/lib/users";
import { getSession, withActionSessions } from "@/sessions";

function field(form: FormData, name: string): string {
  const value = form.get(name);
  return typeof value === "string" ? value.trim() : "";
}

export const login = withActionSessions(async (form: FormData) => {
  const auth = await getSession("auth");
  const user = checkPassword(field(form, "username"), field(form, "password"));
  if (!user) {
    auth.flash.error.add({ message: "Invalid username/password", field: "password" });
    redirect("/login");
  }
  // A new token on sign-in: a cookie planted before login is worth nothing afterwards.
  await auth.regenerate();
  auth.userId = user.id;
  auth.name = user.name;
  auth.roles = user.roles;
  auth.signedInAt = new Date();
  auth.flash.notice.add(`Successfully logged in as ${user.name}`);
  redirect("/");
});

export const logout = withActionSessions(async () => {
  const auth = await getSession("auth");
  const name = auth.name;
  auth.reset();
  auth.flash.notice.add(name ? `Goodbye, ${name}. You have been logged out.` : "You have been logged out.");
  redirect("/");
});

/**
 * No redirect: Next re-renders the current page in this action's response, where cookies are
 * read-only. That render cannot consume the flash added here, so it shows it on the next page the
 * visitor opens (handed off by the proxy), once.
 */
export const setLanguage = withActionSessions(async (form: FormData) => {
  const language = field(form, "language");
  if (!isLanguage(language)) return;
  const prefs = await getSession("prefs");
  prefs.language = language;
  prefs.flash.message.add("Your language preference was saved.");
});

/** The product's display name, or the sku for one the catalog does not list. */
function titleOf(sku: string): string {
  return PRODUCTS.find((product) => product.sku === sku)?.title ?? sku;
}

export const addToCart = withActionSessions(async (form: FormData) => {
  const sku = field(form, "sku");
  if (sku === "") return;
  const cart = await getSession("cart");
  // Atomic on the store: two tabs adding at once both keep their item.
  await cart.update((data) => ({ items: addItem(data.items, sku) }));
  // Add, then redirect: the proxy hands the message to the cart page, which shows it once.
  cart.messages.success(`Added ${titleOf(sku)} to your cart.`);
  redirect("/cart");
});

export const removeFromCart = withActionSessions(async (form: FormData) => {
  const sku = field(form, "sku");
  const cart = await getSession("cart");
  await cart.update((data) => ({ items: removeItem(data.items, sku) }));
  cart.messages.info(`Removed ${titleOf(sku)} from your cart.`);
  redirect("/cart");
});
