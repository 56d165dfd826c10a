/**
 * Session tokens sent in response headers (a store session's `header` transport) on their way out.
 * A token in a response is a credential: a shared cache (CDN, proxy) that stored the response would
 * hand one visitor's session to the next, and one keyed only by URL would mix up clients that sent
 * different tokens. So every response carrying one is `Cache-Control: private, no-store` (replacing
 * what the handler set) and `Vary`s on the header, whatever the host adapter.
 * @internal not part of the public API; import from "satchel" instead.
 */

/** Sets the session headers `entries` on `target`, with the caching headers a token needs. */
export function applyTokenHeaders(target: Headers, entries: readonly [string, string][]): void {
  if (entries.length === 0) return;
  for (const [name, value] of entries) target.set(name, value);
  target.set("cache-control", "private, no-store");
  const vary = target.get("vary");
  const listed = (vary ?? "").split(",").map((part) => part.trim().toLowerCase());
  if (listed.includes("*")) return;
  const missing = entries.map(([name]) => name.toLowerCase()).filter((name) => !listed.includes(name));
  if (missing.length === 0) return;
  target.set(
    "vary",
    vary === null || vary.trim() === "" ? missing.join(", ") : `${vary}, ${missing.join(", ")}`,
  );
}
