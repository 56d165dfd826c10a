/**
 * Store URLs and driver errors carry credentials (`redis://:password@host`, `postgres://user:pw@host/db`).
 * Everything satchel puts in an error message goes through here first.
 */

/** The URL with its password replaced by `***` and its query string (which may hold one) dropped. */
export function redactUrl(url: string): string {
  return url
    .replace(/^([a-z][a-z0-9+.-]*:\/\/[^/?#@]*?):[^/?#]*@/i, "$1:***@")
    .replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#:@]+@/i, "$1")
    .replace(/[?#].*$/, "");
}

/**
 * Where a store URL points, for error messages: `host:port` (with the default port filled in) and the
 * path (a Postgres database); never user, password or query. Undefined for what does not parse.
 */
export function endpointOf(url: string, defaultPort: number): string | undefined {
  try {
    const parsed = new URL(url);
    const path = parsed.pathname === "/" ? "" : parsed.pathname;
    return `${parsed.hostname}:${parsed.port || defaultPort}${path}`;
  } catch {
    return undefined;
  }
}

/**
 * Driver errors that no retry can fix: the configuration is wrong. Postgres SQLSTATE 3D000 (database
 * does not exist), 28P01/28000 (authentication), 42501 (no privilege); Redis WRONGPASS/NOAUTH;
 * a host name DNS does not know.
 */
export function configurationProblem(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = errorCode(error);
  const host = (error as { hostname?: unknown }).hostname;
  if (code === "3D000") return "the database does not exist";
  if (code === "28P01" || code === "28000") return "authentication failed";
  if (code === "42501") return "the user lacks a privilege the store needs";
  if (code === "ENOTFOUND") return `the host ${typeof host === "string" ? `"${host}" ` : ""}is unknown`;
  if (/^(WRONGPASS|NOAUTH)\b/.test(error.message)) return "authentication failed";
  return undefined;
}

/** The `code` of a driver or Node system error: a Postgres SQLSTATE, `ENOENT`, `ECONNREFUSED`, … */
export function errorCode(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && "code" in error ? String(error.code) : undefined;
}

/**
 * What went wrong, in a few words for an outage's message, from a driver or socket error: "connection
 * refused at 127.0.0.1:6379" (the address the socket tried, else `endpoint`), reset, timed out,
 * unreachable. Undefined for anything else: the error stays the `cause`, unquoted, since a driver's
 * message is not known to be free of credentials.
 */
export function outageReason(error: unknown, endpoint: string | undefined): string | undefined {
  const code = errorCode(error);
  const socket = error as { address?: unknown; port?: unknown };
  const at =
    typeof socket.address === "string" && typeof socket.port === "number"
      ? `${socket.address}:${socket.port}`
      : endpoint;
  const where = at === undefined ? "" : ` at ${at}`;
  if (code === "ECONNREFUSED") return `connection refused${where}`;
  if (code === "ECONNRESET" || code === "EPIPE") return `connection reset${where}`;
  if (code === "ETIMEDOUT") return `connecting timed out${where}`;
  if (code === "EHOSTUNREACH" || code === "ENETUNREACH") return `host unreachable${where}`;
  return undefined;
}
