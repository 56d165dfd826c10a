/**
 * Recognises the errors Next.js throws to steer navigation: `redirect()`, `permanentRedirect()`,
 * `notFound()`, `forbidden()` and `unauthorized()`. A wrapper must save sessions before letting
 * those through (the redirect is the normal end of a form post), and must not save after real errors.
 * @internal
 */

/** Digest prefixes of Next's navigation errors (see `next/dist/client/components/redirect-error`). */
const NAVIGATION_DIGESTS = ["NEXT_REDIRECT;", "NEXT_HTTP_ERROR_FALLBACK;"];

/**
 * True for the error `redirect()`/`notFound()` and friends throw. Checked by the documented digest
 * shape rather than by importing Next internals; a test runs it against the real functions.
 */
export function isNavigationSignal(error: unknown): boolean {
  if (typeof error !== "object" || error === null || !("digest" in error)) return false;
  const digest = (error as { digest: unknown }).digest;
  return typeof digest === "string" && NAVIGATION_DIGESTS.some((prefix) => digest.startsWith(prefix));
}
