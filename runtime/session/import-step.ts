/**
 * The `importFrom` step of loading a session: while a request carries no satchel cookie for the
 * session, its importer (`satchel/import`) opens the old library's session, the schema checks what
 * `map` made of it, and the session starts with that data. The old cookies are expired only once the
 * satchel session was written (or destroyed): a response that writes nothing (a Server Component)
 * leaves them, and the next request imports again.
 * @internal not part of the public API; import from "satchel" instead.
 */
import { expiredAttributes } from "../cookies/header.ts";
import { resolveSecure } from "../cookies/transport.ts";
import { selectBackend } from "../crypto/backend.ts";
import type { ResolvedSession } from "../define.ts";
import type { ImportCleanup } from "../types.ts";
import { type SessionContext, validateOnRead } from "./core.ts";
import type { RequestIO } from "./request-sessions.ts";

/** An old session the importer opened and the schema accepted. */
export interface ImportedSession {
  /** The session's data: `map`'s result as zod parsed it (defaults applied). */
  readonly data: Record<string, unknown>;
  /** Expires the old cookies and ends the old session; run it after the satchel session is written. */
  readonly finish: () => Promise<void>;
}

/**
 * Opens the request's old session for `session`, if its definition imports one. `null`: nothing to
 * import (no importer, no old cookie), or the old cookie gave no data; the latter is reported as
 * `import-failed` and the old cookie is left as it is.
 * @throws SessionStoreUnavailableError when the old session's store cannot be reached (HTTP 503).
 */
export async function importOldSession(
  session: ResolvedSession,
  io: RequestIO,
  ctx: SessionContext,
): Promise<ImportedSession | null> {
  const importer = session.importFrom;
  if (importer === undefined) return null;
  const outcome = await importer.open({ cookies: io.jar, crypto: selectBackend(), now: ctx.now() });
  if (outcome.status === "absent") return null;
  const refused = (detail: string) => {
    ctx.report({ reason: "import-failed", session: session.name, detail });
    return null;
  };
  if (outcome.status === "failed") return refused(outcome.detail);
  const checked = await validateOnRead(session, outcome.data);
  if (!checked.ok) {
    return refused(`${importer.source} data that map returned does not fit the schema: ${checked.detail}`);
  }
  let cleanup: ImportCleanup | null = outcome.cleanup;
  return {
    data: checked.data,
    async finish() {
      // Once per import: a session written twice in one request (save(), then commit) cleans up once.
      if (cleanup === null) return;
      const { expireCookies, afterWrite } = cleanup;
      cleanup = null;
      expireOldCookies(session, io, expireCookies);
      if (afterWrite === undefined) return;
      try {
        await afterWrite();
      } catch {
        // The satchel session is written; an old record the old store would not delete expires by
        // its own TTL, so the response is not failed for it.
      }
    },
  };
}

/**
 * `Max-Age=0` for each old cookie, with the Path and Domain it was set with and the satchel
 * session's own Secure flag as this request resolves it (a `__Host-`/`__Secure-` name needs it).
 */
function expireOldCookies(session: ResolvedSession, io: RequestIO, cookies: ImportCleanup["expireCookies"]) {
  for (const old of cookies) {
    const attributes = {
      path: old.path,
      domain: old.domain,
      httpOnly: true,
      secure: resolveSecure(session.cookie.secure, io.transport, session.cookie.secureFallback),
      sameSite: session.cookie.sameSite,
    };
    io.jar.set({ name: old.name, value: "", attributes: expiredAttributes(attributes) });
  }
}
