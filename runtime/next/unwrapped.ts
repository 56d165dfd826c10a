/**
 * The warning for a session changed but never saved. Outside the wrappers nothing commits at the end
 * of a request, so a change without `save()`/`update()` would silently vanish: development warns every
 * time, production once per route (so logs show it without flooding).
 * @internal
 */

/** True when warnings are wanted: `NODE_ENV` is `development` (what `next dev` sets). */
export function inDevelopment(): boolean {
  return globalThis.process?.env?.NODE_ENV === "development";
}

/** The warning text for sessions `names` changed in `where` (to `route`, when known) and never saved. */
export function unsavedMessage(names: readonly string[], where: string, route?: string): string {
  const list = names.map((n) => `"${n}"`).join(", ");
  return (
    `satchel: session${names.length > 1 ? "s" : ""} ${list} changed in this ${where}${route ? ` to ${route}` : ""} but ` +
    `${names.length > 1 ? "were" : "was"} never saved, so the change is lost. Wrap the function with ` +
    `withActionSessions() (server action) or withRouteSessions() (route handler), or call save()/update().`
  );
}
