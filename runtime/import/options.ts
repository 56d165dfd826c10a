/**
 * What both importers share: checking their options at the call (so a mistake surfaces when the
 * schema file loads, not on the first visitor's request), and running the app's `map`.
 */
import { isValidCookieName, serializeCookie } from "../cookies/header.ts";
import { SatchelConfigError } from "../errors.ts";
import { closestKey } from "../suggest.ts";
import type { ImportOutcome, OldCookie } from "../types.ts";

/** Where the old cookie was set: a browser expires a cookie only under the same Path and Domain. */
export interface OldCookieOptions {
  /**
   * The Path the old library set its cookie with.
   * @default "/"
   */
  path?: string;
  /**
   * The Domain the old library set its cookie with, if any.
   * @default undefined (a host-only cookie)
   */
  domain?: string;
}

/** An importer's name as the app calls it, for errors: `ironSession`, `expressSession`. */
export type ImporterName = "ironSession" | "expressSession";

/** Throws the `satchel:` error of an importer option. */
export function optionError(importer: ImporterName, message: string): never {
  throw new SatchelConfigError(`satchel: ${importer}() ${message}`);
}

/** Refuses an options value that is not an object, and keys that are not options (typos). */
export function checkOptionKeys(importer: ImporterName, options: unknown, known: readonly string[]): void {
  if (options === null || typeof options !== "object") {
    optionError(importer, `expects an options object like { ${known.join(", ")} }.`);
  }
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const closest = closestKey(key, known);
    optionError(
      importer,
      `option "${key}" is unknown${closest === undefined ? `; known options: ${known.join(", ")}.` : ` (did you mean "${closest}"?).`}`,
    );
  }
}

/** The old cookie's name, checked to be one a browser can send. */
export function checkCookieName(importer: ImporterName, name: unknown): string {
  if (typeof name !== "string" || !isValidCookieName(name)) {
    optionError(
      importer,
      `option "cookieName" must be the name of the cookie the old library set (e.g. "connect.sid"); got ${JSON.stringify(name)}.`,
    );
  }
  return name;
}

const COOKIE_OPTION_KEYS = ["path", "domain"] as const satisfies readonly (keyof OldCookieOptions)[];

/** The `cookie` option resolved: where the old cookie is expired, as an `OldCookie` for `name`. */
export function oldCookie(
  importer: ImporterName,
  name: string,
  options: OldCookieOptions | undefined,
): OldCookie {
  if (options === undefined) return { name, path: "/", domain: undefined };
  if (options === null || typeof options !== "object") {
    optionError(importer, 'option "cookie" must be an object like { path: "/", domain: "example.com" }.');
  }
  for (const key of Object.keys(options)) {
    if (!(COOKIE_OPTION_KEYS as readonly string[]).includes(key)) {
      optionError(
        importer,
        `option "cookie.${key}" is unknown: only path and domain matter, to expire the old cookie.`,
      );
    }
  }
  const { path = "/", domain } = options;
  if (typeof path !== "string" || !path.startsWith("/")) {
    optionError(
      importer,
      `option "cookie.path" must start with "/" (the old cookie's Path); got ${JSON.stringify(path)}.`,
    );
  }
  try {
    // The expiring write must serialize later; find a bad path or domain now, while the schema loads.
    serializeCookie(name, "", { path, domain, secure: true, maxAge: 0 });
  } catch (error) {
    optionError(importer, `option "cookie": ${(error as Error).message.replace(/^satchel: /, "")}`);
  }
  return { name, path, domain };
}

/** Refuses a missing `map`: without it the old data has no way into the schema. */
export function checkMap(importer: ImporterName, map: unknown): void {
  if (typeof map !== "function") {
    optionError(
      importer,
      'needs a "map" function: (old) => data for the satchel session, e.g. map: (old) => ({ userId: old.userId ?? null }).',
    );
  }
}

/**
 * Runs the app's `map` on the old data: its result is the import, its throw (or rejection) a
 * `failed` outcome naming the error, so one bad old session cannot fail the request.
 */
export async function runMap<Old, Data>(
  map: (old: Old) => Data | Promise<Data>,
  old: Old,
  what: string,
  cleanup: Extract<ImportOutcome<Data>, { status: "ok" }>["cleanup"],
): Promise<ImportOutcome<Data>> {
  try {
    return { status: "ok", data: await map(old), cleanup };
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return { status: "failed", detail: `${what}: map threw ${reason.slice(0, 200)}` };
  }
}

/**
 * An old library's secret, checked by `check`: at once when the schema file gives one, on first use
 * when it gives none (`undefined` or `""`). `satchel gen`, `next build` and CI run the schema file
 * where the app's secrets are often not set (`process.env.IRON_PASSWORD ?? ""`); an importer that
 * refused to load there would break them. An app that runs without it still hears about it: on the
 * first old cookie, and at start from `satchel.checkConfig()` (the instrumentation.ts `init` writes).
 */
export function secretWhenNeeded<T>(given: unknown, check: (given: unknown) => T): () => T {
  if (given !== undefined && given !== "") {
    const checked = check(given);
    return () => checked;
  }
  let checked: T | undefined;
  return () => {
    checked ??= check(given);
    return checked;
  };
}
