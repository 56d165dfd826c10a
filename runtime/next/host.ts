/**
 * What the parts of the Next adapter (route handlers, server actions, unwrapped calls, the proxy)
 * share, built once per `createNextSessions()`: the satchel and its host runtime, Next's request
 * functions, the scopes the wrappers open, and how a request's scope is opened with the flash
 * hand-off it carries.
 * @internal
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { CookieJar } from "../cookies/header.ts";
import { type HostRuntime, type HostSatchel, hostRuntimeOf, type OpenInit } from "../session/host-runtime.ts";
import { commitNow } from "../session/request-sessions.ts";
import { type HandoffSealer, handoffSealer, readHandoff } from "./handoff.ts";
import { isNavigationSignal } from "./navigation.ts";
import type { NextRequestApi } from "./request-api.ts";
import { createScope, type Scope } from "./scope.ts";

/** The key of a wrapper's scope on the store it runs with. */
const SCOPE = Symbol("satchel.scope");

/** A store of the carrier: the one it held around the wrapper, plus the wrapper's scope. */
type Carried<Types> = { [SCOPE]?: Scope<Types> };

export interface NextHost<Types> {
  readonly satchel: HostSatchel<Types>;
  readonly runtime: HostRuntime;
  readonly api: NextRequestApi;
  /** Seals the proxy's flash hand-off and opens it in the render. */
  readonly handoff: HandoffSealer;
  /**
   * Opens the scope of one request: its sessions over `jar`, with the hand-off its headers carry.
   * `readOnly` refuses every write, saying why; `url` (when the entry point has the request's) gives
   * the scheme `secure: "auto"` cookies follow.
   */
  openScope(jar: CookieJar, headers: Headers, where: string, readOnly?: string, url?: string): Scope<Types>;
  /**
   * The scope of the wrapper (or proxy) this call runs inside, if any. Kept in an AsyncLocalStorage
   * Next already uses (`api.carrier`) where there is one: on Node 20 and 22 every storage that has
   * ever run copies its store onto every new promise of the process (an init hook per promise), so
   * a storage of satchel's own would cost every request, with sessions or without, once any wrapper
   * had run; one of Next's is in use anyway.
   */
  wrappedScope(): Scope<Types> | undefined;
  /** Runs `fn` with `scope` as the wrapped scope; nothing is committed. */
  run<R>(scope: Scope<Types>, fn: () => R): R;
  /** Runs `fn` in `scope`; commits on return and on redirect()/notFound(), never on other errors. */
  runAndCommit<R>(scope: Scope<Types>, fn: () => R | Promise<R>): Promise<R>;
  /**
   * `runAndCommit`'s end when its function returned, for a wrapper that runs it in its own async
   * function: commits `scope` and closes it; `undefined` when that was done synchronously.
   */
  commitAndClose(scope: Scope<Types>): Promise<void> | undefined;
  /** `runAndCommit`'s end when its function threw `error`: commits first on redirect()/notFound(). */
  commitOnSignal(scope: Scope<Types>, error: unknown): Promise<void> | undefined;
}

export function nextHost<Types>(satchel: HostSatchel<Types>, api: NextRequestApi): NextHost<Types> {
  const runtime = hostRuntimeOf(satchel);
  const storage = api.carrier ?? new AsyncLocalStorage<object>();
  /**
   * The store `fn` runs with: the one it would have had, plus `scope`. Next's action store is a
   * plain object whose properties Next only reads, never comparing the store itself, so a copy is
   * the same to Next; the original is back once `fn` is done, as after any `run()`.
   */
  const carrying = (scope: Scope<Types>): Carried<Types> => {
    // The scope's key first, then the spread: V8 builds that literal on its fast path, while a key
    // defined after a spread (in the literal or by assignment) takes a runtime call on every
    // request (~5k instructions). Inside another wrapper the spread copies the outer scope over it.
    const store: Carried<Types> = { [SCOPE]: scope, ...storage.getStore() };
    if (store[SCOPE] !== scope) store[SCOPE] = scope;
    return store;
  };
  // The hand-off key is derived under a name no session can have (handoff.ts).
  const handoff = handoffSealer(() => runtime.sealer());

  /**
   * The response is on its way: a later write would be lost, so it throws instead. No promise when
   * the commit was done synchronously (each one costs a hook call per AsyncLocalStorage under Next).
   */
  const commitAndClose = (scope: Scope<Types>): Promise<void> | undefined => {
    const close = () => scope.sessions.close(`the ${scope.where} returned`);
    const saving = commitNow(scope.sessions);
    if (saving !== undefined) return saving.then(close);
    close();
    return undefined;
  };
  const commitOnSignal = (scope: Scope<Types>, error: unknown): Promise<void> | undefined =>
    isNavigationSignal(error) ? commitAndClose(scope) : undefined;

  return {
    satchel,
    runtime,
    api,
    handoff,
    openScope(jar, headers, where, readOnly, url) {
      const init: OpenInit = { headers };
      if (readOnly !== undefined) init.readOnly = readOnly;
      if (url !== undefined) init.url = url;
      const sessions = satchel.open(jar, init);
      return createScope(sessions, jar, where, readHandoff(headers, handoff));
    },
    wrappedScope() {
      const store: Carried<Types> | undefined = storage.getStore();
      return store?.[SCOPE];
    },
    run: (scope, fn) => storage.run(carrying(scope), fn),
    async runAndCommit<R>(scope: Scope<Types>, fn: () => R | Promise<R>): Promise<R> {
      let result: R;
      try {
        result = await storage.run(carrying(scope), fn);
      } catch (error) {
        await commitOnSignal(scope, error);
        throw error;
      }
      const saving = commitAndClose(scope);
      if (saving !== undefined) await saving;
      return result;
    },
    commitAndClose,
    commitOnSignal,
  };
}
