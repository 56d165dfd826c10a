"use client";
import { useActionState, useSyncExternalStore } from "react";
import { type ResetRequestState, requestPasswordReset } from "../actions";

const noSubscription = () => () => {};

/**
 * False in the server's HTML and during hydration, true once React handles this form. Clicked before
 * that, the browser posts the form natively, and with `cacheComponents` Next 16.4 answers such a post
 * with the action's result but without the page's static shell: a blank page
 * (https://github.com/vercel/next.js/pull/97784). Without JavaScript the page is not shown at all
 * (its content streams in through scripts), so waiting for React loses no one.
 */
function useHydrated(): boolean {
  return useSyncExternalStore(
    noSubscription,
    () => true,
    () => false,
  );
}

/** The form, and the link the action answers with where a mail would normally take it. */
export function ResetRequestForm({
  texts,
}: {
  texts: { username: string; getResetLink: string; resetLinkNote: string; noSuchUser: string };
}) {
  const [state, action, pending] = useActionState<ResetRequestState, FormData>(requestPasswordReset, null);
  const hydrated = useHydrated();
  return (
    <>
      <form action={action}>
        <p>
          <label>
            {texts.username}{" "}
            <input name="username" autoComplete="username" defaultValue={state?.username} required />
          </label>
        </p>
        <button type="submit" disabled={pending || !hydrated}>
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
