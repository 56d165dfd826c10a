"use client";

/**
 * What a page shows when its render throws — for instance a page that reads a store session
 * without `{ unavailable: "empty" }` while the store is down (`SessionStoreUnavailableError`). In
 * production Next hands Server Component errors to this boundary without their message, only a
 * `digest` that matches the server's log line, so it cannot tell an outage from another failure: it
 * says "try again", and `retry()` renders the page again on the server. It catches the pages under
 * `app/`, not the root layout's shell, which reads the cart with `{ unavailable: "empty" }` itself.
 */
export default function PageError({ error, retry }: { error: unknown; retry: () => void }) {
  const digest =
    error instanceof Error && "digest" in error && typeof error.digest === "string" ? error.digest : null;
  return (
    <div role="alert" data-testid="page-error" className="notice level-error">
      <p>This page could not be loaded just now.</p>
      <button type="button" onClick={() => retry()}>
        Try again
      </button>
      {digest === null ? null : (
        <p>
          <small>Reference for the server log: {digest}</small>
        </p>
      )}
    </div>
  );
}
