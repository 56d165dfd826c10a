/**
 * `csrfToken()` for forms that post to a route handler. The generated module does not export it
 * (yet), so the example builds it from the generated `satchel` runtime; it reads the same cookie.
 */
import { createNextSessions } from "satchel/next";
import { satchel } from "@/sessions";

export const { csrfToken } = createNextSessions(satchel);
