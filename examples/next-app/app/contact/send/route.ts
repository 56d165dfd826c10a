/**
 * A form-posting route handler: `{ csrf: true }` checks Origin and the `_csrf` token before the
 * handler runs, and answers 403 when either is wrong.
 */
import { withRouteSessions } from "@/sessions";

export const POST = withRouteSessions(
  async (request) => {
    const name = String((await request.formData()).get("name") ?? "").trim() || "stranger";
    return new Response(`Thanks, ${name}. Your message was received.`, {
      headers: { "content-type": "text/plain; charset=utf-8" },
    });
  },
  { csrf: true },
);
