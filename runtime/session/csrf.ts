/**
 * CSRF protection for endpoints that accept form posts (Next route handlers, Fetch handlers), as
 * Rails does it: a synchronizer token bound to the session, masked per render, plus an Origin check.
 *
 * - The browser holds a random secret in a signed, HttpOnly cookie (`__Host-satchel-csrf`; plain
 *   `satchel-csrf` in development, where cookies are not Secure).
 * - The session secret is an HMAC, under the app's secrets, of that random value and the
 *   *generation* of every session the request carries: a cookie session's sealed random binding
 *   (16 bytes drawn when it starts), a store session's id. `regenerate()` (call it at sign-in) and
 *   `destroy()` change the generation, so every token issued before is worthless, even in the same
 *   second; a token made next to another visitor's session (an attacker's own cookie and token,
 *   planted next to the victim's session) does not verify, whenever either was created.
 * - Issuing a token first saves the sessions the request started and changed, so the token binds
 *   the session its form will be posted with.
 * - Each render gets the secret masked with a fresh random pad (`pad ‖ secret ⊕ pad`), so the token
 *   in a compressed HTML page changes every time (BREACH).
 * - The `Origin` (or, when absent, `Referer`) must equal the request's own scheme, host and port;
 *   `Origin: null` and opaque origins (`about:`, `data:`, `file:`, `blob:null/…`) are cross-origin.
 *   Behind a reverse proxy, `trustForwardedHeaders` takes scheme and host from `X-Forwarded-Proto`
 *   and `X-Forwarded-Host` (only set it when the proxy overwrites those headers).
 */
import type { CookieJar } from "../cookies/header.ts";
import type { PlainCookies } from "../cookies/plain-cookies.ts";
import { base64urlDecode, base64urlEncode, sha256, timingSafeEqual } from "../crypto/backend.ts";
import type { Sealer } from "../crypto/seal.ts";
import { SatchelError } from "../errors.ts";
import type { HostRuntime } from "./host-runtime.ts";
import type { RequestSessions } from "./request-sessions.ts";
import { trustedCookieToken } from "./token.ts";

/** The cookie name in development, and the name older versions used everywhere (read once, then moved). */
export const CSRF_COOKIE = "satchel-csrf";
/** The cookie name outside development: only this host can set it (no sibling subdomain). */
const CSRF_HOST_COOKIE = "__Host-satchel-csrf";
/** The form field a form posts the token in. */
export const CSRF_FIELD = "_csrf";
/** The header a script sends the token in. */
export const CSRF_HEADER = "x-csrf-token";

/** Methods that cannot change state; every other method is checked. */
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS", "TRACE"]);
const SECRET_BYTES = 32;

/** A request failed the CSRF check. Answer it with HTTP 403. */
export class CsrfError extends SatchelError {
  override name = "CsrfError";
  readonly status = 403;
}

/** Options of the CSRF check. */
export interface CsrfOptions {
  /** Other origins allowed to post, e.g. `["https://admin.example.com"]`. Default: none. */
  allowedOrigins?: readonly string[];
  /**
   * Take the request's scheme and host from `X-Forwarded-Proto` and `X-Forwarded-Host` (first
   * value) instead of the request URL. Only behind a reverse proxy that always sets them: otherwise
   * a client could choose what its Origin is compared with. Default `false`.
   */
  trustForwardedHeaders?: boolean;
}

/** What the CSRF code needs from one request's sessions. */
export interface CsrfContext {
  /** The request's cookies as satchel reads them, this request's writes included. */
  readonly jar: CookieJar;
  /** Signed plain cookies of the request (the browser secret lives in one). */
  readonly cookies: PlainCookies;
  /** The satchel's config, its sealer (to read each session's generation) and its signer. */
  readonly runtime: HostRuntime;
  /** The request's sessions: the ones it started are saved before a token is issued. */
  readonly sessions: Pick<RequestSessions<unknown>, "saveNew">;
}

/** The signing context of CSRF secrets: no signed cookie of satchel's own has this name. */
const MAC_CONTEXT = "satchel-csrf-secret";

/**
 * An HMAC of `data` under the app's secrets (base64url): the one satchel's signed cookies use
 * (HKDF-derived signing key), with a context of its own, so a CSRF secret is never a valid signature
 * of any satchel cookie.
 */
async function csrfMac(ctx: CsrfContext, data: string): Promise<string> {
  const signed = await ctx.runtime.signer().sign(data, MAC_CONTEXT);
  return signed.slice(signed.lastIndexOf(".") + 1);
}

/** The CSRF cookie's name now: `__Host-` outside development. */
function csrfCookieName(): string {
  return globalThis.process?.env?.NODE_ENV === "development" ? CSRF_COOKIE : CSRF_HOST_COOKIE;
}

function randomBytes(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  globalThis.crypto.getRandomValues(bytes);
  return bytes;
}

async function setBrowserSecret(cookies: PlainCookies, name: string, value: string): Promise<void> {
  const hostOnly = name === CSRF_HOST_COOKIE ? { secure: true, domain: undefined } : {};
  await cookies.setSigned(name, value, { httpOnly: true, sameSite: "lax", path: "/", ...hostOnly });
}

/**
 * The browser's random CSRF secret. With `canWrite`, a missing one is created, and one found under
 * the old name `satchel-csrf` is moved to `__Host-satchel-csrf` (set there, expired under the old name).
 */
export async function browserSecret(ctx: CsrfContext, canWrite: boolean): Promise<string | undefined> {
  const name = csrfCookieName();
  const current = await ctx.cookies.getSigned(name);
  if (current) return current;
  const old = name === CSRF_COOKIE ? undefined : await ctx.cookies.getSigned(CSRF_COOKIE);
  if (!canWrite) return old || undefined;
  const value = old || base64urlEncode(randomBytes(SECRET_BYTES));
  await setBrowserSecret(ctx.cookies, name, value);
  if (old) ctx.cookies.delete(CSRF_COOKIE, { path: "/" });
  return value;
}

/**
 * The generation of every session the request carries: a cookie session's sealed random binding, a
 * store session's id (hashed). New after `regenerate()` and `destroy()`; unreadable cookies count as
 * absent. A cookie sealed before sessions had a binding counts by its creation time until its next
 * write gives it one.
 */
async function sessionGeneration(ctx: CsrfContext): Promise<string> {
  const parts: string[] = [];
  let sealer: Sealer | undefined;
  for (const def of Object.values(ctx.runtime.config.sessions)) {
    // Read at time 0, so expiry does not matter here: the generation only has to tell sessions apart.
    // A session sent in both cookie forms counts as the session layer reads it (token.ts).
    const token = await trustedCookieToken(() => ctx.runtime.sealer(), def, ctx.jar, 0);
    if (token === undefined || token === "") continue;
    sealer ??= await ctx.runtime.sealer();
    const opened = await sealer.unseal(def.name, token, 0);
    if (!opened.ok) continue;
    const { binding, createdAt } = opened.times;
    const generation =
      def.storage === "store"
        ? base64urlEncode(await sha256(opened.plaintext))
        : binding !== undefined
          ? `b${base64urlEncode(binding)}`
          : `t${createdAt}`;
    parts.push(`${def.name}=${generation}`);
  }
  return parts.join("&");
}

/** The unmasked secret for the request's browser secret and sessions. */
async function sessionSecret(ctx: CsrfContext, browser: string): Promise<Uint8Array> {
  const mac = base64urlDecode(await csrfMac(ctx, `${browser}\u0000${await sessionGeneration(ctx)}`));
  if (mac === null) throw new SatchelError("satchel: the CSRF secret could not be derived.");
  return mac;
}

function mask(secret: Uint8Array): string {
  const pad = randomBytes(secret.length);
  const out = new Uint8Array(secret.length * 2);
  out.set(pad, 0);
  for (let i = 0; i < secret.length; i++) out[secret.length + i] = (secret[i] as number) ^ (pad[i] as number);
  return base64urlEncode(out);
}

function unmask(token: string): Uint8Array | null {
  const bytes = token.length <= 256 ? base64urlDecode(token) : null;
  if (bytes === null || bytes.length !== SECRET_BYTES * 2) return null;
  const secret = new Uint8Array(SECRET_BYTES);
  for (let i = 0; i < SECRET_BYTES; i++)
    secret[i] = (bytes[i] as number) ^ (bytes[SECRET_BYTES + i] as number);
  return secret;
}

/**
 * A fresh masked token for a form of this request.
 * @param canWrite false in a Server Component: then a missing browser secret is an error saying how to fix it.
 */
export async function issueCsrfToken(ctx: CsrfContext, canWrite: boolean): Promise<string> {
  if (canWrite) await ctx.sessions.saveNew();
  const browser = await browserSecret(ctx, canWrite);
  if (browser === undefined) {
    throw new SatchelError(
      "satchel: there is no CSRF token yet, and a Server Component cannot set the cookie that holds it. " +
        "Pass { csrf: true } to sessionProxy() in proxy.ts (it creates the cookie before the page renders), " +
        "or call csrfToken() in a server action or route handler first.",
    );
  }
  return mask(await sessionSecret(ctx, browser));
}

/** The tuple origin (`scheme://host[:port]`) of an http(s) URL; `null` for opaque or unparsable ones. */
function tupleOrigin(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return null;
  return url.origin;
}

/**
 * The origin the request was sent to, as the browser saw it: the URL's scheme with the `Host` header
 * the browser sent (as Rails' `base_url`; Next's `request.url` says `localhost` for `127.0.0.1`), or
 * the forwarded scheme and host when trusted. A cross-site page cannot choose the Host its victim's
 * browser sends, only the Origin, which is what is checked.
 */
function requestOrigin(request: Request, options: CsrfOptions): string | null {
  const first = (name: string) => request.headers.get(name)?.split(",")[0]?.trim() || undefined;
  let scheme: string | undefined;
  let host = first("host");
  try {
    scheme = new URL(request.url).protocol.slice(0, -1);
  } catch {
    scheme = undefined;
  }
  if (options.trustForwardedHeaders) {
    scheme = first("x-forwarded-proto") ?? scheme;
    host = first("x-forwarded-host") ?? host;
  }
  if (scheme !== undefined && host !== undefined) return tupleOrigin(`${scheme}://${host}`);
  return tupleOrigin(request.url);
}

/** Throws unless the request's Origin (or Referer) is its own origin or an allowed one. */
function checkOrigin(request: Request, options: CsrfOptions): void {
  const origin = request.headers.get("origin");
  const referer = request.headers.get("referer");
  const claimed = origin ? origin : referer ? referer : null;
  if (claimed === null) {
    throw new CsrfError("satchel: CSRF check failed: the request has no Origin or Referer header.");
  }
  const from = tupleOrigin(claimed);
  if (from === null) {
    throw new CsrfError(
      `satchel: CSRF check failed: the request comes from an opaque origin (${origin ? "Origin" : "Referer"} is not an http(s) origin).`,
    );
  }
  const own = requestOrigin(request, options);
  const allowed = (options.allowedOrigins ?? []).map(tupleOrigin);
  if (from !== own && !allowed.includes(from)) {
    throw new CsrfError(
      `satchel: CSRF check failed: origin ${from} may not post to ${own ?? "this origin"}.`,
    );
  }
}

/** The token the request sent: the header, else the form field (read from a clone, so the body stays). */
async function sentToken(request: Request): Promise<string | null> {
  const header = request.headers.get(CSRF_HEADER);
  if (header !== null) return header;
  const type = request.headers.get("content-type") ?? "";
  if (!type.startsWith("application/x-www-form-urlencoded") && !type.startsWith("multipart/form-data"))
    return null;
  const form = await request
    .clone()
    .formData()
    .catch(() => null);
  const field = form?.get(CSRF_FIELD);
  return typeof field === "string" ? field : null;
}

/**
 * Checks a request: safe methods (GET, HEAD, OPTIONS, TRACE) pass; any other needs a same-origin
 * Origin/Referer and a token made for this browser and these sessions.
 * @throws CsrfError (status 403) saying what was wrong.
 */
export async function verifyCsrf(
  request: Request,
  ctx: CsrfContext,
  options: CsrfOptions = {},
): Promise<void> {
  if (SAFE_METHODS.has(request.method.toUpperCase())) return;
  checkOrigin(request, options);
  const browser = await browserSecret(ctx, false);
  if (browser === undefined) {
    throw new CsrfError(
      "satchel: CSRF check failed: no CSRF cookie. Render the form with csrfToken() so the cookie is set.",
    );
  }
  const sent = await sentToken(request);
  const given = sent === null ? null : unmask(sent);
  if (given === null || !timingSafeEqual(given, await sessionSecret(ctx, browser))) {
    throw new CsrfError(
      `satchel: CSRF check failed: the ${CSRF_FIELD} field (or ${CSRF_HEADER} header) is missing, or was made for another session.`,
    );
  }
}
