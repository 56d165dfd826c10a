/**
 * Next.js proxy (Next 16 `proxy.ts`): hands flash messages to the next render and refreshes rolling
 * session expiry. Added by `satchel init`.
 */
import { sessionProxy } from "{{generatedImport}}";

export const proxy = sessionProxy();

export const config = {
  // Skip static assets: they never need sessions.
  matcher: ["/((?!_next/static|_next/image|favicon.ico).*)"],
};
