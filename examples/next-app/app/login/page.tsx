import Link from "next/link";
import { texts } from "@/lib/i18n";
import { DEMO_USERS } from "@/lib/users";
import { getSession } from "@/sessions";
import { login } from "../actions";

export default async function LoginPage() {
  const [auth, prefs] = await Promise.all([getSession("auth"), getSession("prefs")]);
  const t = texts(prefs.language);
  const errors = auth.flash.error.read();
  // The reset link's action sends the visitor here with a notice.
  const notices = auth.flash.notice.read();
  return (
    <>
      <h1>{t.login}</h1>
      {notices.map((notice) => (
        <p role="status" key={notice} data-testid="flash" className="notice level-success">
          {notice}
        </p>
      ))}
      {errors.map((error) => (
        <p role="alert" key={error.message} data-testid="flash-error" className="notice level-error">
          {error.message}
        </p>
      ))}
      <form action={login}>
        <p>
          <label>
            {t.username} <input name="username" autoComplete="username" required />
          </label>
        </p>
        <p>
          <label>
            {t.password} <input name="password" type="password" autoComplete="current-password" required />
          </label>
        </p>
        <p>
          <label>
            <input name="remember" type="checkbox" /> {t.rememberMe}
          </label>
        </p>
        <button type="submit">{t.login}</button>
      </form>
      <p>
        <Link href="/forgot-password">{t.forgotPassword}</Link>
      </p>
      <h2>{t.demoUsers}</h2>
      <ul>
        {DEMO_USERS.map((user) => (
          <li key={user.username}>
            <code>{user.username}</code> / <code>{user.password}</code> ({user.roles.join(", ")})
          </li>
        ))}
      </ul>
    </>
  );
}
