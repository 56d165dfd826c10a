/**
 * `getSession(name, { unavailable: "empty" })`: a page that renders degraded while a session's store
 * is down. The load is tried as usual; when it fails with `SessionStoreUnavailableError`, the request
 * gets a read-only empty handle (`session/unavailable.ts`) instead, the same one for every later
 * call of the request (so a layout and its page do not each wait for the store), and the warning
 * says once per request and session that it happened.
 * @internal
 */
import type { ResolvedSession } from "../define.ts";
import { SatchelConfigError, SessionStoreUnavailableError } from "../errors.ts";
import { createHandle } from "../session/handle.ts";
import { UnavailableSession } from "../session/unavailable.ts";
import type { GetSessionOptions } from "../types.ts";
import type { Scope } from "./scope.ts";

/**
 * True when the call asks for an empty handle on an outage.
 * @throws SatchelConfigError for a value it does not know (a caller without types, a typo).
 */
export function wantsEmptyWhenUnavailable(name: string, options: GetSessionOptions): boolean {
  const choice = options.unavailable;
  if (choice === undefined || choice === "throw") return false;
  if (choice === "empty") return true;
  throw new SatchelConfigError(
    `satchel: getSession("${name}", { unavailable }) takes "empty" or "throw", not ${JSON.stringify(choice)}.`,
  );
}

/** The empty handles handed out in each request (its scope), by session name. */
const emptyHandles = new WeakMap<object, Map<string, object>>();

/** The session's handle from `scope`, or its empty handle when its store is down. */
export async function getOrEmpty<Types, N extends keyof Types & string>(
  scope: Scope<Types>,
  def: ResolvedSession,
  warn: (message: string) => void,
): Promise<Types[N]> {
  const name = def.name as N;
  const known = emptyHandles.get(scope)?.get(name);
  if (known !== undefined) return known as Types[N];
  try {
    return await scope.get(name);
  } catch (error) {
    if (!(error instanceof SessionStoreUnavailableError)) throw error;
    // Synchronous from here: concurrent calls that failed together share the first one's handle.
    let handles = emptyHandles.get(scope);
    if (handles === undefined) {
      handles = new Map();
      emptyHandles.set(scope, handles);
    }
    let handle = handles.get(name);
    if (handle === undefined) {
      handle = createHandle(new UnavailableSession(def, error));
      handles.set(name, handle);
      warn(
        `satchel: session "${name}" is shown empty in this request, as getSession() asked ({ unavailable: "empty" }): ` +
          error.message.replace(/^satchel: /, ""),
      );
    }
    return handle as Types[N];
  }
}
