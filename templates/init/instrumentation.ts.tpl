/**
 * Next.js calls register() once when the server starts, before it serves a request. satchel checks
 * its configuration here, so a missing or weak SESSION_SECRET stops `next start` with a `satchel:`
 * message naming it, instead of failing the first sign-in. Added by `satchel init`.
 */
export async function register() {
  // Node.js only: the edge runtime never loads the session module.
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { satchel } = await import("{{generatedImport}}");
  try {
    satchel.checkConfig();
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    // Next would log the error and answer every request with a 500; a deploy should fail instead.
    if (process.env.NODE_ENV === "production") process.exit(1);
    throw error;
  }
}
