/**
 * The satchel session inspector at /_satchel (the folder is `%5Fsatchel`: a folder starting with `_`
 * is private to Next's router). By default on in `next dev` and 404 in production; this local demo
 * also turns it on, buttons included, when `SATCHEL_DEMO_INSPECTOR=1` (`npm run demo` and the tests
 * set it). A deployed app would pass `authorize` instead, its own check (e.g. an admin role).
 * proxy.ts leaves this path alone, so looking does not hand off (consume) the flash it shows.
 */
import { createInspector } from "satchel/next";
import { satchel } from "@/sessions";

export const { GET, POST } = createInspector(satchel, {
  development: process.env.NODE_ENV === "development" || process.env.SATCHEL_DEMO_INSPECTOR === "1",
});
