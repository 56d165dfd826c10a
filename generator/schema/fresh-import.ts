/**
 * Imports a TypeScript file so that it and every local file it imports are evaluated afresh, while
 * node_modules (zod, satchel) stay cached. tsx compiles TypeScript; a tiny resolve hook tags every
 * local import of a tagged module with the same generation number, so edits anywhere in the schema's
 * own files are seen, and a watch session neither reloads zod on each save nor stacks hook layers.
 *
 * The same hook hands plain JavaScript in node_modules back to the process's own loader: tsx's
 * namespace would otherwise load zod, superjson and satchel a second time beside the generator's own
 * copies (about 70 modules resolved, read and evaluated again, most of a cold run's wait after the
 * type checker). Those files need no compiling and no tsconfig paths, and their own imports stay in
 * node_modules, so they are the very modules the generator already has.
 */
import { register } from "node:module";
import { pathToFileURL } from "node:url";
import { register as registerTsx } from "tsx/esm/api";

const TAG = "satchel-gen";

/** Runs in Node's loader thread: propagate `?satchel-gen=N` from a tagged parent to local children. */
const HOOKS = `
const pattern = /[?&]${TAG}=(\\d+)/;
const sharedPackage = /^(file:[^?#]*\\/node_modules\\/[^?#]*\\.[cm]?js)\\?tsx-namespace=[^&#]*$/;
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  const shared = sharedPackage.exec(result.url);
  if (shared) return { ...result, url: shared[1] };
  const tag = context.parentURL && pattern.exec(context.parentURL);
  if (!tag || !result.url.startsWith("file:") || result.url.includes("/node_modules/") || pattern.test(result.url)) {
    return result;
  }
  return { ...result, url: result.url + (result.url.includes("?") ? "&" : "?") + "${TAG}=" + tag[1] };
}
`;

type ScopedImport = (specifier: string, parentURL: string) => Promise<unknown>;
const loaders = new Map<string | false, ScopedImport>();
let generation = 0;

/** Imports `file` (absolute path) fresh, compiling TypeScript with the given tsconfig's paths. */
export async function freshImport(file: string, tsconfig: string | false): Promise<Record<string, unknown>> {
  let load = loaders.get(tsconfig);
  if (!load) {
    // One tsx namespace per tsconfig for the whole process: its modules (zod, satchel) load once.
    // tsx performs the import itself, so test runners that rewrite import() don't get in the way.
    load = registerTsx({ namespace: `satchel-${loaders.size}`, tsconfig }).import;
    // Registered after tsx, so it runs first and sees tsx's resolution of each specifier.
    register(`data:text/javascript,${encodeURIComponent(HOOKS)}`);
    loaders.set(tsconfig, load);
  }
  generation++;
  return (await load(`${pathToFileURL(file).href}?${TAG}=${generation}`, import.meta.url)) as Record<
    string,
    unknown
  >;
}
