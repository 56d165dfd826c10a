/**
 * The per-request registry: `get(name)` loads a session on first use and caches its handle for the
 * rest of the request; `commit()` writes every session that changed (or is due for a rolling touch).
 * @internal not part of the public API; import from "satchel" instead.
 */

import type { SessionCodec } from "../codec/session-codec.ts";
import type { CookieJar } from "../cookies/header.ts";
import type { PlainCookies } from "../cookies/plain-cookies.ts";
import type { TransportOf } from "../cookies/transport.ts";
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
  /**
   * The sealer for the configured secrets; resolving them rejects with a clear error when missing.
   * The sealer itself (no promise) once it is made.
   */
  sealer(): Sealer | Promise<Sealer>;
  /** The configured store, connected on first use. */
  store(): Promise<SessionStore>;
  /**
   * A session's codec, resolved once per satchel: the generated one (format 4, or 3) when it is up to date
   * with the schema, else the runtime codec (format 2).
   */
  codec(session: ResolvedSession): SessionCodec;
  /**
   * Looks up a cookie layout this build does not know in the session's store (session/layout-history.ts):
   * true when its plan was found and checked, and the session's codec now reads it.
   * @throws SessionStoreUnavailableError when the store cannot be reached.
   */
  findLayout(session: ResolvedSession, layout: string): Promise<boolean>;
}

/** Where a request's sessions come from and go to. */
export interface RequestIO {
  readonly jar: CookieJar;
  /** Request headers (for sessions that may travel in a header). */
  readonly requestHeaders: Headers | undefined;
  /** Headers to add to the response (a header-borne session's new token); made on first use. */
  readonly responseHeaders: Headers;
  /**
   * What the request's store calls share: one store timeout for all of them, so a request that
   * already waited that long fails its next call at once instead of waiting again (see `StoreBudget`).
   */
  readonly storeBudget?: StoreBudget;
  /** How the request came (scheme, localhost); `undefined` when the host cannot tell. */
  readonly transport?: TransportOf | undefined;
  /** The response headers when something made them, without making them. */
  responseHeadersIfAny(): Headers | undefined;
}

/**
 * A request's `RequestIO`. The response headers are made only when a header-borne session writes
 * one (or a host asks): most requests never need a `Headers` object. A class, so the lazy getter
 * lives on a prototype: an object literal with a getter is built the slow way on every request.
 */
class LazyRequestIO implements RequestIO {
  private headers: Headers | undefined;
  private budget: StoreBudget | undefined;
  constructor(
    readonly jar: CookieJar,
    readonly requestHeaders: Headers | undefined,
    readonly transport?: TransportOf,
  ) {}
  get responseHeaders(): Headers {
    this.headers ??= new Headers();
    return this.headers;
  }
  responseHeadersIfAny(): Headers | undefined {
    return this.headers;
  }
  /** Made on the request's first store call: a request that touches no store session needs none. */
  get storeBudget(): StoreBudget {
    this.budget ??= { spentMs: 0 };
    return this.budget;
  }
}

/** A request's `RequestIO` over its cookie jar, request headers and how the request came. */
export function requestIO(
  jar: CookieJar,
  requestHeaders: Headers | undefined,
  transport?: TransportOf,
): RequestIO {
  return new LazyRequestIO(jar, requestHeaders, transport);
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

/** What hosts get besides the public `RequestSessions`. */
export interface HostRequestSessions<Types> extends RequestSessions<Types> {
  /** `commit()`, but `undefined` instead of a promise when it finished synchronously; throws where it rejects. */
  commitNow(): Promise<void> | undefined;
  /** A `commit()` is running. */
  committing(): boolean;
  /** Sessions were loaded and not committed since. */
  needsCommit(): boolean;
  /** Response headers sessions added, when any (`responseHeaders` without making one). */
  addedHeaders(): Headers | undefined;
}

/**
 * Creates the sessions of one request.
 * @param cookies makes the request's plain cookies, on first use of `sessions.cookies`.
 */
export function createRequestSessions<Types>(
  runtime: SatchelRuntime,
  io: RequestIO,
  cookies: () => PlainCookies,
  makeCore: CoreFactory,
  readOnly: string | undefined,
): HostRequestSessions<Types> {
  return new Sessions<Types>(runtime, io, cookies, makeCore, readOnly);
}

/**
 * `commitNow()` of sessions a satchel opened (the only kind hosts get; the public type does not show
 * it), `commit()` of any other object.
 */
export function commitNow<Types>(sessions: RequestSessions<Types>): Promise<void> | undefined {
  return sessions instanceof Sessions ? sessions.commitNow() : sessions.commit();
}

/** What a request's sessions share of it. A class: no closures made for each request. */
class RequestContext implements SessionContext {
  closed: string | undefined = undefined;
  constructor(
    private readonly runtime: SatchelRuntime,
    readonly readOnly: string | undefined,
  ) {}
  now(): number {
    return this.runtime.now();
  }
  report(report: InvalidReport): void {
    try {
      this.runtime.onInvalid(report);
    } catch {
      // A failing logger must not turn a recoverable bad cookie into a 500.
    }
  }
}

/**
 * The sessions of one request. A class: its methods and getters are shared by every request
 * instead of being made again for each one.
 */
class Sessions<Types> implements HostRequestSessions<Types> {
  /** Each session's handle, as `get()` returns it: the same promise for every call of the request. */
  private readonly loaded = new Map<string, Promise<object>>();
  private readonly cores: SessionCore[] = [];
  /**
   * Loads that wait and have not settled yet; commit() waits for them (none, as a rule: handlers
   * await get(), and the common load finishes before get() returns).
   */
  private loading = 0;
  private commitRunning = false;
  private commitDone = false;
  private readonly context: SessionContext;
  private plainCookies: PlainCookies | undefined;

  constructor(
    private readonly runtime: SatchelRuntime,
    private readonly io: RequestIO,
    private readonly makeCookies: () => PlainCookies,
    private readonly makeCore: CoreFactory,
    private readonly readOnly: string | undefined,
  ) {
    this.context = new RequestContext(runtime, readOnly);
  }

  get cookies(): PlainCookies {
    this.plainCookies ??= this.makeCookies();
    return this.plainCookies;
  }

  get responseHeaders(): Headers {
    return this.io.responseHeaders;
  }

  /**
   * The promise `get(name)` returns. A load that finished synchronously (a cookie session's common
   * read, a fresh session) makes no promise but the one returned: under a host with async hooks every
   * promise and await costs a hook call per storage. A throw (an unknown name) is a rejection.
   */
  private load(name: string): Promise<object> {
    let core: SessionCore;
    let pending: Promise<void> | undefined;
    try {
      core = this.makeNamedCore(name);
      pending = core.load();
      if (pending === undefined) return Promise.resolve(this.opened(core));
    } catch (error) {
      // Dropped in a microtask: the promise is not in the map until this returns.
      queueMicrotask(() => this.loaded.delete(name));
      return Promise.reject(error);
    }
    return this.loadLater(name, core, pending);
  }

  /** A load that waits: commit() waits for it while it runs; a failed one may be retried by a later get(). */
  private async loadLater(name: string, core: SessionCore, pending: Promise<void>): Promise<object> {
    this.loading++;
    try {
      await pending;
    } catch (error) {
      // A store outage, say: a later get() loads again.
      this.loaded.delete(name);
      throw error;
    } finally {
      this.loading--;
    }
    return this.opened(core);
  }

  /** The core of session `name`, not loaded yet; throws for a name the schema does not define. */
  private makeNamedCore(name: string): SessionCore {
    const sessions = this.runtime.config.sessions;
    if (!Object.hasOwn(sessions, name)) {
      const known = Object.keys(sessions).join(", ");
      throw new SatchelConfigError(`satchel: there is no session "${name}"; the schema defines: ${known}.`);
    }
    return this.makeCore(name, this.context, this.io);
  }

  /** A loaded core joins the request's commit, in the order loads finished. */
  private opened(core: SessionCore): object {
    this.cores.push(core);
    return createHandle(core);
  }

  get<N extends keyof Types & string>(name: N): Promise<Types[N]> {
    let entry = this.loaded.get(name);
    if (entry === undefined) {
      entry = this.load(name);
      this.loaded.set(name, entry);
    }
    return entry as Promise<Types[N]>;
  }

  async commit(): Promise<void> {
    const saving = this.commitNow();
    if (saving !== undefined) await saving;
  }

  /**
   * `commit()` without a promise when nothing has to be waited for (the common commit: one session,
   * sealed synchronously): under a host with async hooks (Next's AsyncLocalStorages) every promise
   * and await costs a hook call per storage. Throws where `commit()` rejects.
   */
  commitNow(): Promise<void> | undefined {
    const { context } = this;
    if (context.closed !== undefined) {
      // Deep changes (`handle.list.push(x)`) slip past the setters; they are lost just the same.
      const late = this.unsavedChanges();
      if (late.length > 0) {
        throw new SessionStateError(
          `satchel: sessions ${late.join(", ")} were changed after the response was sent (${context.closed}); ` +
            `those changes cannot be saved. Make changes before the handler returns, and await them.`,
        );
      }
      return undefined;
    }
    this.commitRunning = true;
    this.commitDone = false;
    let saving: Promise<void> | undefined;
    try {
      saving = this.loading > 0 ? this.commitAfterLoads() : this.commitLoaded();
    } finally {
      // Still running only while a promise is pending; a throw ends it here.
      if (saving === undefined) this.commitRunning = false;
    }
    if (saving === undefined) {
      this.commitDone = true;
      return undefined;
    }
    return this.settleCommit(saving);
  }

  /** The end of a commit that had to wait. */
  private async settleCommit(saving: Promise<void>): Promise<void> {
    try {
      await saving;
      this.commitDone = true;
    } finally {
      this.commitRunning = false;
    }
  }

  /** Loads still running (a `get()` not awaited): the commit waits for them first. */
  private async commitAfterLoads(): Promise<void> {
    await Promise.all([...this.loaded.values()].map((entry) => entry.catch(() => undefined)));
    await this.commitLoaded();
  }

  /** Commits the loaded sessions; `undefined` when every one was done synchronously. */
  private commitLoaded(): Promise<void> | undefined {
    const { cores, readOnly } = this;
    if (readOnly !== undefined) {
      const changed = this.unsavedChanges();
      if (changed.length > 0) {
        throw new SessionStateError(
          `satchel: sessions ${changed.join(", ")} were changed where writes are impossible (${readOnly}). ` +
            `Change sessions in a server action or route handler.`,
        );
      }
      return undefined;
    }
    // One session per request is the common case: no Promise.all (and its arrays) for it, and
    // nothing to wait for when the session has nothing to write.
    if (cores.length === 1) return (cores[0] as SessionCore).commit();
    // Several: only the commits that returned a promise are waited for (a cookie session sealed
    // synchronously returns none), so a request whose sessions all finished at once waits for nothing.
    let pending: Promise<void>[] | undefined;
    for (const core of cores) {
      const saving = core.commit();
      if (saving !== undefined) {
        pending ??= [];
        pending.push(saving);
      }
    }
    if (pending === undefined) return undefined;
    return pending.length === 1 ? pending[0] : Promise.all(pending).then(() => undefined);
  }

  unsavedChanges(): string[] {
    return this.cores.filter((core) => core.changed()).map((core) => core.def.name);
  }

  async saveNew(): Promise<void> {
    for (const core of this.cores) if (core.isNew && !core.destroyed && core.changed()) await core.save();
  }

  close(how: string): void {
    this.context.closed ??= how;
  }

  committing(): boolean {
    return this.commitRunning;
  }

  needsCommit(): boolean {
    return !this.commitDone && this.cores.length > 0;
  }

  addedHeaders(): Headers | undefined {
    return this.io.responseHeadersIfAny();
  }
}
