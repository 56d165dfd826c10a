/**
 * The per-request registry: `get(name)` loads a session on first use and caches its handle for the
 * rest of the request; `commit()` writes every session that changed (or is due for a rolling touch).
 * @internal not part of the public API; import from "satchel" instead.
 */

import type { SessionCodec } from "../codec/session-codec.ts";
import type { CookieJar } from "../cookies/header.ts";
import type { PlainCookies } from "../cookies/plain-cookies.ts";
import type { Sealer } from "../crypto/seal.ts";
import type { ResolvedSession, SessionsConfig } from "../define.ts";
import { SatchelConfigError, SessionStateError } from "../errors.ts";
import type { SessionStore, StoreBudget } from "../stores/types.ts";
import type { InvalidReport } from "../types.ts";
import type { SessionContext, SessionCore } from "./core.ts";
import { createHandle } from "./handle.ts";

/** What every session core shares from its `Satchel`: config, clock, the lazily resolved sealer and store. */
export interface SatchelRuntime {
  readonly config: SessionsConfig;
  now(): number;
  onInvalid(report: InvalidReport): void;
  /** The sealer for the configured secrets; resolving them throws a clear error when missing. */
  sealer(): Promise<Sealer>;
  /** The configured store, connected on first use. */
  store(): Promise<SessionStore>;
  /**
   * A session's codec, resolved once per satchel: the generated one (format 3) when it is up to date
   * with the schema, else the runtime codec (format 2).
   */
  codec(session: ResolvedSession): SessionCodec;
}

/** Where a request's sessions come from and go to. */
export interface RequestIO {
  readonly jar: CookieJar;
  /** Request headers (for sessions that may travel in a header). */
  readonly requestHeaders: Headers | undefined;
  /** Headers to add to the response (a header-borne session's new token). */
  readonly responseHeaders: Headers;
  /**
   * What the request's store calls share: one store timeout for all of them, so a request that
   * already waited that long fails its next call at once instead of waiting again (see `StoreBudget`).
   */
  readonly storeBudget?: StoreBudget;
}

/** The sessions of one request. */
export interface RequestSessions<Types> {
  /** The typed handle of session `name`: loaded on the first call, then the same handle. */
  get<N extends keyof Types & string>(name: N): Promise<Types[N]>;
  /** Saves every changed session and writes its cookies to the jar. Safe to call more than once. */
  commit(): Promise<void>;
  /** Names of sessions changed in this request but not saved yet. */
  unsavedChanges(): string[];
  /**
   * Saves now every session this request started and changed, so its cookie exists before the
   * response is built: a CSRF token issued next is bound to it, and verifies when its form is posted.
   */
  saveNew(): Promise<void>;
  /**
   * For adapters: the response has been sent. Every later write (a setter, `save()`, `update()`,
   * flash...) throws `SessionStateError` naming `how`, instead of resolving and being lost.
   */
  close(how: string): void;
  /** Plain and signed cookies, outside of any session. */
  readonly cookies: PlainCookies;
  /** Response headers the adapter must add (header-borne store sessions). */
  readonly responseHeaders: Headers;
}

/** Builds a session core of the right storage; provided by `satchel.ts` to avoid an import cycle. */
export type CoreFactory = (name: string, context: SessionContext, io: RequestIO) => SessionCore;

/** Creates the sessions of one request. */
export function createRequestSessions<Types>(
  runtime: SatchelRuntime,
  io: RequestIO,
  cookies: PlainCookies,
  makeCore: CoreFactory,
  readOnly: string | undefined,
): RequestSessions<Types> & { committing(): boolean; needsCommit(): boolean } {
  const loaded = new Map<string, Promise<{ core: SessionCore; handle: object }>>();
  const cores: SessionCore[] = [];
  /** Loads not settled yet; commit() waits for them (none, as a rule: handlers await get()). */
  let loading = 0;
  let commitRunning = false;
  let commitDone = false;
  const context: SessionContext = {
    now: () => runtime.now(),
    readOnly,
    report: (report) => {
      try {
        runtime.onInvalid(report);
      } catch {
        // A failing logger must not turn a recoverable bad cookie into a 500.
      }
    },
  };

  const load = async (name: string) => {
    if (!Object.hasOwn(runtime.config.sessions, name)) {
      const known = Object.keys(runtime.config.sessions).join(", ");
      throw new SatchelConfigError(`satchel: there is no session "${name}"; the schema defines: ${known}.`);
    }
    loading++;
    try {
      const core = makeCore(name, context, io);
      await core.load();
      cores.push(core);
      return { core, handle: createHandle(core) };
    } finally {
      loading--;
    }
  };

  return {
    cookies,
    responseHeaders: io.responseHeaders,
    async get(name) {
      let entry = loaded.get(name);
      if (entry === undefined) {
        entry = load(name);
        loaded.set(name, entry);
        // A failed load (store outage) may be retried by a later get().
        entry.catch(() => loaded.delete(name));
      }
      return (await entry).handle as never;
    },
    async commit() {
      if (context.closed !== undefined) {
        // Deep changes (`handle.list.push(x)`) slip past the setters; they are lost just the same.
        const late = cores.filter((core) => core.changed()).map((core) => core.def.name);
        if (late.length > 0) {
          throw new SessionStateError(
            `satchel: sessions ${late.join(", ")} were changed after the response was sent (${context.closed}); ` +
              `those changes cannot be saved. Make changes before the handler returns, and await them.`,
          );
        }
        return;
      }
      commitRunning = true;
      commitDone = false;
      try {
        if (loading > 0) await Promise.all([...loaded.values()].map((entry) => entry.catch(() => undefined)));
        if (readOnly !== undefined) {
          const changed = cores.filter((core) => core.changed()).map((core) => core.def.name);
          if (changed.length > 0) {
            throw new SessionStateError(
              `satchel: sessions ${changed.join(", ")} were changed where writes are impossible (${readOnly}). ` +
                `Change sessions in a server action or route handler.`,
            );
          }
          return;
        }
        // One session per request is the common case: no Promise.all (and its arrays) for it.
        if (cores.length === 1) await (cores[0] as SessionCore).commit();
        else if (cores.length > 1) await Promise.all(cores.map((core) => core.commit()));
        commitDone = true;
      } finally {
        commitRunning = false;
      }
    },
    unsavedChanges() {
      return cores.filter((core) => core.changed()).map((core) => core.def.name);
    },
    async saveNew() {
      for (const core of cores) if (core.isNew && !core.destroyed && core.changed()) await core.save();
    },
    close(how) {
      context.closed ??= how;
    },
    committing: () => commitRunning,
    needsCommit: () => !commitDone && cores.length > 0,
  };
}
