/**
 * Finds the tsconfig.json that governs the schema file, so module aliases (`paths`) resolve the same
 * way for the checker and for loading, whatever directory the CLI runs from. No compiler here: loading
 * the schema uses this too, and must not wait for TypeScript to load (analyse.ts reads the `paths`).
 */
import { existsSync } from "node:fs";
import path from "node:path";

/** The nearest `tsconfig.json` at or above `directory`, or undefined. */
export function findTsconfig(directory: string): string | undefined {
  let current = path.resolve(directory);
  for (;;) {
    const candidate = path.join(current, "tsconfig.json");
    if (existsSync(candidate)) return candidate;
    const parent = path.dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
}
