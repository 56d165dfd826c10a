/**
 * The few Next.js request functions the adapter calls, behind one seam so unit tests can run the
 * adapter without a Next server (the end-to-end tests run it inside a real one).
 * @internal
 */

import { AsyncLocalStorage } from "node:async_hooks";
// Next's own storages: the work store names the route, the action store carries the wrappers'
// scopes (see `carrier`); there is no public API for either.
import { actionAsyncStorage } from "next/dist/server/app-render/action-async-storage.external.js";
import { workAsyncStorage } from "next/dist/server/app-render/work-async-storage.external.js";
import { cookies, headers } from "next/headers.js";
import { after, connection } from "next/server.js";
import type { NextCookieStore } from "./cookie-jar.ts";

export interface NextRequestApi {
  /** `await cookies()`: read-only in a Server Component, writable in a server action or route handler. */
  cookies(): Promise<NextCookieStore>;
  /** `await headers()`: the request headers, including those a proxy forwarded. */
  headers(): Promise<Headers>;
  /** Runs `fn` once the response is finished. */
  after(fn: () => void): void;
  /**
   * `await connection()`: resolves once a render reaches request time proper. Under Cache Components
   * with partial prefetching, `cookies()` and `headers()` resolve one stage earlier, and reading the
   * clock or randomness in that stage is a prerender error.
   */
  connection(): Promise<void>;
  /** The route being served (`/api/items`, a page's path pattern), for messages; `undefined` outside a request. */
  route(): string | undefined;
  /**
   * An AsyncLocalStorage Next itself runs every route handler and server action in, holding a plain
   * object Next only reads properties of (its action store), that the wrappers carry their scopes in
   * (host.ts); `undefined` where there is none (no Next server: Next's is a stand-in whose `run()`
   * throws), and then the wrappers use a storage of their own.
   */
  readonly carrier?: AsyncLocalStorage<object> | undefined;
}

/** The real thing. `headers()` is read-only in Next, so it is copied into a plain `Headers`. */
export const nextRequestApi: NextRequestApi = {
  cookies: async () => (await cookies()) as unknown as NextCookieStore,
  headers: async () => new Headers(await headers()),
  after: (fn) => after(fn),
  connection: () => connection(),
  route: () => workAsyncStorage.getStore()?.route,
  carrier: actionAsyncStorage instanceof AsyncLocalStorage ? actionAsyncStorage : undefined,
};
