/**
 * `expressSession()`: imports the sessions of an app that used express-session with a store keeping
 * its records as JSON under a prefix (connect-redis: `sess:<id>`), so its users stay signed in when
 * it switches to satchel. Verifies the signed cookie (./express-signature.ts), reads the record
 * (./express-store.ts) and hands it to the app's `map`.
 */
import type { ImportOutcome, SessionImporter } from "../types.ts";
import { createUnsigner } from "./express-signature.ts";
import { type RecordClient, recordStoreOf } from "./express-store.ts";
import {
  checkCookieName,
  checkMap,
  checkOptionKeys,
  type OldCookieOptions,
  oldCookie,
  optionError,
  runMap,
  secretWhenNeeded,
} from "./options.ts";

/** How express-session was set up, and how its data becomes the satchel session's. */
export interface ExpressSessionImportOptions<Data, Old> {
  /**
   * The cookie express-session wrote: its `name` option.
   * @default "connect.sid"
   */
  cookieName?: string;
  /**
   * express-session's `secret`: one string, or the list it was given (the first signed, any
   * verifies: give every secret whose cookies may still be out there). Read it from your environment.
   */
  secret: string | readonly string[];
  /**
   * Where express-session's store kept the records: a `redis://` or `rediss://` URL (an ioredis
   * client is opened on first use: install ioredis), or the client the store used — an ioredis or
   * node-redis client, or anything with `get(key)` (and `del(key)` for `deleteOld`) returning
   * promises. Give your own client a command timeout: an import waits for it.
   */
  store: string | URL | RecordClient;
  /**
   * The prefix of the record keys: connect-redis's `prefix`.
   * @default "sess:"
   */
  prefix?: string;
  /**
   * The Path and Domain of express-session's `cookie` option, so the old cookie can be expired.
   * @default { path: "/" }
   */
  cookie?: OldCookieOptions;
  /**
   * Turns the old record (what express-session's `req.session` held, `cookie` included) into this
   * session's data. Its result is checked against the session's schema; a throw (or a rejection: it
   * may be async) leaves the visitor with a fresh session and an `onInvalid` report `import-failed`.
   * Type `old` with your express-session `SessionData`.
   */
  map: (old: Old) => Data | Promise<Data>;
  /**
   * Delete the old record once the satchel session is written. Off, a request that still carries
   * the old cookie (a second tab, a replay) imports it again until the record expires; on, the old
   * session ends with the import, as a sign-out in the old app would end it.
   * @default false
   */
  deleteOld?: boolean;
}

/** An express-session importer; `close()` closes a client it opened from a URL. */
export interface ExpressSessionImporter<Data> extends SessionImporter<Data> {
  /** Closes the Redis client opened for a `redis://` store (a client you passed stays open). */
  close(): Promise<void>;
}

const OPTION_KEYS = [
  "cookieName",
  "secret",
  "store",
  "prefix",
  "cookie",
  "map",
  "deleteOld",
] as const satisfies readonly (keyof ExpressSessionImportOptions<unknown, unknown>)[];
const DEFAULT_COOKIE = "connect.sid";
const DEFAULT_PREFIX = "sess:";

/**
 * Imports express-session sessions: `importFrom: expressSession({ secret, store, map })`.
 * @throws SatchelConfigError when an option is missing or wrong, naming it and what to give.
 */
export function expressSession<Data, Old = Record<string, unknown>>(
  options: ExpressSessionImportOptions<Data, Old>,
): ExpressSessionImporter<Data> {
  checkOptionKeys("expressSession", options, OPTION_KEYS);
  const name = checkCookieName("expressSession", options.cookieName ?? DEFAULT_COOKIE);
  const unsigner = secretWhenNeeded(options.secret, (secret) => createUnsigner(secretsOf(secret)));
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  if (typeof prefix !== "string")
    optionError("expressSession", 'option "prefix" must be a string like "sess:".');
  const deleteOld = options.deleteOld ?? false;
  if (typeof deleteOld !== "boolean")
    optionError("expressSession", 'option "deleteOld" must be true or false.');
  if (options.store === undefined) {
    optionError(
      "expressSession",
      'needs a "store": the redis:// URL or the client express-session\'s store used.',
    );
  }
  const store = recordStoreOf(options.store, deleteOld);
  const expired = oldCookie("expressSession", name, options.cookie);
  checkMap("expressSession", options.map);
  const map = options.map;
  const what = `express-session cookie "${name}"`;

  return {
    source: "express-session",
    cookieNames: [name],
    check: () => {
      unsigner();
    },
    async open({ cookies, crypto, now }): Promise<ImportOutcome<Data>> {
      const value = cookies.get(name);
      if (!value) return { status: "absent" };
      const unsigned = await unsigner()(value, crypto);
      if (!unsigned.ok) return { status: "failed", detail: `${what} ${unsigned.problem}` };
      const key = prefix + unsigned.id;
      const record = parseRecord(await store.get(key), now);
      if (typeof record === "string") return { status: "failed", detail: `${what} ${record}` };
      const cleanup = deleteOld
        ? { expireCookies: [expired], afterWrite: () => store.del(key) }
        : { expireCookies: [expired] };
      return runMap(map, record as Old, what, cleanup);
    },
    close: () => store.close(),
  };
}

/**
 * The session a stored text holds, or why it holds none. An expired record (its `cookie.expires`
 * passed: express-session's MemoryStore drops such records on read, Redis by its TTL) is refused
 * like a missing one: the old app would have signed that visitor out too.
 */
function parseRecord(text: unknown, now: number): Record<string, unknown> | string {
  if (text === null || text === undefined) {
    return `has no record under its prefix (expired, destroyed, or another store or prefix)`;
  }
  if (typeof text !== "string") return "has a record that is not text";
  let record: unknown;
  try {
    record = JSON.parse(text);
  } catch {
    return "has a record that is not JSON";
  }
  if (record === null || typeof record !== "object" || Array.isArray(record)) {
    return "has a record that is not an object";
  }
  const cookie = (record as { cookie?: unknown }).cookie;
  const expires =
    cookie !== null && typeof cookie === "object" ? (cookie as { expires?: unknown }).expires : undefined;
  if (typeof expires === "string" || typeof expires === "number") {
    const at = new Date(expires).getTime();
    if (at <= now) return `has a record that expired at ${new Date(at).toISOString()}`;
  }
  return record as Record<string, unknown>;
}

function secretsOf(secret: unknown): readonly string[] {
  const secrets = typeof secret === "string" ? [secret] : secret;
  if (
    !Array.isArray(secrets) ||
    secrets.length === 0 ||
    !secrets.every((s) => typeof s === "string" && s !== "")
  ) {
    optionError(
      "expressSession",
      'option "secret" must be express-session\'s secret: a non-empty string, or the list of them it was given.',
    );
  }
  return secrets as readonly string[];
}
