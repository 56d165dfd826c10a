import Link from "next/link";
import type { ReactNode } from "react";
import { LANGUAGES, texts } from "@/lib/i18n";
import { TUTORIALS } from "@/lib/tutorials";
import { getSession } from "@/sessions";
import { logout, setLanguage } from "./actions";

/**
 * Every page: the language from the `prefs` session (as `lang` on the app), the cart count ("–"
 * while the cart's store is down), who is signed in, the notices meant for this page view, and the
 * way to every tutorial and the inspector. The proxy handed the cart's leveled messages and the
 * `prefs` flash to this render and removed them from the sessions, so each shows once.
 */
export async function Shell({ children }: { children: ReactNode }) {
  const [prefs, cart, auth] = await Promise.all([
    getSession("prefs"),
    // Every page renders the shell: with the store down it shows the count as unknown, not an error.
    getSession("cart", { unavailable: "empty" }),
    getSession("auth"),
  ]);
  const t = texts(prefs.language);
  const count = cart.items.reduce((sum, item) => sum + item.qty, 0);
  const messages = cart.messages.read();
  const notes = prefs.flash.message.read();
  return (
    <div className="app" lang={prefs.language} data-testid="app">
      <header className="top">
        <Link href="/" className="brand">
          satchel
        </Link>
        <nav>
          <Link href="/">{t.home}</Link>
          <Link href="/cart" data-testid="cart-link">
            {t.cart}{" "}
            {cart.$unavailable ? (
              <span className="count" data-testid="cart-count" title={t.countUnknown}>
                –
              </span>
            ) : (
              <span className="count" data-testid="cart-count">
                {count}
              </span>
            )}
          </Link>
          <Link href="/contact">Contact</Link>
          {/* A route handler, not a page: a full load, not a client-side navigation. */}
          <a href="/_satchel" data-testid="inspector-link">
            {t.inspector}
          </a>
        </nav>
        <div className="who">
          {auth.userId ? (
            <form action={logout}>
              <span data-testid="user">{auth.name}</span> <button type="submit">{t.logout}</button>
            </form>
          ) : (
            <Link href="/login">{t.login}</Link>
          )}
        </div>
        <form action={setLanguage} className="language">
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
      <div className="notices">
        {messages.map((message, i) => (
          <p
            role="status"
            // Messages have no id; the position is stable for one render.
            // biome-ignore lint/suspicious/noArrayIndexKey: see above
            key={i}
            data-testid="message"
            data-level={message.level}
            className={`notice level-${message.level}`}
          >
            {message.title ? <strong>{message.title}: </strong> : null}
            {message.body}
          </p>
        ))}
        {notes.map((note) => (
          <p role="status" key={note} data-testid="flash-message" className="notice level-info">
            {note}
          </p>
        ))}
      </div>
      <main>{children}</main>
      <footer>
        <h2>{t.tutorials}</h2>
        <ul className="tutorials">
          {TUTORIALS.map((tutorial) => (
            <li key={tutorial.path}>
              {/* Plain-text route handlers: plain links. */}
              <a href={tutorial.path}>{tutorial.path}</a> <span className="seed">{tutorial.seed}</span>{" "}
              <span className="what">{tutorial.what}</span>
            </li>
          ))}
        </ul>
      </footer>
    </div>
  );
}
