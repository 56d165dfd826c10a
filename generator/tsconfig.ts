/**
 * Finds the tsconfig.json that governs the schema file, so module aliases (`paths`) resolve the same
 * way for the checker and for loading, whatever directory the CLI runs from.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { ts } from "ts-morph";

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

/** The `paths` of a tsconfig (and the absolute directory they are relative to), when it has any. */
export function readTsconfigPaths(
  tsconfigPath: string,
): { baseUrl: string; paths: Record<string, string[]> } | undefined {
  const read = ts.readConfigFile(tsconfigPath, ts.sys.readFile);
  const options = (
    read.config as { compilerOptions?: { baseUrl?: string; paths?: Record<string, string[]> } }
  )?.compilerOptions;
  if (!options?.paths) return undefined;
  const directory = path.dirname(tsconfigPath);
  return { baseUrl: path.resolve(directory, options.baseUrl ?? "."), paths: options.paths };
}
