/**
 * How a request reached the app, as far as its host adapter can tell: over HTTPS or not, and whether
 * to localhost. `secure: "auto"` cookies follow it, and a store session does not create a record whose
 * only cookie the browser would drop (a Secure cookie over plain http; browsers keep them on localhost).
 */

/** The scheme and host of one request. */
export interface RequestTransport {
  https: boolean;
  /** `localhost`, `*.localhost`, 127.0.0.0/8 or `[::1]`: browsers treat it as secure. */
  localhost: boolean;
}

/**
 * The transport of a request from its URL, or from `X-Forwarded-Proto`/`X-Forwarded-Host` when
 * `trustForwardedHeaders` (only behind a proxy that overwrites them: a client could send them).
 * `undefined` when nothing says (no URL and nothing trusted).
 */
function requestTransport(
  url: string | undefined,
  headers: Headers | undefined,
  trustForwardedHeaders: boolean,
): RequestTransport | undefined {
  const first = (name: string) => headers?.get(name)?.split(",")[0]?.trim().toLowerCase() || undefined;
  let parsed: URL | undefined;
  try {
    parsed = url === undefined ? undefined : new URL(url);
  } catch {
    parsed = undefined;
  }
  const forwardedProto = trustForwardedHeaders ? first("x-forwarded-proto") : undefined;
  const scheme = forwardedProto ?? parsed?.protocol.slice(0, -1);
  if (scheme === undefined) return undefined;
  const host =
    (trustForwardedHeaders ? first("x-forwarded-host") : undefined) ?? parsed?.host ?? first("host") ?? "";
  return { https: scheme === "https", localhost: isLocalhost(host) };
}

/** True for a host browsers count as a secure context even over plain http. */
function isLocalhost(host: string): boolean {
  const name = host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : host.replace(/:\d+$/, "");
  return (
    name === "localhost" ||
    name.endsWith(".localhost") ||
    name === "[::1]" ||
    /^127(?:\.\d{1,3}){3}$/.test(name)
  );
}

/** A request's transport, worked out on first use (most requests never ask). */
export type TransportOf = () => RequestTransport | undefined;

/** `requestTransport` computed once, when first asked for. */
export function lazyTransport(
  url: () => string | undefined,
  headers: Headers | undefined,
  trustForwardedHeaders: boolean,
): TransportOf {
  let known: { value: RequestTransport | undefined } | undefined;
  return () => {
    // The URL is read only now: a Request's `url` getter serializes it on every call.
    known ??= { value: requestTransport(url(), headers, trustForwardedHeaders) };
    return known.value;
  };
}

/** `secure: "auto"` resolved for a request: Secure when it came over HTTPS; `fallback` when unknown. */
export function resolveSecure(
  secure: boolean | "auto",
  transport: TransportOf | undefined,
  fallback: boolean,
): boolean {
  if (secure !== "auto") return secure;
  return transport?.()?.https ?? fallback;
}

/** True when the browser would drop a cookie with this `secure` sent over this transport. */
export function dropsSecureCookie(secure: boolean | undefined, transport: TransportOf | undefined): boolean {
  if (secure !== true) return false;
  const known = transport?.();
  return known !== undefined && !known.https && !known.localhost;
}
