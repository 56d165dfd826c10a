"use server";
/**
 * Server actions. Each is wrapped with `withActionSessions`, which saves every changed session when the
 * action returns or ends with `redirect()`, and saves nothing when it throws.
 */
import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { addItem, removeItem, titleOf } from "@/lib/catalog";
import { isLanguage, texts } from "@/lib/i18n";
import { checkPassword, findUser, setPassword } from "@/lib/users";
import { getSession, openToken, sealToken, withActionSessions } from "@/sessions";

function field(form: FormData, name: string): string {
  const value = form.get(name);
  return typeof value === "string" ? value.trim() : "";
}

export const login = withActionSessions(async (form: FormData) => {
  const auth = await getSession("auth");
  const username = field(form, "username");
  const user = checkPassword(username, field(form, "password"));
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
  // Remember me: a 30-day cookie that survives closing the browser, with no idle sign-out; otherwise
  // a browser-session cookie (gone when the browser closes), still ending after 7 days or 2 idle hours.
  await auth.$expire(
    form.get("remember") === "on"
      ? { absolute: "30d", idle: null, persistent: true }
      : { absolute: "7d", persistent: false },
  );
  // Pylons greets with the name as submitted.
  auth.flash.notice.add(`Successfully logged in as ${username}`);
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
 * Back to the page the visitor was on (from Referer, path only, so never to another site), where the
 * proxy hands the confirmation to the render: shown at once, in the language just chosen.
 */
export const setLanguage = withActionSessions(async (form: FormData) => {
  const language = field(form, "language");
  if (!isLanguage(language)) return;
  const prefs = await getSession("prefs");
  prefs.language = language;
  prefs.flash.message.add(texts(language).languageSaved);
  redirect(sameSitePath((await headers()).get("referer")));
});

/** The path and query of `referer` without `?lang=` (it would switch back), or `/`. */
function sameSitePath(referer: string | null): string {
  if (referer === null) return "/";
  try {
    const url = new URL(referer);
    url.searchParams.delete("lang");
    // "//host" would be a protocol-relative URL to another site.
    return url.pathname.startsWith("//") ? "/" : `${url.pathname}${url.search}`;
  } catch {
    return "/";
  }
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

/** What the "forgot password" form shows after it was sent (`useActionState`). */
export type ResetRequestState = { username: string; link: string | null } | null;

/**
 * Seals a password-reset token for the user and answers with the link a mail would carry: this demo
 * sends no mail, so the page shows it. The token (one use, 15 minutes: the schema's `passwordReset`)
 * holds the user's id; nothing is stored until it is used.
 */
export async function requestPasswordReset(
  _previous: ResetRequestState,
  form: FormData,
): Promise<ResetRequestState> {
  const username = field(form, "username");
  const user = findUser(username);
  // A real app answers the same whether or not the user exists, and mails the link; the demo lists
  // its users on the login page anyway, so it says so and shows the link.
  if (user === undefined) return { username, link: null };
  const token = await sealToken("passwordReset", { userId: user.id });
  return { username, link: `/reset-password?token=${token}` };
}

/**
 * Uses the reset link for real: `openToken` records the token as used, so a second submit, another
 * tab or a replayed link is refused. Then the new password is set and the visitor sent to log in.
 */
export const resetPassword = withActionSessions(async (form: FormData) => {
  const token = field(form, "token");
  const password = field(form, "password");
  const back = `/reset-password?token=${encodeURIComponent(token)}`;
  // Checked before the token is used, so an empty password leaves the link working.
  if (password === "") redirect(back);
  const reset = await openToken("passwordReset", token);
  // Expired, used meanwhile, or not a reset token: the page says so.
  if (reset === null) redirect(back);
  setPassword(reset.userId, password);
  const [auth, prefs] = await Promise.all([getSession("auth"), getSession("prefs")]);
  auth.flash.notice.add(texts(prefs.language).passwordChanged);
  redirect("/login");
});
