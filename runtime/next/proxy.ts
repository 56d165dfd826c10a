/**
 * `sessionProxy()`: the Next 16 `proxy.ts` helper. For every request it
 * 1. deletes any `x-satchel-flash` header the client sent (only the proxy may hand flash off);
 * 2. runs your optional proxy function, inside which `getSession()` reads and writes sessions;
 * 3. reads (consumes) the pending flash and leveled messages of every session the request carries,
 *    and forwards them to the render in a signed `x-satchel-flash` request header (see `handoff.ts`);
 * 4. commits: sessions changed here, the flash/message removal and rolling-expiry refreshes become
 *    `Set-Cookie` on the response. Next also merges those cookies into `cookies()` for the render of
 *    this same request, so a session rotated in the proxy is what the page sees.
 *
 * One Next behaviour needs care: when a server action ends in `redirect()`, Next renders the target
 * page inside the action's own response (an internal fetch whose `Set-Cookie` it drops). A flash
 * consumed there would be shown, yet stay in the browser's cookie and show again on reload. So when the
 * proxy sees that internal request (it carries `x-action-redirect`) while flash or messages are pending, it answers
 * 204 instead of rendering; Next then lets the browser navigate to the target for real, and that
 * request hands the flash off and clears it in one response.
 * @internal
 */
import type { NextRequest } from "next/server.js";
import { NextResponse } from "next/server.js";
import { type CookieJar, type CookieWrite, parseCookies } from "../cookies/header.ts";
import type { ResolvedSession } from "../define.ts";
import { SessionStoreUnavailableError } from "../errors.ts";
import { applyTokenHeaders } from "../session/token-headers.ts";
import { bufferedCookieJar } from "./cookie-jar.ts";
import { browserSecret, nextCsrfContext } from "./csrf.ts";
import {
  emptyHandoff,
  encodeHandoff,
  FLASH_HANDOFF_HEADER,
  type Handoff,
  MAX_HANDOFF_BYTES,
} from "./handoff.ts";
import type { NextHost } from "./host.ts";
import { createScope, type Scope } from "./scope.ts";

/** Your own proxy logic; return a Response (redirect, rewrite, JSON) to answer, or nothing to go on. */
export type ProxyFunction = (
  request: NextRequest,
  // biome-ignore lint/suspicious/noConfusingVoidType: a proxy function that only reads sessions returns nothing
) => Response | undefined | void | Promise<Response | undefined | void>;

/** Options of `sessionProxy()`. */
export interface SessionProxyOptions {
  /** Runs first, with sessions available through `getSession()`. */
  proxy?: ProxyFunction;
  /**
   * Make sure every visitor has a CSRF token cookie before the page renders, so a Server Component
   * can call `csrfToken()` for a form posting to a route handler. Default `false`.
   */
  csrf?: boolean;
}

/** Response header Next adds to the request that renders a server action's redirect target. */
const ACTION_REDIRECT_HEADER = "x-action-redirect";

type FlashHandle = {
  flash?: Record<string, { peek(): unknown[]; read(): unknown[] }>;
  messages?: { peek(): unknown[]; read(): unknown[] };
};

/**
 * True when the request carries session `def` (a cookie, its first chunk, or its header), or a
 * cookie its `importFrom` reads: loading that session here imports the old one, and this response
 * writes it and expires the old cookie, before a read-only Server Component renders the page.
 */
function carries(def: ResolvedSession, jar: CookieJar, headers: Headers): boolean {
  if (jar.get(def.cookie.name) !== undefined || jar.get(`${def.cookie.name}.0`) !== undefined) return true;
  if (def.importFrom?.cookieNames.some((name) => jar.get(name) !== undefined)) return true;
  return def.header !== undefined && headers.has(def.header);
}

/** Builds the proxy function. */
export function buildSessionProxy<Types>(
  host: NextHost<Types>,
  options: SessionProxyOptions = {},
): (request: NextRequest) => Promise<Response> {
  return async (request) => {
    const forwarded = new Headers(request.headers);
    forwarded.delete(FLASH_HANDOFF_HEADER);
    // The raw Cookie header, read with satchel's parser like every other entry point (cookie-jar.ts).
    const cookieHeader = request.headers.get("cookie");
    const jar = bufferedCookieJar(cookieHeader);
    const sessions = host.satchel.open(jar, { headers: forwarded, url: request.url });
    const scope = createScope(sessions, jar, "proxy");

    let answer: Response | undefined;
    try {
      answer = (await host.run(scope, () => options.proxy?.(request))) ?? undefined;
    } catch (error) {
      // Your proxy function needed a store that is down: the typed error becomes a 503.
      if (error instanceof SessionStoreUnavailableError) return storeUnavailable(error);
      throw error;
    }

    const { handles, unavailable } = await loadCarried(host, scope, forwarded);
    const handoff = emptyHandoff();
    if (answer === undefined) {
      if (request.headers.has(ACTION_REDIRECT_HEADER) && [...handles.values()].some(hasPending)) {
        // See the module comment: let the browser make the request that can clear the flash.
        return new NextResponse(null, { status: 204, headers: { "cache-control": "no-store" } });
      }
      takeFlashAndMessages(handles, handoff);
      if (options.csrf) await browserSecret(nextCsrfContext(host.runtime, scope), true);
    }

    let saveFailed = false;
    try {
      await sessions.commit();
    } catch (error) {
      // The store went down between loading and saving: the rolling touch and the consumed flash of
      // that session are not saved (the flash shows again later); the page is still served.
      if (!(error instanceof SessionStoreUnavailableError)) throw error;
      saveFailed = true;
    }
    if (unavailable.length > 0 || saveFailed) console.warn(outageWarning(unavailable));

    if (answer === undefined) await forwardToRender(forwarded, cookieHeader, jar.pending(), handoff, host);
    const response =
      answer === undefined ? NextResponse.next({ request: { headers: forwarded } }) : toNextResponse(answer);
    if (answer !== undefined) withoutClientHandoff(response, request);
    jar.flushTo(response.cookies);
    applyTokenHeaders(response.headers, [...sessions.responseHeaders]);
    return response;
  };
}

/**
 * Loads every session the request carries: flash is handed off from them, and loading is what lets
 * commit() refresh a rolling idle expiry. A store session whose store is down is left out (named in
 * `unavailable`), so a page that does not use it still renders; its flash and messages stay in the store.
 */
async function loadCarried<Types>(
  host: NextHost<Types>,
  scope: Scope<Types>,
  headers: Headers,
): Promise<{ handles: Map<string, FlashHandle>; unavailable: string[] }> {
  const carried = Object.values(host.satchel.config.sessions).filter((def) =>
    carries(def, scope.jar, headers),
  );
  const handles = new Map<string, FlashHandle>();
  const unavailable: string[] = [];
  for (const def of carried) {
    try {
      handles.set(def.name, (await scope.get(def.name as keyof Types & string)) as FlashHandle);
    } catch (error) {
      if (!(error instanceof SessionStoreUnavailableError)) throw error;
      unavailable.push(def.name);
    }
  }
  return { handles, unavailable };
}

/** True when a session holds flash or messages to show. */
function hasPending(handle: FlashHandle): boolean {
  return (
    Object.values(handle.flash ?? {}).some((c) => c.peek().length > 0) ||
    (handle.messages?.peek().length ?? 0) > 0
  );
}

/** Reads (consumes) the pending flash and messages of every loaded session into `handoff`. */
function takeFlashAndMessages(handles: ReadonlyMap<string, FlashHandle>, handoff: Handoff): void {
  for (const [name, handle] of handles) {
    for (const [channel, api] of Object.entries(handle.flash ?? {})) {
      if (api.peek().length === 0) continue;
      const values = api.read();
      handoff.flash[name] ??= {};
      (handoff.flash[name] as Record<string, unknown[]>)[channel] = values;
    }
    // Expired messages (past their life) are dropped by read(), so only live ones travel.
    if (handle.messages !== undefined && handle.messages.peek().length > 0) {
      handoff.messages[name] = handle.messages.read();
    }
  }
}

/**
 * Sets the headers the render of this request receives: the Cookie header with the proxy's writes
 * applied, and the sealed hand-off (when there is one and it fits).
 */
async function forwardToRender<Types>(
  forwarded: Headers,
  cookieHeader: string | null,
  writes: readonly CookieWrite[],
  handoff: Handoff,
  host: NextHost<Types>,
): Promise<void> {
  // Route handlers read the request's Cookie header as it came (Next merges a proxy's Set-Cookie
  // into cookies() for pages only), so the forwarded header carries the rewritten cookies too.
  const cookie = cookieHeaderAfter(cookieHeader, writes);
  if (cookie === "") forwarded.delete("cookie");
  else forwarded.set("cookie", cookie);
  // Sealed for exactly this Cookie header: the render checks it receives the same one.
  const value = await encodeHandoff(handoff, cookie, host.handoff, Date.now());
  if (value === null) return;
  if (value.length <= MAX_HANDOFF_BYTES) forwarded.set(FLASH_HANDOFF_HEADER, value);
  else {
    console.warn(
      `satchel: the flash and messages of this request are ${value.length} bytes, too large to hand to the page ` +
        `(limit ${MAX_HANDOFF_BYTES}); it was dropped. Flash short messages, not data.`,
    );
  }
}

/**
 * The request's Cookie header with this request's writes applied (deleted cookies left out), one
 * value per name (the first, as satchel reads it), so the render and Next's own parser agree.
 */
function cookieHeaderAfter(header: string | null, writes: readonly CookieWrite[]): string {
  const values = parseCookies(header);
  for (const write of writes) {
    if (write.value === "" || (write.attributes.maxAge ?? 1) <= 0) values.delete(write.name);
    else values.set(write.name, write.value);
  }
  // Encoded the way Next's RequestCookies encodes, so cookies() decodes the same values.
  return [...values].map(([name, value]) => `${name}=${encodeURIComponent(value)}`).join("; ");
}

/** The one warning of a proxied request that went on without some store sessions. */
function outageWarning(names: readonly string[]): string {
  const which = names.length > 0 ? `session ${names.map((n) => `"${n}"`).join(", ")}` : "a store session";
  return (
    `satchel: the store of ${which} is unavailable; the request goes on without it, and its pending ` +
    "flash and messages stay in the store for a later request. Handlers that use it answer 503; pages show " +
    'their error.tsx, or render without it where they ask getSession(name, { unavailable: "empty" }).'
  );
}

/**
 * The answer when the store a request needs is down: 503, retry soon. The body names the store kind
 * only: the error's message also says where the store lives, which is for logs, not for visitors.
 */
export function storeUnavailable(error: SessionStoreUnavailableError): Response {
  const body = `satchel: session store "${error.store}" is unavailable; retry later.`;
  return new Response(body, {
    status: 503,
    headers: { "retry-after": "5", "cache-control": "no-store", "content-type": "text/plain; charset=utf-8" },
  });
}

/** Response header listing the request headers a proxy response replaces (`NextResponse.next/rewrite`). */
const OVERRIDE_HEADERS = "x-middleware-override-headers";
const OVERRIDE_PREFIX = "x-middleware-request-";

/**
 * When your proxy function answers with a rewrite (or its own `next()`), Next forwards the client's
 * request headers unless the response overrides them; make sure a client-sent hand-off is not among
 * them, keeping any overrides the function set.
 */
function withoutClientHandoff(response: NextResponse, request: NextRequest): void {
  if (!request.headers.has(FLASH_HANDOFF_HEADER)) return;
  const { headers } = response;
  if (!headers.has("x-middleware-rewrite") && !headers.has("x-middleware-next")) return;
  const listed = headers.get(OVERRIDE_HEADERS);
  if (listed !== null) {
    const names = listed.split(",").filter((name) => name.trim().toLowerCase() !== FLASH_HANDOFF_HEADER);
    headers.set(OVERRIDE_HEADERS, names.join(","));
    headers.delete(`${OVERRIDE_PREFIX}${FLASH_HANDOFF_HEADER}`);
    return;
  }
  const names: string[] = [];
  for (const [name, value] of request.headers) {
    if (name === FLASH_HANDOFF_HEADER) continue;
    headers.set(`${OVERRIDE_PREFIX}${name}`, value);
    names.push(name);
  }
  headers.set(OVERRIDE_HEADERS, names.join(","));
}

/** A NextResponse for `answer`, so cookies can be set on it the same way (a copy when needed). */
function toNextResponse(answer: Response): NextResponse {
  if (answer instanceof NextResponse) return answer;
  return new NextResponse(answer.body, answer);
}
