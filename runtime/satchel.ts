/**
 * `createSatchel()`: the runtime object the generated module creates at import time. Secrets, sealer
 * and store are resolved lazily on first use, so importing it during `next build` without
 * `SESSION_SECRET` is fine; a request that needs a session then gets a clear error.
 */

import type { GeneratedCodec } from "./codec/plan.ts";
import { createCodecResolver } from "./codec/session-codec.ts";
import type { CookieJar } from "./cookies/header.ts";
import { createPlainCookies } from "./cookies/plain-cookies.ts";
import { lazyTransport } from "./cookies/transport.ts";
import { createSealer, type Sealer } from "./crypto/seal.ts";
import { resolveSecrets } from "./crypto/secrets.ts";
import { createSigner, type Signer } from "./crypto/sign.ts";
import type { ResolvedSession, SessionsConfig, StoreOption } from "./define.ts";
import { SatchelConfigError } from "./errors.ts";
import { type FetchSessions, fromFetchRequest, handleFetch, type OpenForFetch } from "./fetch/adapter.ts";
import { CookieSession } from "./session/cookie-session.ts";
import type { SessionCore } from "./session/core.ts";
import { type HostSatchel, type OpenInit, registerHostRuntime } from "./session/host-runtime.ts";
import { recordInvalidReport } from "./session/invalid-log.ts";
import { createLayoutHistory } from "./session/layout-history.ts";
import {
  type CoreFactory,
  createRequestSessions,
  requestIO,
  type SatchelRuntime,
} from "./session/request-sessions.ts";
import { createStoreResolver } from "./session/store-resolver.ts";
import { StoreSession } from "./session/store-session.ts";
import { listUserSessions, revokeUserSessions, type UserSessionInfo } from "./session/user-sessions.ts";
import type { SessionStore } from "./stores/types.ts";
import { createTokens, type OpenTokenOptions } from "./tokens/tokens.ts";
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
   * `.data/sessions`. A session whose definition names its own `store` uses that one instead.
   */
  store?: StoreOption;
  /**
   * Describes the device a store session is created on, for `listUserSessions()`; recorded once per
   * session id, at most 200 characters. E.g. `(headers) => headers.get("user-agent") ?? undefined`.
   * Default: nothing is recorded.
   */
  describeDevice?: (headers: Headers) => string | undefined;
  /**
   * Hears every unusable cookie or record (the session started fresh instead). Default: the schema
   * file's `onInvalid` option, else ignore.
   */
  onInvalid?: (report: InvalidReport) => void;
  /**
   * Take a request's scheme and host from `X-Forwarded-Proto`/`X-Forwarded-Host` (for `secure: "auto"`
   * cookies), as behind a TLS-terminating proxy. Set it only when that proxy overwrites those headers:
   * a client can send them. Default `false`: the request URL's scheme.
   */
  trustForwardedHeaders?: boolean;
  /** Clock in epoch milliseconds, for tests. Default `Date.now`. */
  now?: () => number;
  /**
   * The codecs `npm run gen` emitted, by session name (the generated module passes them). A session
   * whose codec matches its schema (layout and version) writes the compact format 4 through it
   * (format 3 with a module generated before format 4, or for other checks);
   * otherwise satchel warns once and uses its slower runtime codec until `npm run gen` runs again.
   * Tokens of every format are read either way.
   */
  codecs?: Readonly<Record<string, GeneratedCodec>>;
}

/**
 * The sessions runtime of an app. `config` and `open(jar, init)` (the sessions of one request, over
 * any cookie jar) come from `HostSatchel`, the part every host adapter receives. `Tokens` types the
 * one-off tokens by name (the generated module's `TokenTypes`).
 */
export interface Satchel<Types, Tokens extends TokenTypesShape<Tokens> = UntypedTokens>
  extends HostSatchel<Types> {
  /** The sessions of a Fetch `Request`; `await commit()` then `apply(response)`. */
  fromRequest(request: Request): FetchSessions<Types>;
  /** Wraps a Fetch handler: commits when it returns, saves nothing when it throws. */
  handle(
    fn: (request: Request, sessions: FetchSessions<Types>) => Response | Promise<Response>,
  ): (request: Request) => Promise<Response>;
  /**
   * "Log out everywhere": deletes every record of `session` whose userField is `userId` — in that
   * session's store — and returns how many. `except` keeps one (the current device): a public id, or
   * the current handle. Requests that loaded a revoked session can no longer write it
   * (`SessionEndedError`).
   */
  revokeUser(session: keyof Types & string, userId: string, options?: RevokeOptions): Promise<number>;
  /**
   * The live sessions of a user, most recently used first: public id, created-at, last access,
   * expiry and the recorded device. Needs a store that can list (memory, file, redis, postgres).
   */
  listUserSessions(session: keyof Types & string, userId: string): Promise<UserSessionInfo[]>;
  /**
   * Ends one session of a user, by the public id `listUserSessions()` gave. Returns false when it
   * is not (or no longer) a live session of that user.
   */
  revokeSession(session: keyof Types & string, userId: string, publicId: string): Promise<boolean>;
  /**
   * Seals `data` as a one-off token of kind `name` (declared in the `tokens` option): checked by the
   * kind's schema, sealed with the first secret, valid for its `ttl`. Resolves to URL-safe text
   * (`A-Z a-z 0-9 - _`) to put in a link as is. Needs no request: works in server actions, route
   * handlers and Server Components alike.
   * @throws SessionValidationError naming the field, when `data` does not fit the schema.
   * @throws SatchelConfigError for a name the schema file does not declare.
   */
  sealToken<N extends keyof Tokens & string>(name: N, data: TokenInput<Tokens[N]>): Promise<string>;
  /**
   * Opens a token of kind `name`: its data (checked by the kind's schema), or `null` when it is
   * expired, tampered, of another kind (or a session cookie), no longer fits the schema, or — for a
   * `singleUse` kind — was opened before; `onInvalid` hears which (`{ token: name, reason }`). No
   * token (`null`, `undefined`, `""`) is `null` without a report.
   * @throws SessionStoreUnavailableError when a `singleUse` kind's store cannot be reached (answer
   *   503): the token is never let through without being recorded.
   * @throws SatchelConfigError for a name the schema file does not declare.
   */
  openToken<N extends keyof Tokens & string>(
    name: N,
    text: string | null | undefined,
    options?: OpenTokenOptions,
  ): Promise<TokenData<Tokens[N]> | null>;
  /** Closes every store opened so far, the runtime's and the sessions' own (connections, timers, watches). */
  close(): Promise<void>;
  /**
   * Checks now what is otherwise checked on first use: the secrets (given in code, else
   * `SESSION_SECRET`). Call it when the server starts — the `register()` of the `instrumentation.ts`
   * that `satchel init` writes — so a missing or weak secret stops `next start` before it serves a
   * request instead of failing the first sign-in. Never call it at import time: `next build` runs without secrets.
   * @throws SatchelConfigError naming `SESSION_SECRET` (or the `secrets` option) and saying what to
   *   do: no secret, one shorter than 32 characters, or (in production) an obviously made-up one.
   */
  checkConfig(): void;
}

/**
 * What `Tokens` must look like: token name → `{ input, data }`, what `sealToken` takes and
 * `openToken` returns (the generated `TokenTypes`).
 */
export type TokenTypesShape<Tokens> = { [N in keyof Tokens]: { input: unknown; data: unknown } };

/** The tokens of a satchel created without generated types: any name, data unchecked by the compiler. */
export type UntypedTokens = Record<string, { input: unknown; data: unknown }>;

/** What `sealToken` takes for a token of type `T`. */
type TokenInput<T> = T extends { input: infer I } ? I : never;

/** What `openToken` gives for a token of type `T`. */
type TokenData<T> = T extends { data: infer D } ? D : never;

/** Options of `revokeUser()`. */
export interface RevokeOptions {
  /**
   * Keep this session: a public id from `listUserSessions()`, or the current request's handle (its
   * `$metadata().publicId`), for "sign out all other devices".
   */
  except?: string | { $metadata(): Promise<{ readonly publicId: string | null }> };
}

/**
 * What `Types` must look like: session name → handle type. Written as a mapped type (not
 * `Record<string, object>`) so the generated `interface SessionTypes` satisfies it; interfaces have
 * no implicit index signature.
 */
export type SessionTypesShape<Types> = { [N in keyof Types]: object };

const DEFAULT_STORE_URL = "file:.data/sessions";

/** Creates the sessions runtime for a schema file's config. Nothing is resolved until first use. */
export function createSatchel<
  Types extends SessionTypesShape<Types>,
  Tokens extends TokenTypesShape<Tokens> = UntypedTokens,
>(config: SessionsConfig, options: SatchelOptions = {}): Satchel<Types, Tokens> {
  const codecs = options.codecs;
  checkInputs(config, codecs);
  const now = options.now ?? Date.now;
  // Options in code win over those of the schema file, one by one.
  const fromSchema = config.options ?? {};
  const secretsOption = options.secrets ?? fromSchema.secrets;
  const storeOption = options.store ?? fromSchema.store;
  const onInvalid = options.onInvalid ?? fromSchema.onInvalid ?? (() => {});
  let secrets: string[] | undefined;
  let sealer: Sealer | undefined;
  let signer: Signer | undefined;
  const stores = createStoreResolver();

  const getSecrets = () => {
    secrets ??= resolveSecrets(secretsOption);
    return secrets;
  };
  // Made in an async function, so that missing secrets reject the load or save that needed them
  // instead of throwing; once made, handed out as it is, so a request's seal awaits nothing for it.
  const makeSealer = async () => {
    sealer ??= createSealer(getSecrets());
    return sealer;
  };
  const getSealer = (): Sealer | Promise<Sealer> => sealer ?? makeSealer();
  const getSigner = () => {
    signer ??= createSigner(getSecrets());
    return signer;
  };

  /** The runtime-wide store's option: options, else the schema file, else SESSION_STORE_URL, else the file store. */
  const runtimeStoreOption = (): StoreOption =>
    storeOption ?? globalThis.process?.env?.SESSION_STORE_URL ?? DEFAULT_STORE_URL;
  const RUNTIME_STORE = "the satchel runtime";
  const getStore = (): Promise<SessionStore> => stores.resolve(runtimeStoreOption(), RUNTIME_STORE);

  /** A session's own store when its definition names one, else the runtime-wide store. */
  const storeOf = (def: ResolvedSession): Promise<SessionStore> => {
    const own = def.definition.store;
    return own === undefined ? getStore() : stores.resolve(own, `session "${def.name}"`);
  };
  /** `storeOf`, or the store itself once it has opened (what a store session's read uses). */
  const currentStoreOf = (def: ResolvedSession): SessionStore | Promise<SessionStore> => {
    const own = def.definition.store;
    return own === undefined
      ? stores.current(runtimeStoreOption(), RUNTIME_STORE)
      : stores.current(own, `session "${def.name}"`);
  };

  /**
   * The store a cookie session's layouts are kept in: one the app chose (in code, in the schema
   * file, `SESSION_STORE_URL`, or the session's own), never the embedded default. Deploys often wipe
   * `.data/` (a container without a volume), and with it the layouts: cookies of an earlier layout
   * would then start fresh sessions after a schema change. On the default store cookie sessions
   * write format 2, which needs no layout, and a cookie-only app opens no store at all.
   */
  const layoutStoreOf = (def: ResolvedSession): Promise<SessionStore> | null =>
    def.definition.store === undefined &&
    storeOption === undefined &&
    globalThis.process?.env?.SESSION_STORE_URL === undefined
      ? null
      : storeOf(def);

  // Cookie sessions' layouts, kept in their store: what lets a session without an up-to-date
  // generated codec write format 4 and still read its older cookies (session/layout-history.ts).
  const layouts = createLayoutHistory(layoutStoreOf, now);
  // Resolved per satchel (and per session on first use), not cached on the definition: satchels
  // over one config may be given different codecs.
  const codecOf = createCodecResolver(codecs, (message) => console.warn(message), layouts);

  const runtime: SatchelRuntime = {
    config,
    now,
    onInvalid(report) {
      // Kept for the development inspector (a bounded list), then handed to the app.
      recordInvalidReport(report, now());
      onInvalid(report);
    },
    sealer: getSealer,
    store: getStore,
    codec: codecOf,
    findLayout: layouts.find,
  };

  const makeCore: CoreFactory = (name, context, io): SessionCore => {
    const def = config.sessions[name];
    if (def === undefined) throw new SatchelConfigError(`satchel: there is no session "${name}".`);
    return def.storage === "cookie"
      ? new CookieSession(def, context, runtime, io)
      : new StoreSession(def, context, runtime, io, {
          store: () => currentStoreOf(def),
          describeDevice: options.describeDevice,
        });
  };

  /** `url` is read only if a cookie needs the request's scheme (see `lazyTransport`). */
  const openInternal = (jar: CookieJar, init: OpenInit, url: () => string | undefined) => {
    const transport = lazyTransport(url, init.headers, options.trustForwardedHeaders === true);
    const io = requestIO(jar, init.headers, transport);
    // The plain cookies' maker is passed as it is made, not held in a const: a named closure costs a
    // `name` definition per request where function names are kept (esbuild's keepNames, tsx).
    return createRequestSessions<Types>(
      runtime,
      io,
      () => createPlainCookies(jar, getSigner, transport),
      makeCore,
      init.readOnly,
    );
  };
  const openForFetch: OpenForFetch<Types> = (jar, request) =>
    openInternal(jar, { headers: request.headers }, () => request.url);

  // Typed per token name by `Satchel<Types, Tokens>`; the runtime checks names and data itself.
  const tokens = createTokens(runtime) as Pick<Satchel<Types, Tokens>, "sealToken" | "openToken">;

  const satchel: Satchel<Types, Tokens> = {
    config,
    open: (jar, init = {}) => openInternal(jar, init, () => init.url),
    fromRequest: (request) => fromFetchRequest(openForFetch, request),
    handle: (fn) => handleFetch(openForFetch, fn),
    ...userAdministration<Types>(config, storeOf),
    sealToken: tokens.sealToken,
    openToken: tokens.openToken,
    close: () => stores.closeAll(),
    checkConfig: () => {
      getSecrets();
      for (const session of Object.values(config.sessions)) session.importFrom?.check?.();
    },
  };
  registerHostRuntime(satchel, { config, sealer: makeSealer, signer: getSigner, codec: codecOf });
  return satchel;
}

/** Throws when `config` is not a schema file's export, or a generated codec names an unknown session. */
function checkInputs(config: SessionsConfig, codecs: SatchelOptions["codecs"]): void {
  if (config === null || typeof config !== "object" || typeof config.sessions !== "object") {
    throw new SatchelConfigError(
      "satchel: createSatchel() needs the default export of your sessions.schema.ts.",
    );
  }
  for (const name of Object.keys(codecs ?? {})) {
    if (!Object.hasOwn(config.sessions, name)) {
      throw new SatchelConfigError(
        `satchel: there is a generated codec for session "${name}", which sessions.schema.ts does not ` +
          "declare; run npm run gen to regenerate the sessions module.",
      );
    }
  }
}

/** "Log out everywhere" and the list of a user's sessions, over each session's own store. */
function userAdministration<Types>(
  config: SessionsConfig,
  storeOf: (def: ResolvedSession) => Promise<SessionStore>,
): Pick<Satchel<Types>, "revokeUser" | "listUserSessions" | "revokeSession"> {
  /** A store session with a userField, or a clear error naming what `action` needs. */
  const userSession = (session: string, action: string): ResolvedSession => {
    const def = config.sessions[session];
    if (def === undefined || def.storage !== "store" || def.userField === undefined) {
      throw new SatchelConfigError(
        `satchel: ${action}("${session}") needs a store session with a userField in the schema.`,
      );
    }
    return def;
  };
  return {
    async revokeUser(session, userId, revokeOptions = {}) {
      const def = userSession(session, "revokeUser");
      const { except } = revokeOptions;
      const kept =
        typeof except === "string"
          ? except
          : except === undefined
            ? null
            : (await except.$metadata()).publicId;
      return revokeUserSessions(await storeOf(def), def, userId, (id) => id !== kept, "revokeUser()");
    },
    async listUserSessions(session, userId) {
      const def = userSession(session, "listUserSessions");
      return listUserSessions(await storeOf(def), def, userId);
    },
    async revokeSession(session, userId, publicId) {
      const def = userSession(session, "revokeSession");
      const store = await storeOf(def);
      return (await revokeUserSessions(store, def, userId, (id) => id === publicId, "revokeSession()")) > 0;
    },
  };
}
