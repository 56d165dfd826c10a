/**
 * Next 16 proxy: hands pending flash to the page render (shown once, gone on reload) and refreshes
 * rolling session expiry. See runtime/next/proxy.ts for how the hand-off works.
 */
import { sessionProxy } from "@/sessions";

export const proxy = sessionProxy({ csrf: true });

export const config = {
  matcher: [
    {
      // Not for static files, and not for prefetches: a prefetch must not consume flash.
      source: "/((?!_next/static|_next/image|favicon.ico).*)",
      missing: [
        { type: "header", key: "next-router-prefetch" },
        { type: "header", key: "purpose", value: "prefetch" },
      ],
    },
  ],
};
