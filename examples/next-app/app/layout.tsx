import Link from "next/link";
import type { ReactNode } from "react";
import { LANGUAGES, texts } from "@/lib/i18n";
import { getSession } from "@/sessions";
import { logout, setLanguage } from "./actions";

export const metadata = { title: "satchel demo" };

/** Every page: the language from the `prefs` session, the cart count, who is signed in. */
export default async function RootLayout({ children }: { children: ReactNode }) {
  const [prefs, cart, auth] = await Promise.all([
    getSession("prefs"),
    getSession("cart"),
    getSession("auth"),
  ]);
  const t = texts(prefs.language);
  const count = cart.items.reduce((sum, item) => sum + item.qty, 0);
  return (
    <html lang={prefs.language}>
      <body
        style={{ fontFamily: "system-ui, sans-serif", maxWidth: 720, margin: "2rem auto", padding: "0 1rem" }}
      >
        <header style={{ display: "flex", gap: "1rem", alignItems: "center", flexWrap: "wrap" }}>
          <Link href="/">{t.home}</Link>
          <Link href="/cart" data-testid="cart-link">
            {t.cart} (<span data-testid="cart-count">{count}</span>)
          </Link>
          {auth.userId ? (
            <form action={logout}>
              <span data-testid="user">{auth.name}</span> <button type="submit">{t.logout}</button>
            </form>
          ) : (
            <Link href="/login">{t.login}</Link>
          )}
          <form action={setLanguage} style={{ marginLeft: "auto" }}>
            <label>
              {t.language}{" "}
              <select name="language" defaultValue={prefs.language} key={prefs.language}>
                {LANGUAGES.map((l) => (
                  <option key={l.code} value={l.code}>
                    {l.label}
                  </option>
                ))}
              </select>
            </label>{" "}
            <button type="submit" data-testid="set-language">
              {t.save}
            </button>
          </form>
        </header>
        <main>{children}</main>
      </body>
    </html>
  );
}
