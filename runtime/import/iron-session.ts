/**
 * `ironSession()`: imports the sessions of an app that used iron-session 8 or 9, so its users stay
 * signed in when it switches to satchel. Reads the cookie as iron-session reads it (a whole cookie
 * first, else iron-session 9's chunks `name.0` ... `name.3` up to the first gap), opens the seal
 * (./iron-seal.ts), and hands its data to the app's `map`.
 */
import { parseDuration } from "../duration.ts";
import type { CookieReader, Duration, ImportOutcome, OldCookie, SessionImporter } from "../types.ts";
import { IRON_SKEW_MS, type IronPasswords, openIronSeal } from "./iron-seal.ts";
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

/** How iron-session was set up, and how its data becomes the satchel session's. */
export interface IronSessionImportOptions<Data, Old> {
  /** The cookie iron-session wrote: its `cookieName` option. */
  cookieName: string;
  /**
   * iron-session's `password`: one string, or a map of numeric ids to passwords
   * (`{ 1: "old…", 2: "new…" }`) when it rotated them. Each seal names the id it was sealed with,
   * so give every password whose cookies may still be out there. Each at least 32 characters.
   * Keep them out of source control: read them from your environment.
   */
  password: string | Readonly<Record<string, string>>;
  /**
   * The `ttl` iron-session sealed with (seconds, or a string like `"30d"`); the longest one when it
   * varied (`updateConfig`). Every seal carries its own expiration, which is always honoured (with
   * iron's 60 s skew); `ttl` also refuses seals iron-session's session cookies cannot be: one that
   * outlives `ttl`, or, unless `ttl` is 0, one that never expires (a `sealData` token sealed with
   * the same password is not a session). `0`: iron-session ran with `ttl: 0` or
   * `cookieOptions: { maxAge: undefined }`, whose seals never expire.
   * @default 1209600 (14 days, iron-session's default)
   */
  ttl?: Duration;
  /**
   * The Path and Domain iron-session's `cookieOptions` set, so the old cookie can be expired.
   * @default { path: "/" }
   */
  cookie?: OldCookieOptions;
  /**
   * Turns the old session's data (what iron-session's `session` held) into this session's data.
   * Its result is checked against the session's schema; a throw (or a rejection: it may be async)
   * leaves the visitor with a fresh session and an `onInvalid` report `import-failed`. Type `old`
   * with your iron-session `SessionData`.
   */
  map: (old: Old) => Data | Promise<Data>;
}

const OPTION_KEYS = [
  "cookieName",
  "password",
  "ttl",
  "cookie",
  "map",
] as const satisfies readonly (keyof IronSessionImportOptions<unknown, unknown>)[];
/** iron-session's default ttl: 14 days. */
const DEFAULT_TTL = 1_209_600;
/** iron-session 9 splits a seal over at most this many cookies. */
const MAX_CHUNKS = 4;
/** iron-webcrypto's `minPasswordLength`; iron-session refuses shorter passwords too. */
const MIN_PASSWORD_LENGTH = 32;
const PASSWORD_ID = /^\d+$/;

/**
 * Imports iron-session (8 and 9) sessions: `importFrom: ironSession({ cookieName, password, map })`.
 * @throws SatchelConfigError when an option is missing or wrong, naming it and what to give.
 */
export function ironSession<Data, Old = Record<string, unknown>>(
  options: IronSessionImportOptions<Data, Old>,
): SessionImporter<Data> {
  checkOptionKeys("ironSession", options, OPTION_KEYS);
  const name = checkCookieName("ironSession", options.cookieName);
  const passwords = secretWhenNeeded(options.password, passwordsOf);
  const ttlMs = parseDuration(options.ttl ?? DEFAULT_TTL, 'ironSession() option "ttl"') * 1000;
  const expired = oldCookie("ironSession", name, options.cookie);
  checkMap("ironSession", options.map);
  const map = options.map;
  const cookieNames = [name, ...Array.from({ length: MAX_CHUNKS }, (_, index) => `${name}.${index}`)];
  const what = `iron-session cookie "${name}"`;

  return {
    source: "iron-session",
    cookieNames,
    check: () => {
      passwords();
    },
    async open({ cookies, crypto, now }): Promise<ImportOutcome<Data>> {
      const sealed = readSeal(cookies, name);
      if (sealed === "") return { status: "absent" };
      // iron-session appends "~2" outside the seal's HMAC; like iron-session 9, ignore it.
      const tilde = sealed.indexOf("~");
      const opened = await openIronSeal(
        tilde < 0 ? sealed : sealed.slice(0, tilde),
        passwords(),
        crypto,
        now,
      );
      if (!opened.ok) return { status: "failed", detail: `${what} ${opened.problem}` };
      const refused = ttlRefusal(opened.expiresAt, ttlMs, now);
      if (refused !== undefined) return { status: "failed", detail: `${what} ${refused}` };
      const value = opened.value;
      if (value === null || typeof value !== "object" || Array.isArray(value)) {
        return {
          status: "failed",
          detail: `${what} holds ${kindOf(value)}, not session data (a sealData token?)`,
        };
      }
      const expireCookies = presentCookies(cookies, cookieNames, expired);
      return runMap(map, value as Old, what, { expireCookies });
    },
  };
}

/** The seal as iron-session 9 reads it: the whole cookie, else its chunks up to the first gap. */
function readSeal(cookies: CookieReader, name: string): string {
  const whole = cookies.get(name);
  if (whole) return whole;
  let sealed = "";
  for (let index = 0; index < MAX_CHUNKS; index++) {
    const part = cookies.get(`${name}.${index}`);
    if (!part) break;
    sealed += part;
  }
  return sealed;
}

/** Why a seal that opened is still not one of iron-session's session cookies under `ttl`, if it is not. */
function ttlRefusal(expiresAt: number | null, ttlMs: number, now: number): string | undefined {
  if (ttlMs === 0) return undefined;
  if (expiresAt === null) {
    return `never expires, which iron-session sessions do only with ttl 0: set ttl: 0 if yours did, else this is not a session cookie`;
  }
  if (expiresAt > now + ttlMs + IRON_SKEW_MS) {
    return `expires at ${new Date(expiresAt).toISOString()}, later than ttl (${ttlMs / 1000} s) allows: set ttl to the longest ttl your iron-session sealed with`;
  }
  return undefined;
}

/** iron-session's password option as a map from id to password: a lone string is id "1", as there. */
function passwordsOf(password: unknown): IronPasswords {
  const fix =
    'give iron-session\'s password: a string, or { 1: "...", 2: "..." } when you rotated, each at least 32 characters.';
  const entries: [string, unknown][] =
    typeof password === "string"
      ? [["1", password]]
      : password !== null && typeof password === "object" && !Array.isArray(password)
        ? Object.entries(password)
        : optionError("ironSession", `option "password" is missing or not a string or map: ${fix}`);
  if (entries.length === 0) optionError("ironSession", `option "password" is an empty map: ${fix}`);
  for (const [id, secret] of entries) {
    if (!PASSWORD_ID.test(id)) {
      optionError(
        "ironSession",
        `option "password" has the id ${JSON.stringify(id)}; ids are whole numbers as iron-session uses them: ${fix}`,
      );
    }
    if (typeof secret !== "string" || secret.length < MIN_PASSWORD_LENGTH) {
      optionError(
        "ironSession",
        `option "password"${typeof password === "string" ? "" : ` id ${id}`} is shorter than ${MIN_PASSWORD_LENGTH} characters, so iron-session never sealed with it: ${fix}`,
      );
    }
  }
  return new Map(entries as [string, string][]);
}

/** What a sealed value that is no session object is, for the report. */
function kindOf(value: unknown): string {
  if (value === null) return "null";
  return Array.isArray(value) ? "an array" : `a ${typeof value}`;
}

/** The cookies among `names` the request carries, to expire where `where` says. */
function presentCookies(cookies: CookieReader, names: readonly string[], where: OldCookie): OldCookie[] {
  return names.filter((name) => cookies.get(name) !== undefined).map((name) => ({ ...where, name }));
}
