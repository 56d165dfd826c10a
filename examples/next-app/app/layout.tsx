import Link from "next/link";
import type { ReactNode } from "react";
import { LANGUAGES, texts } from "@/lib/i18n";
import { getSession } from "@/sessions";
import { logout, setLanguage } from "./actions";

export const metadata = { title: "satchel demo" };

/**
 * Every page: the language from the `prefs` session, the cart count, who is signed in, and the
 * notices meant for this page view: the cart's leveled messages and the `prefs` flash. The proxy
 * handed them to this render and removed them from the sessions, so each shows once.
 */
export default async function RootLayout({ children }: { children: ReactNode }) {
  const [prefs, cart, auth] = await Promise.all([
    getSession("prefs"),
    getSession("cart"),
    getSession("auth"),
  ]);
  const t = texts(prefs.language);
  const count = cart.items.reduce((sum, item) => sum + item.qty, 0);
  const messages = cart.messages.read();
  const notes = prefs.flash.message.read();
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
        {messages.map((message, i) => (
          <p
            role="status"
            // Messages have no id; the position is stable for one render.
            // biome-ignore lint/suspicious/noArrayIndexKey: see above
            key={i}
            data-testid="message"
            data-level={message.level}
            style={{ color: message.level === "error" ? "crimson" : undefined }}
          >
            {message.title ? <strong>{message.title}: </strong> : null}
            {message.body}
          </p>
        ))}
        {notes.map((note) => (
          <p role="status" key={note} data-testid="flash-message">
            {note}
          </p>
        ))}
        <main>{children}</main>
      </body>
    </html>
  );
}
