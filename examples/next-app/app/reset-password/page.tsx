import Link from "next/link";
import { texts } from "@/lib/i18n";
import { userById } from "@/lib/users";
import { getSession, openToken } from "@/sessions";
import { resetPassword } from "../actions";

/**
 * The page a reset link opens. It checks the token without using it up (`consume: false`): a reload,
 * or a mail scanner fetching the link, must not burn it. The form's action opens it for real.
 */
export default async function ResetPasswordPage({
  searchParams,
}: {
  searchParams: Promise<{ token?: string }>;
}) {
  const [{ token = "" }, prefs] = await Promise.all([searchParams, getSession("prefs")]);
  const t = texts(prefs.language);
  const reset = await openToken("passwordReset", token, { consume: false });
  const user = reset === null ? undefined : userById(reset.userId);
  if (user === undefined) {
    return (
      <>
        <h1>{t.chooseNewPassword}</h1>
        <p role="alert" data-testid="reset-invalid" className="notice level-error">
          {t.resetLinkInvalid} <Link href="/forgot-password">{t.askForNewLink}</Link>
        </p>
      </>
    );
  }
  return (
    <>
      <h1>{t.chooseNewPassword}</h1>
      <form action={resetPassword}>
        <input type="hidden" name="token" value={token} />
        <p data-testid="reset-for">
          {t.newPasswordFor} <strong>{user.username}</strong>
        </p>
        <p>
          <label>
            {t.newPassword} <input name="password" type="password" autoComplete="new-password" required />
          </label>
        </p>
        <button type="submit">{t.setNewPassword}</button>
      </form>
    </>
  );
}
