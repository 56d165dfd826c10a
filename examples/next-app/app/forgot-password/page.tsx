import { texts } from "@/lib/i18n";
import { getSession } from "@/sessions";
import { ResetRequestForm } from "./request-form";

/** Asks for a password-reset link; the link appears on the page (no mail in this demo). */
export default async function ForgotPasswordPage() {
  const prefs = await getSession("prefs");
  const t = texts(prefs.language);
  return (
    <>
      <h1>{t.forgotPassword}</h1>
      <ResetRequestForm
        texts={{
          username: t.username,
          getResetLink: t.getResetLink,
          resetLinkNote: t.resetLinkNote,
          noSuchUser: t.noSuchUser,
        }}
      />
    </>
  );
}
