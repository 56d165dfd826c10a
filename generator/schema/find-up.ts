/**
 * The nearest file of a given name at or above a directory: the schema from the working directory,
 * the `tsconfig.json` that governs the schema (so module aliases resolve the same way for the checker
 * and for loading, whatever directory the CLI runs from), the app's `package.json`. No compiler here:
 * the CLI and loading the schema use this before TypeScript is loaded.
 */
import { existsSync } from "node:fs";
import path from "node:path";

/** The path of `name` in `directory` or the nearest directory above it that has one, or undefined. */
export function findUp(directory: string, name: string): string | undefined {
  let current = path.resolve(directory);
  for (;;) {
    const candidate = path.join(current, name);
    if (existsSync(candidate)) return candidate;
    const parent = path.dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
}
