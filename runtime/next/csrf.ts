/**
 * CSRF protection for route handlers that accept form posts. Server actions need none of this: Next
 * compares their Origin with the host itself. A route handler is a plain endpoint, so it gets both
 * defences:
 * - an Origin check: the browser's `Origin` (or, failing that, `Referer`) must name this host;
 * - a per-session token: a random value kept in a signed, HttpOnly cookie (`satchel-csrf`), which the
 *   form echoes in a `_csrf` field (or an `x-csrf-token` header); a cross-site page can neither read
 *   the cookie nor guess the value.
 * @internal
 */
import { SatchelError } from "../errors.ts";
import type { PlainCookies } from "../plain-cookies.ts";

/** The cookie holding the token (signed, so a value planted from a sibling subdomain is refused). */
export const CSRF_COOKIE = "satchel-csrf";
/** The form field a form posts the token in. */
export const CSRF_FIELD = "_csrf";
/** The header a script sends the token in. */
export const CSRF_HEADER = "x-csrf-token";

/** Methods that change state and therefore get checked. */
const UNSAFE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** A request failed the CSRF check. Answer it with HTTP 403. */
export class CsrfError extends SatchelError {
  override name = "CsrfError";
  readonly status = 403;
}

/** Options of the CSRF check. */
export interface CsrfOptions {
  /** Other origins allowed to post, e.g. `["https://admin.example.com"]`. Default: none. */
  allowedOrigins?: readonly string[];
}

function randomToken(): string {
  const bytes = new Uint8Array(32);
  globalThis.crypto.getRandomValues(bytes);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/**
 * The request's CSRF token, creating (and setting the cookie for) a new one when there is none.
 * @param canWrite false in a Server Component: then a missing token is an error that says how to fix it.
 */
export async function csrfTokenFrom(cookies: PlainCookies, canWrite: boolean): Promise<string> {
  const existing = await cookies.getSigned(CSRF_COOKIE);
  if (existing !== undefined && existing !== "") return existing;
  if (!canWrite) {
    throw new SatchelError(
      "satchel: there is no CSRF token yet, and a Server Component cannot set the cookie that holds it. " +
        "Pass { csrf: true } to sessionProxy() in proxy.ts (it creates the cookie before the page renders), " +
        "or call csrfToken() in a server action or route handler first.",
    );
  }
  const token = randomToken();
  await cookies.setSigned(CSRF_COOKIE, token, { httpOnly: true, sameSite: "lax", path: "/" });
  return token;
}

/** Constant-time string comparison (the lengths themselves are not secret). */
function sameString(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** The host the request was sent to, as the browser saw it (a reverse proxy's forwarded host first). */
function requestHost(request: Request): string | null {
  const forwarded = request.headers.get("x-forwarded-host")?.split(",")[0]?.trim();
  if (forwarded) return forwarded.toLowerCase();
  const host = request.headers.get("host");
  if (host) return host.toLowerCase();
  try {
    return new URL(request.url).host.toLowerCase();
  } catch {
    return null;
  }
}

function originOf(value: string | null): string | null {
  if (value === null || value === "" || value === "null") return null;
  try {
    return new URL(value).origin;
  } catch {
    return null;
  }
}

/**
 * Checks Origin and token of a state-changing request; safe methods (GET, HEAD, OPTIONS) pass.
 * @throws CsrfError (status 403) saying what was wrong.
 */
export async function verifyCsrfRequest(
  request: Request,
  cookies: PlainCookies,
  options: CsrfOptions = {},
): Promise<void> {
  if (!UNSAFE_METHODS.has(request.method.toUpperCase())) return;
  const origin = originOf(request.headers.get("origin")) ?? originOf(request.headers.get("referer"));
  if (origin === null) {
    throw new CsrfError("satchel: CSRF check failed: the request has no Origin or Referer header.");
  }
  const host = requestHost(request);
  const allowed = (options.allowedOrigins ?? []).map((o) => originOf(o)).filter((o) => o !== null);
  if (new URL(origin).host.toLowerCase() !== host && !allowed.includes(origin)) {
    throw new CsrfError(
      `satchel: CSRF check failed: origin ${origin} may not post to ${host ?? "this host"}.`,
    );
  }
  const expected = await cookies.getSigned(CSRF_COOKIE);
  if (expected === undefined || expected === "") {
    throw new CsrfError(
      "satchel: CSRF check failed: no CSRF cookie. Render the form with csrfToken() so the cookie is set.",
    );
  }
  let sent = request.headers.get(CSRF_HEADER);
  if (sent === null) {
    const type = request.headers.get("content-type") ?? "";
    if (type.startsWith("application/x-www-form-urlencoded") || type.startsWith("multipart/form-data")) {
      // A clone, so the handler can still read the body.
      const form = await request
        .clone()
        .formData()
        .catch(() => null);
      const field = form?.get(CSRF_FIELD);
      sent = typeof field === "string" ? field : null;
    }
  }
  if (sent === null || !sameString(sent, expected)) {
    throw new CsrfError(
      `satchel: CSRF check failed: the ${CSRF_FIELD} field (or ${CSRF_HEADER} header) is missing or wrong.`,
    );
  }
}
