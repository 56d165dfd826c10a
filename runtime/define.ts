/**
 * `defineSessions()`: checks a schema file's definitions and resolves them once, at import time, into
 * the `SessionsConfig` the runtime and the generator read. Every mistake is reported here, naming the
 * session and the key, instead of surfacing later as a confusing runtime failure.
 */
import type { z } from "zod";
import { type ResolvedToken, resolveTokens } from "./define-tokens.ts";
import { COOKIE_LIFETIME_LIMIT, parseDuration } from "./duration.ts";
import { SatchelConfigError } from "./errors.ts";
import type { SessionStore } from "./stores/types.ts";
import { closestKey } from "./suggest.ts";
import type {
  ExpiryOptions,
  FlashSchemas,
  ImportSource,
  InvalidReport,
  Migration,
  SessionCookieOptions,
  SessionDefinition,
  SessionImporter,
  SessionSchema,
  TokenDefinition,
} from "./types.ts";

/** Names every handle already uses for its methods; a schema field with one of them would be shadowed. */
const RESERVED_FIELDS: readonly string[] = [
  "get",
  "set",
  "save",
  "update",
  "destroy",
  "regenerate",
  "reload",
  "touch",
  "reset",
  "flash",
  "messages",
  "toJSON",
  "has",
  "keys",
  "pop",
  "clear",
  "setdefault",
  "$name",
  "$isNew",
  "$destroyed",
  "$unavailable",
  "$metadata",
];

/** The keys a session definition may have; anything else is a typo, refused with a suggestion. */
const SESSION_KEYS = [
  "storage",
  "schema",
  "flash",
  "messages",
  "expiry",
  "cookie",
  "version",
  "migrations",
  "userField",
  "header",
  "store",
  "importFrom",
] as const satisfies readonly (keyof SessionDefinition)[];
const EXPIRY_KEYS = ["absolute", "idle", "touchAfter"] as const satisfies readonly (keyof ExpiryOptions)[];
const COOKIE_KEYS = [
  "name",
  "sameSite",
  "secure",
  "httpOnly",
  "path",
  "domain",
  "hostPrefix",
  "maxChunks",
  "persistent",
  "partitioned",
] as const satisfies readonly (keyof SessionCookieOptions)[];
const OPTION_KEYS = [
  "store",
  "onInvalid",
  "secrets",
  "tokens",
] as const satisfies readonly (keyof SessionsOptions)[];

/** Cookie attributes after defaults were applied. */
export interface ResolvedCookie {
  /** The name actually sent, including the `__Host-` prefix when asked for. */
  name: string;
  sameSite: "lax" | "strict" | "none";
  /** `"auto"`: Secure when the request came over HTTPS (see `secureFallback`). */
  secure: boolean | "auto";
  /** What `"auto"` means when the host cannot tell the request's scheme: the `secure` default. */
  secureFallback: boolean;
  httpOnly: boolean;
  path: string;
  domain: string | undefined;
  hostPrefix: boolean;
  /**
   * The name without the `__Host-` prefix, when it has one: a cookie of that name from before the
   * prefix was turned on is read (only while no prefixed cookie is sent) and moved on that request.
   */
  previousName: string | undefined;
  maxChunks: number;
  /** `false`: a browser-session cookie, written without Max-Age/Expires. */
  persistent: boolean;
  /** CHIPS `Partitioned` (always with Secure). */
  partitioned: boolean;
}

/** Expiry in whole seconds. */
export interface ResolvedExpiry {
  absolute: number;
  /** `null`: no rolling idle limit. */
  idle: number | null;
  touchAfter: number;
}

/** One session, checked and with every default filled in. */
export interface ResolvedSession<D extends SessionDefinition = SessionDefinition> {
  name: string;
  /** Exactly what the schema file declared (the generator reads it). */
  definition: D;
  storage: "cookie" | "store";
  schema: D["schema"];
  flash: FlashSchemas;
  messages: boolean;
  expiry: ResolvedExpiry;
  cookie: ResolvedCookie;
  version: number;
  migrations: Readonly<Record<number, Migration>>;
  userField: string | undefined;
  /** Lower-cased request/response header carrying the sealed id, for store sessions. */
  header: string | undefined;
  /** Where this session's users come from (`satchel/import`); its data is checked by `schema`. */
  importFrom: SessionImporter<unknown> | undefined;
}

/**
 * Where store sessions live: a store object, a URL (`redis://`, `postgres://`, `memcached://`,
 * `memory:`, `file:`), or a function returning a store (or a promise of one), called once on first use.
 */
export type StoreOption = SessionStore | string | URL | (() => SessionStore | Promise<SessionStore>);

/**
 * Runtime options given in the schema file, so the generated module uses them. The generator runs the
 * schema file but never these options: nothing here is opened or read until a request needs it.
 */
export interface SessionsOptions {
  /**
   * Where store sessions live. Prefer a factory (`() => createRedisStore({ ... })`) over a store
   * object: it is called once, when a request first touches a store session, so running the schema
   * file (`satchel gen`, `next build`) opens no connection. Default: `SESSION_STORE_URL`, else the file
   * store in `.data/sessions`.
   */
  store?: StoreOption;
  /**
   * Hears every unusable cookie or record (tampered, expired, failed validation or migration...); the
   * session started fresh instead. The report never contains the token or a secret. Default: ignore.
   */
  onInvalid?: (report: InvalidReport) => void;
  /**
   * Secrets: the first seals and signs, all unseal (rotation); each at least 32 characters. Checked on
   * first use, not here. Default: `SESSION_SECRET` (comma-separated). Keep secrets out of source
   * control: pass them from your own config, not as literals.
   */
  secrets?: string | readonly string[];
  /**
   * One-off token kinds, by name: `{ passwordReset: { schema: z.object({ userId: z.string() }), ttl:
   * "15m", singleUse: true } }`. The generated module's `sealToken(name, data)` seals typed data into
   * URL-safe text and `openToken(name, text)` gives it back, or `null` (`onInvalid` hears why).
   * Default: no tokens.
   */
  tokens?: Readonly<Record<string, TokenDefinition>>;
}

/** What `defineSessions()` returns: the default export of a schema file. */
export interface SessionsConfig<
  Defs extends Record<string, SessionDefinition> = Record<string, SessionDefinition>,
> {
  readonly sessions: { readonly [N in keyof Defs]: ResolvedSession<Defs[N]> };
  /** The runtime options given to `defineSessions()`; `createSatchel()` options take precedence. */
  readonly options?: Readonly<SessionsOptions>;
  /** The `tokens` option, checked and resolved (absent in a config built by hand: no tokens). */
  readonly tokens?: Readonly<Record<string, ResolvedToken>>;
}

const DEFAULT_ABSOLUTE = "14d";
const DEFAULT_TOUCH_AFTER = "5m";
const DEFAULT_MAX_CHUNKS = 4;
const SESSION_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** A path as `serializeCookie` accepts it (cookies/header.ts), starting with "/". */
const COOKIE_PATH = /^\/[\x20\x21\x23-\x3a\x3d\x3f-\x7e]*$/;
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Each definition's `importFrom` as its own schema needs it: what `map` returns must fit the
 * schema's input (the constraint `SessionDefinition` alone only knows some zod object).
 */
export type ImportsFitSchemas<Defs> = {
  [N in keyof Defs]: Defs[N] extends { schema: infer S extends SessionSchema }
    ? { importFrom?: SessionImporter<z.input<S>> }
    : unknown;
};

/**
 * The keys of `T` that `Shape` does not declare, each typed `never`. A `T` with an index signature
 * (options built as a `Record<string, …>`) names no key to misspell: `defineSessions()` checks it.
 */
type NoExtraKeys<T, Shape> = string extends keyof T
  ? unknown
  : { [K in Exclude<keyof T, keyof Shape>]: never };

/**
 * A definition's keys, and those of its `expiry` and `cookie`, exactly as `SessionDefinition`
 * declares them. `Defs` is inferred from the argument, and an inferred type escapes TypeScript's
 * excess-property check, so without this `expiry: { absolut: "7d", idle: "2h" }` would compile and
 * only fail `satchel gen`; with it, tsc reports the misspelled key at its own line. Flash channels
 * and migrations are the app's own names, so they are not checked.
 */
export type ExactDefinitions<Defs> = {
  [N in keyof Defs]: NoExtraKeys<Defs[N], SessionDefinition> &
    (Defs[N] extends { expiry: infer E } ? { expiry?: NoExtraKeys<E, ExpiryOptions> } : unknown) &
    (Defs[N] extends { cookie: infer C } ? { cookie?: NoExtraKeys<C, SessionCookieOptions> } : unknown);
};

/**
 * Declares the sessions of an app. Use it as the default export of `sessions.schema.ts`.
 * @param options runtime options (store, `onInvalid`, secrets) and one-off `tokens` the generated module uses.
 * @throws SatchelConfigError naming the session and key when a definition is wrong.
 */
export function defineSessions<const Defs extends Record<string, SessionDefinition>>(
  definitions: Defs & ImportsFitSchemas<Defs> & ExactDefinitions<Defs>,
  options?: SessionsOptions,
): SessionsConfig<Defs> {
  if (definitions === null || typeof definitions !== "object") {
    throw new SatchelConfigError(
      "satchel: defineSessions() expects an object mapping session names to definitions.",
    );
  }
  const sessions: Record<string, ResolvedSession> = {};
  const cookieOwners = new Map<string, string>();
  for (const [name, definition] of Object.entries(definitions)) {
    const resolved = resolveSession(name, definition);
    const owner = cookieOwners.get(resolved.cookie.name);
    if (owner !== undefined) {
      throw new SatchelConfigError(
        `satchel: sessions "${owner}" and "${name}" both use the cookie name "${resolved.cookie.name}"; ` +
          `give one of them another cookie.name.`,
      );
    }
    cookieOwners.set(resolved.cookie.name, name);
    sessions[name] = resolved;
  }
  refuseImportsOfOwnCookies(Object.values(sessions));
  const checked = checkOptions(options);
  return Object.freeze({
    sessions: Object.freeze(sessions),
    ...(checked === undefined ? {} : { options: checked }),
    tokens: resolveTokens(checked?.tokens),
  }) as unknown as SessionsConfig<Defs>;
}

/** Checks the shape of the options only: nothing is called, opened or read here. */
function checkOptions(options: SessionsOptions | undefined): Readonly<SessionsOptions> | undefined {
  if (options === undefined) return undefined;
  const bad = (key: string, message: string): never => {
    throw new SatchelConfigError(`satchel: defineSessions() option "${key}" ${message}`);
  };
  if (options === null || typeof options !== "object") {
    bad("(second argument)", "must be an object like { store, onInvalid, secrets, tokens }.");
  }
  for (const key of Object.keys(options)) {
    if (!(OPTION_KEYS as readonly string[]).includes(key)) bad(key, `is unknown${hint(key, OPTION_KEYS)}`);
  }
  const { store, onInvalid, secrets } = options;
  if (store !== undefined && !isStoreOption(store)) {
    bad("store", "must be a store object, a URL, or a function returning a store (called on first use).");
  }
  if (onInvalid !== undefined && typeof onInvalid !== "function") {
    bad("onInvalid", "must be a function (report) => void.");
  }
  if (
    secrets !== undefined &&
    typeof secrets !== "string" &&
    !(Array.isArray(secrets) && secrets.every((secret) => typeof secret === "string"))
  ) {
    bad("secrets", "must be a string or a list of strings (each at least 32 characters).");
  }
  return Object.freeze({ ...options });
}

/** ` (did you mean "x"?)` for a near miss, else the list of known keys. */
function hint(key: string, known: readonly string[]): string {
  const closest = closestKey(key, known);
  return closest === undefined ? `; known keys: ${known.join(", ")}.` : ` (did you mean "${closest}"?).`;
}

/** Refuses keys of `value` that are not in `known`: a typo would otherwise be silently ignored. */
function refuseUnknownKeys(session: string, where: string, value: object, known: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      throw new SatchelConfigError(
        `satchel: session "${session}": unknown key "${where}${key}"${hint(key, known)}`,
      );
    }
  }
}

/** A store object, a URL, or a factory: checked by shape only, nothing is opened or called. */
function isStoreOption(value: unknown): value is StoreOption {
  if (typeof value === "string" || typeof value === "function" || value instanceof URL) return true;
  return typeof value === "object" && value !== null && typeof (value as SessionStore).get === "function";
}

function fail(session: string, key: string, message: string): never {
  throw new SatchelConfigError(`satchel: session "${session}" key "${key}": ${message}`);
}

/** A zod 4 type, recognised structurally so two copies of zod in node_modules still work. */
function isZodType(value: unknown): value is z.ZodType {
  return typeof value === "object" && value !== null && "_zod" in value && "safeParse" in value;
}

function isZodObject(value: unknown): value is SessionSchema {
  return isZodType(value) && (value as { _zod: { def: { type?: string } } })._zod.def.type === "object";
}

function resolveSession(name: string, definition: SessionDefinition): ResolvedSession {
  if (!SESSION_NAME.test(name)) {
    throw new SatchelConfigError(
      `satchel: session name "${name}" must be an identifier (letters, digits, _), because it names types and store keys.`,
    );
  }
  if (definition === null || typeof definition !== "object") {
    throw new SatchelConfigError(`satchel: session "${name}" must be an object with storage and schema.`);
  }
  refuseUnknownKeys(name, "", definition, SESSION_KEYS);
  const storage = definition.storage as unknown;
  if (storage !== "cookie" && storage !== "store") {
    fail(name, "storage", `unknown storage ${JSON.stringify(storage)}; use "cookie" or "store".`);
  }
  if (!isZodObject(definition.schema)) {
    fail(
      name,
      "schema",
      "must be a zod object, e.g. z.object({ ... }), so every top-level field has a name.",
    );
  }
  for (const field of Object.keys(definition.schema.shape)) {
    if (RESERVED_FIELDS.includes(field)) {
      fail(name, `schema.${field}`, `"${field}" is a session handle method; rename the field.`);
    }
  }
  const flash = resolveFlash(name, definition.flash);
  if (definition.messages !== undefined && typeof definition.messages !== "boolean") {
    fail(name, "messages", "must be true or false.");
  }
  const expiry = resolveExpiry(name, definition);
  const cookie = resolveCookie(name, definition);
  if (cookie.persistent && expiry.absolute > COOKIE_LIFETIME_LIMIT) {
    fail(
      name,
      "expiry.absolute",
      `is ${Math.round(expiry.absolute / 86_400)} days, but browsers keep a cookie at most 400 days, so the ` +
        `session would end early and unannounced. Use at most "400d", or cookie: { persistent: false }.`,
    );
  }
  const version = definition.version ?? 1;
  if (!Number.isInteger(version) || version < 1) {
    fail(name, "version", `must be a whole number of at least 1; got ${String(version)}.`);
  }
  const migrations = resolveMigrations(name, version, definition.migrations);
  if (storage === "cookie" && definition.userField !== undefined) {
    fail(
      name,
      "userField",
      'only store sessions can list a user\'s sessions; use storage: "store" or drop userField.',
    );
  }
  if (storage === "cookie" && definition.header !== undefined) {
    fail(name, "header", 'only store sessions can travel in a header; use storage: "store" or drop header.');
  }
  if (storage === "cookie" && definition.store !== undefined) {
    fail(name, "store", 'only store sessions live in a store; use storage: "store" or drop store.');
  }
  if (definition.store !== undefined && !isStoreOption(definition.store)) {
    fail(
      name,
      "store",
      "must be a store object, a URL, or a function returning a store (called on first use).",
    );
  }
  if (definition.userField !== undefined && !(definition.userField in definition.schema.shape)) {
    fail(name, "userField", `"${definition.userField}" is not a field of the schema.`);
  }
  if (definition.header !== undefined && !HEADER_NAME.test(definition.header)) {
    fail(name, "header", `"${definition.header}" is not a valid HTTP header name.`);
  }
  const importFrom = resolveImporter(name, definition.importFrom);
  return {
    name,
    definition,
    storage,
    schema: definition.schema,
    flash,
    messages: definition.messages ?? false,
    expiry,
    cookie,
    version,
    migrations,
    userField: definition.userField,
    header: definition.header?.toLowerCase(),
    importFrom,
  };
}

const IMPORT_SOURCES = ["iron-session", "express-session"] as const satisfies readonly ImportSource[];

/** An importer from `satchel/import`, recognised by shape (a second copy of satchel still works). */
function resolveImporter(name: string, importer: unknown): SessionImporter<unknown> | undefined {
  if (importer === undefined) return undefined;
  const candidate = importer as Partial<SessionImporter<unknown>> | null;
  if (
    candidate === null ||
    typeof candidate !== "object" ||
    !(IMPORT_SOURCES as readonly unknown[]).includes(candidate.source) ||
    typeof candidate.open !== "function" ||
    !Array.isArray(candidate.cookieNames)
  ) {
    fail(
      name,
      "importFrom",
      'must be an importer from "satchel/import", e.g. importFrom: ironSession({ cookieName, password, map }).',
    );
  }
  return candidate as SessionImporter<unknown>;
}

/**
 * Refuses an importer reading a cookie a satchel session writes (its name, chunks, or the name
 * before `__Host-`): satchel would read the old cookie as its own token, or the importer satchel's.
 */
function refuseImportsOfOwnCookies(sessions: readonly ResolvedSession[]): void {
  const owners = new Map<string, string>();
  for (const { name, cookie } of sessions) {
    const chunks = Array.from({ length: cookie.maxChunks }, (_, index) => `${cookie.name}.${index}`);
    for (const written of [cookie.name, cookie.previousName, ...chunks]) {
      if (written !== undefined) owners.set(written, name);
    }
  }
  for (const { name, importFrom } of sessions) {
    for (const oldName of importFrom?.cookieNames ?? []) {
      const owner = owners.get(oldName);
      if (owner === undefined) continue;
      const whose = owner === name ? "this session's own cookie" : `the cookie of session "${owner}"`;
      fail(
        name,
        "importFrom",
        `reads the old cookie "${oldName}", which is ${whose}; give one of them another cookie name.`,
      );
    }
  }
}

function resolveFlash(name: string, flash: FlashSchemas | undefined): FlashSchemas {
  if (flash === undefined) return {};
  if (flash === null || typeof flash !== "object" || Array.isArray(flash))
    fail(name, "flash", "must map channel names to zod schemas.");
  for (const [channel, schema] of Object.entries(flash)) {
    if (!isZodType(schema)) {
      fail(name, `flash.${channel}`, "needs a zod schema for its payload, e.g. z.string().");
    }
  }
  return flash;
}

function resolveExpiry(name: string, definition: SessionDefinition): ResolvedExpiry {
  const expiry = definition.expiry ?? {};
  if (typeof expiry !== "object" || expiry === null) fail(name, "expiry", "must be an object.");
  refuseUnknownKeys(name, "expiry.", expiry, EXPIRY_KEYS);
  const absolute = parseDuration(
    expiry.absolute ?? DEFAULT_ABSOLUTE,
    `session "${name}" key "expiry.absolute"`,
  );
  const idle =
    expiry.idle === undefined ? null : parseDuration(expiry.idle, `session "${name}" key "expiry.idle"`);
  const where = `session "${name}" key "expiry.touchAfter"`;
  // The 5-minute default shrinks for a very short idle limit, so such a session is still refreshed.
  const touchAfter =
    expiry.touchAfter !== undefined
      ? parseDuration(expiry.touchAfter, where)
      : Math.min(parseDuration(DEFAULT_TOUCH_AFTER, where), idle === null ? Infinity : Math.floor(idle / 2));
  if (absolute < 1) fail(name, "expiry.absolute", "must be at least one second.");
  if (idle !== null && idle < 1) fail(name, "expiry.idle", "must be at least one second.");
  if (idle !== null && touchAfter >= idle) {
    fail(
      name,
      "expiry.touchAfter",
      `is ${touchAfter}s but idle is ${idle}s: an active session would expire before it is refreshed. ` +
        `Make touchAfter shorter than idle (e.g. a tenth of it).`,
    );
  }
  return { absolute, idle, touchAfter };
}

function resolveCookie(name: string, definition: SessionDefinition): ResolvedCookie {
  const options = definition.cookie ?? {};
  if (typeof options !== "object" || options === null) fail(name, "cookie", "must be an object.");
  refuseUnknownKeys(name, "cookie.", options, COOKIE_KEYS);
  const baseName = options.name ?? name;
  if (!COOKIE_NAME.test(baseName)) fail(name, "cookie.name", `"${baseName}" is not a valid cookie name.`);
  // Host-only cookies (no Domain, Path=/, Secure) carry __Host- in production unless told not to:
  // a sibling subdomain's `Domain=` cookie can then neither plant nor shadow the session.
  const hostOnly =
    options.domain === undefined && (options.path ?? "/") === "/" && (options.secure ?? true) === true;
  const hostPrefix = options.hostPrefix ?? (process.env.NODE_ENV === "production" && hostOnly);
  const sameSite = options.sameSite ?? "lax";
  if (sameSite !== "lax" && sameSite !== "strict" && sameSite !== "none") {
    fail(name, "cookie.sameSite", `must be "lax", "strict" or "none"; got ${JSON.stringify(sameSite)}.`);
  }
  const secureFallback = process.env.NODE_ENV !== "development";
  const secure = hostPrefix ? true : (options.secure ?? secureFallback);
  if (secure !== true && secure !== false && secure !== "auto")
    fail(name, "cookie.secure", `must be true, false or "auto"; got ${JSON.stringify(secure)}.`);
  if (hostPrefix && options.secure === "auto")
    fail(
      name,
      "cookie.secure",
      'the __Host- prefix requires Secure on every request; "auto" cannot be used with it.',
    );
  if (sameSite === "none" && secure !== true)
    fail(name, "cookie.sameSite", "browsers drop a SameSite=None without Secure; set secure: true.");
  if (hostPrefix && options.secure === false)
    fail(name, "cookie.secure", "the __Host- prefix requires Secure.");
  if (hostPrefix && options.domain !== undefined)
    fail(name, "cookie.domain", "the __Host- prefix forbids a Domain.");
  if (options.path !== undefined && (typeof options.path !== "string" || !COOKIE_PATH.test(options.path))) {
    fail(
      name,
      "cookie.path",
      `${JSON.stringify(options.path)} is not a cookie path: use printable ASCII starting with "/", ` +
        `without ";", '"', "<" or ">" (%-encode them).`,
    );
  }
  const partitioned = options.partitioned ?? false;
  if (typeof partitioned !== "boolean") fail(name, "cookie.partitioned", "must be true or false.");
  if (partitioned && secure !== true)
    fail(name, "cookie.partitioned", "browsers drop a Partitioned cookie without Secure; set secure: true.");
  if (hostPrefix && options.path !== undefined && options.path !== "/") {
    fail(name, "cookie.path", 'the __Host- prefix requires Path "/".');
  }
  const maxChunks = options.maxChunks ?? DEFAULT_MAX_CHUNKS;
  if (!Number.isInteger(maxChunks) || maxChunks < 1) {
    fail(name, "cookie.maxChunks", `must be a whole number of at least 1; got ${String(maxChunks)}.`);
  }
  const persistent = options.persistent ?? true;
  if (typeof persistent !== "boolean") fail(name, "cookie.persistent", "must be true or false.");
  return {
    name: hostPrefix ? `__Host-${baseName}` : baseName,
    previousName: hostPrefix ? baseName : undefined,
    sameSite,
    secure,
    secureFallback,
    httpOnly: options.httpOnly ?? true,
    path: options.path ?? "/",
    domain: options.domain,
    hostPrefix,
    maxChunks,
    persistent,
    partitioned,
  };
}

function resolveMigrations(
  name: string,
  version: number,
  migrations: Record<number, Migration> | undefined,
): Record<number, Migration> {
  const given = migrations ?? {};
  if (given === null || typeof given !== "object")
    fail(name, "migrations", "must map versions to functions.");
  for (const [key, migration] of Object.entries(given)) {
    const to = Number(key);
    if (!Number.isInteger(to) || to < 2 || to > version) {
      fail(
        name,
        `migrations.${key}`,
        `a migration is keyed by the version it produces, from 2 up to version (${version}).`,
      );
    }
    if (typeof migration !== "function")
      fail(name, `migrations.${key}`, "must be a function (previous) => next.");
  }
  for (let to = 2; to <= version; to++) {
    if (!(to in given)) {
      fail(
        name,
        `migrations.${to}`,
        `version is ${version}, so a migration from version ${to - 1} to ${to} is needed ` +
          `(migrations: { ${to}: (previous) => next }).`,
      );
    }
  }
  return given;
}
