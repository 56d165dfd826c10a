"use client";
import { useActionState } from "react";
import { type ResetRequestState, requestPasswordReset } from "../actions";

/** The form, and the link the action answers with where a mail would normally take it. */
export function ResetRequestForm({
  texts,
}: {
  texts: { username: string; getResetLink: string; resetLinkNote: string; noSuchUser: string };
}) {
  const [state, action, pending] = useActionState<ResetRequestState, FormData>(requestPasswordReset, null);
  return (
    <>
      <form action={action}>
        <p>
          <label>
            {texts.username}{" "}
            <input name="username" autoComplete="username" defaultValue={state?.username} required />
          </label>
        </p>
        <button type="submit" disabled={pending}>
          {texts.getResetLink}
        </button>
      </form>
      {state?.link ? (
        <div className="card" data-testid="reset-link-card">
          <p>{texts.resetLinkNote}</p>
          <p>
            <a href={state.link} data-testid="reset-link">
              {state.link}
            </a>
          </p>
        </div>
      ) : null}
      {state !== null && state.link === null ? (
        <p role="alert" className="notice level-error">
          {texts.noSuchUser}
        </p>
      ) : null}
    </>
  );
}
