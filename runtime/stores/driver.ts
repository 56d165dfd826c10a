/**
 * Store drivers (ioredis, pg, memjs) are optional peers: an app installs only the one it uses. Each
 * store file loads its driver with `import(/* webpackIgnore: true *\/ /* turbopackIgnore: true *\/ "x")`,
 * so bundlers leave the import to Node at run time instead of failing the build of an app that never
 * installed it ("Can't resolve 'ioredis'"). Node then resolves it from the app's node_modules.
 */
import { SatchelConfigError } from "../errors.ts";

/** Node's error for a package it cannot find, from ESM (`ERR_MODULE_NOT_FOUND`) or CommonJS. */
function isMissing(error: unknown, name: string): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  const notFound = code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND";
  return (notFound || /cannot find (package|module)/i.test(error.message)) && error.message.includes(name);
}

/**
 * Runs `load` (the store file's own `import()` of `name`); a missing package becomes a
 * `SatchelConfigError` that says which store needs it and how to install it.
 */
export async function loadDriver<T extends object>(
  name: string,
  store: string,
  load: () => Promise<T>,
): Promise<T> {
  try {
    return exportsOf(await load());
  } catch (error) {
    if (isMissing(error, name)) {
      throw new SatchelConfigError(
        `satchel: the ${store} store needs the ${name} package, which is not installed; run npm install ${name}.`,
        { cause: error },
      );
    }
    throw error;
  }
}

/**
 * The driver's exports. Node puts a CommonJS package's `module.exports` on `default` and adds named
 * exports only where its lexer finds them (pg before its ESM wrapper: none), so an object `default`
 * is the whole API; a function `default` (ioredis: the client class) sits beside the named exports.
 */
function exportsOf<T extends object>(namespace: T): T {
  const commonJs = (namespace as { default?: unknown }).default;
  return commonJs !== null && typeof commonJs === "object" ? (commonJs as T) : namespace;
}
