/**
 * `createSatchel()`: the runtime object the generated module creates at import time. Secrets, sealer
 * and store are resolved lazily on first use, so importing it during `next build` without
 * `SESSION_SECRET` is fine; a request that needs a session then gets a clear error.
 */
import { CookieSession } from "./cookie-session.ts";
import type { CookieJar } from "./cookies.ts";
import type { SessionsConfig, StoreOption } from "./define.ts";
import { SatchelConfigError } from "./errors.ts";
import { type FetchSessions, fromFetchRequest, handleFetch, type OpenForFetch } from "./fetch.ts";
import type { SessionCore } from "./handle.ts";
import { recordInvalidReport } from "./invalid-log.ts";
import { createPlainCookies } from "./plain-cookies.ts";
import {
  type CoreFactory,
  createRequestSessions,
  type RequestSessions,
  type SatchelRuntime,
} from "./request-sessions.ts";
import { createSealer, type Sealer } from "./seal.ts";
import { resolveSecrets } from "./secrets.ts";
import { createSigner, type Signer } from "./sign.ts";
import { StoreSession } from "./store-session.ts";
import type { SessionStore } from "./stores/types.ts";
import type { InvalidReport } from "./types.ts";

/**
 * Options of `createSatchel`. Each one given here wins over the same option given to
 * `defineSessions()` in the schema file.
 */
export interface SatchelOptions {
  /**
   * Secrets: the first seals and signs, all unseal (rotation). Each at least 32 characters.
   * Default: the schema file's `secrets` option, else `SESSION_SECRET` (comma-separated), read on
   * first use.
   */
  secrets?: string | readonly string[];
  /**
   * Where store sessions live: a store object, a URL (`redis://`, `postgres://`, `memcached://`,
   * `memory:`, `file:`), or a function returning a store, called once when a store session is first
   * used. Default: the schema file's `store` option, else `SESSION_STORE_URL`, else the file store in
   * `.data/sessions`.
   */
  store?: StoreOption;
  /**
   * Hears every unusable cookie or record (the session started fresh instead). Default: the schema
   * file's `onInvalid` option, else ignore.
   */
  onInvalid?: (report: InvalidReport) => void;
  /** Clock in epoch milliseconds, for tests. Default `Date.now`. */
  now?: () => number;
}

/** How a request is opened. */
export interface OpenInit {
  /** Request headers, for store sessions that may travel in a header. */
  headers?: Headers;
  /** Refuse every write, saying why (e.g. `"a Server Component cannot set cookies"`). Reads and `peek` work. */
  readOnly?: string;
}

/** The sessions runtime of an app. */
export interface Satchel<Types> {
  readonly config: SessionsConfig;
  /** The sessions of one request, over any cookie jar (the Next.js adapter brings its own). */
  open(jar: CookieJar, init?: OpenInit): RequestSessions<Types>;
  /** The sessions of a Fetch `Request`; `await commit()` then `apply(response)`. */
  fromRequest(request: Request): FetchSessions<Types>;
  /** Wraps a Fetch handler: commits when it returns, saves nothing when it throws. */
  handle(
    fn: (request: Request, sessions: FetchSessions<Types>) => Response | Promise<Response>,
  ): (request: Request) => Promise<Response>;
  /** "Log out everywhere": deletes every record of `session` whose userField is `userId`. Returns how many. */
  revokeUser(session: keyof Types & string, userId: string): Promise<number>;
  /** Closes the store (connections, timers). */
  close(): Promise<void>;
  /**
   * @internal The sealer of the app's secrets. The Next adapter seals its flash hand-off with it,
   * under a name no session can have, so the hand-off gets its own derived key.
   */
  sealer(): Promise<Sealer>;
}

/**
 * What `Types` must look like: session name → handle type. Written as a mapped type (not
 * `Record<string, object>`) so the generated `interface SessionTypes` satisfies it; interfaces have
 * no implicit index signature.
 */
export type SessionTypesShape<Types> = { [N in keyof Types]: object };

const DEFAULT_STORE_URL = "file:.data/sessions";
/** Listing rounds of `revokeUser()`; each deletes what the previous one missed. */
const REVOKE_ROUNDS = 5;

/** A store factory's result, checked so a wrong return value fails with a clear message. */
function checkStore(store: unknown): SessionStore {
  if (typeof store !== "object" || store === null || typeof (store as SessionStore).get !== "function") {
    throw new SatchelConfigError(
      "satchel: the store factory did not return a store; return e.g. createRedisStore({ url }).",
    );
  }
  return store as SessionStore;
}

/** Creates the sessions runtime for a schema file's config. Nothing is resolved until first use. */
export function createSatchel<Types extends SessionTypesShape<Types>>(
  config: SessionsConfig,
  options: SatchelOptions = {},
): Satchel<Types> {
  if (config === null || typeof config !== "object" || typeof config.sessions !== "object") {
    throw new SatchelConfigError(
      "satchel: createSatchel() needs the default export of your sessions.schema.ts.",
    );
  }
  const now = options.now ?? Date.now;
  // Options in code win over those of the schema file, one by one.
  const fromSchema = config.options ?? {};
  const secretsOption = options.secrets ?? fromSchema.secrets;
  const storeOption = options.store ?? fromSchema.store;
  const onInvalid = options.onInvalid ?? fromSchema.onInvalid ?? (() => {});
  let secrets: string[] | undefined;
  let sealer: Sealer | undefined;
  let signer: Signer | undefined;
  let store: Promise<SessionStore> | undefined;

  const getSecrets = () => {
    secrets ??= resolveSecrets(secretsOption);
    return secrets;
  };

  const getStore = (): Promise<SessionStore> => {
    if (store === undefined) {
      const given = storeOption ?? globalThis.process?.env?.SESSION_STORE_URL ?? DEFAULT_STORE_URL;
      const url = typeof given === "string" ? given : given instanceof URL ? given.href : null;
      store =
        url !== null
          ? // Dynamic, so a cookie-only app (or one using the file store) never loads ioredis or pg.
            import("./stores/url.ts").then(({ resolveStore }) => resolveStore(url))
          : typeof given === "function"
            ? // A factory, called here (first use), so loading the schema file opens nothing.
              Promise.resolve().then(given).then(checkStore)
            : Promise.resolve(given as SessionStore);
      store.catch(() => {
        store = undefined; // a later request may retry a failed connection
      });
    }
    return store;
  };

  const runtime: SatchelRuntime = {
    config,
    now,
    onInvalid(report) {
      // Kept for the development inspector (a bounded list), then handed to the app.
      recordInvalidReport(report, now());
      onInvalid(report);
    },
    secrets: getSecrets,
    async sealer() {
      sealer ??= createSealer(getSecrets());
      return sealer;
    },
    store: getStore,
  };

  const makeCore: CoreFactory = (name, context, io): SessionCore => {
    const def = config.sessions[name];
    if (def === undefined) throw new SatchelConfigError(`satchel: there is no session "${name}".`);
    return def.storage === "cookie"
      ? new CookieSession(def, context, runtime, io)
      : new StoreSession(def, context, runtime, io);
  };

  const openInternal = (jar: CookieJar, init: OpenInit = {}) => {
    const cookies = createPlainCookies(jar, () => {
      signer ??= createSigner(getSecrets());
      return signer;
    });
    const io = { jar, requestHeaders: init.headers, responseHeaders: new Headers() };
    return createRequestSessions<Types>(runtime, io, cookies, makeCore, init.readOnly);
  };
  const openForFetch: OpenForFetch<Types> = (jar, headers) => openInternal(jar, { headers });

  return {
    config,
    open: (jar, init) => openInternal(jar, init),
    fromRequest: (request) => fromFetchRequest(openForFetch, request),
    handle: (fn) => handleFetch(openForFetch, fn),
    async revokeUser(session, userId) {
      const def = config.sessions[session];
      if (def === undefined || def.storage !== "store" || def.userField === undefined) {
        throw new SatchelConfigError(
          `satchel: revokeUser("${session}") needs a store session with a userField in the schema.`,
        );
      }
      const resolved = await getStore();
      if (resolved.keysForUser === undefined) {
        throw new SatchelConfigError(
          `satchel: the "${resolved.name}" store cannot list a user's sessions, so revokeUser() is unavailable; ` +
            `use a store that implements keysForUser (memory, file, redis, postgres).`,
        );
      }
      const prefix = `${session}:`;
      // Listed again until nothing is left: a regenerate() racing this call may have created its new
      // record after the first listing (it then sees its old record gone and removes the new one,
      // or the next listing finds it).
      const deleted = new Set<string>();
      for (let round = 0; round < REVOKE_ROUNDS; round++) {
        const keys = (await resolved.keysForUser(userId)).filter((key) => key.startsWith(prefix));
        if (keys.length === 0) break;
        for (const key of keys) {
          await resolved.delete(key);
          deleted.add(key);
        }
      }
      return deleted.size;
    },
    sealer: () => runtime.sealer(),
    async close() {
      if (store === undefined) return;
      const resolved = await store.catch(() => undefined);
      store = undefined;
      await resolved?.close?.();
    },
  };
}
