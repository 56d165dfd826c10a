/**
 * Next 16 proxy. `sessionProxy()` hands pending flash to the page render (shown once, gone on
 * reload), refreshes rolling expiry and, with `csrf: true`, gives each visitor a CSRF token cookie.
 * The function passed as `proxy` runs first with sessions available: here `?lang=de` switches the
 * language, and the page rendered for this very request already uses it.
 */

import { isLanguage } from "@/lib/i18n";
import { getSession, sessionProxy } from "@/sessions";

export const proxy = sessionProxy({
  csrf: true,
  proxy: async (request) => {
    const lang = request.nextUrl.searchParams.get("lang");
    if (isLanguage(lang)) (await getSession("prefs")).language = lang;
  },
});

export const config = {
  matcher: [
    {
      // Not for static files, and not for prefetches: a prefetch must not consume flash. Not for
      // /no-cookie-session either: its clients carry no cookies, so they get no CSRF cookie. Nor the
      // inspector (/_satchel): looking must not hand off (consume) the flash it shows.
      source: "/((?!_next/static|_next/image|favicon.ico|no-cookie-session|_satchel).*)",
      missing: [
        { type: "header", key: "next-router-prefetch" },
        { type: "header", key: "purpose", value: "prefetch" },
      ],
    },
  ],
};
