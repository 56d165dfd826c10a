/**
 * Next.js proxy (Next 16 `proxy.ts`): hands flash messages to the next render and refreshes rolling
 * session expiry. Added by `satchel init`.
 */
import { sessionProxy } from "{{generatedImport}}";

export const proxy = sessionProxy();

export const config = {
  matcher: [
    {
      // Skip static assets (they never need sessions), the session inspector (/_satchel: looking
      // must not consume the flash it shows) and prefetches: the proxy consumes pending flash to
      // hand it to the render, so a prefetch would eat a message the user never sees.
      source: "/((?!_next/static|_next/image|favicon.ico|_satchel).*)",
      missing: [
        { type: "header", key: "next-router-prefetch" },
        { type: "header", key: "purpose", value: "prefetch" },
      ],
    },
  ],
};
