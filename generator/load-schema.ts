/**
 * Executes the schema file to get its runtime values: zod schemas, cookie names, versions, migrations.
 * Every call imports it under a fresh tsx namespace, so edits to the schema and to every file it
 * imports are seen (no stale module cache), which watch mode depends on.
 */
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { tsImport } from "tsx/esm/api";
import type { z } from "zod";
import { findTsconfig } from "./tsconfig.ts";

/** What the generator needs from one declared session, read from the executed schema file. */
export interface LoadedSession {
  name: string;
  storage: "cookie" | "store";
  /** The session's zod object, or undefined when the definition has none. */
  schema: z.ZodType | undefined;
  flash: Record<string, z.ZodType>;
  messages: boolean;
  version: number;
  /** Target versions that have a migration function. */
  migrations: number[];
  /** The cookie name as sent (prefix included). */
  cookieName: string;
  maxChunks: number;
}

/** The executed schema file. */
export interface LoadedSchema {
  sessions: LoadedSession[];
  /** Local files imported while executing it (absolute paths), for watch mode. */
  files: string[];
}

/** Loading the schema threw. */
export class SchemaLoadError extends Error {
  override name = "SchemaLoadError";
  constructor(
    /** What went wrong, without the `satchel:` prefix. */
    readonly reason: string,
    /** `file:line` (relative to the schema's directory) when the stack or message has it. */
    readonly location: string | undefined,
  ) {
    super(location ? `${location}: ${reason}` : reason);
  }
}

type Definition = {
  storage?: unknown;
  schema?: unknown;
  flash?: unknown;
  messages?: unknown;
  version?: unknown;
  migrations?: unknown;
  cookie?: { name?: unknown; hostPrefix?: unknown; maxChunks?: unknown };
};
type Resolved = {
  definition?: Definition;
  cookie?: { name?: unknown; maxChunks?: unknown };
  version?: unknown;
};

/** Imports `schemaPath` fresh and reads every session from its default export. */
export async function loadSchema(schemaPath: string): Promise<LoadedSchema> {
  const absolute = path.resolve(schemaPath);
  const root = path.dirname(absolute);
  const files = new Set<string>();
  let module: { default?: unknown };
  // Stack traces in the schema's own lines (tsx emits inline source maps), for errors with file:line.
  process.setSourceMapsEnabled(true);
  try {
    module = (await tsImport(pathToFileURL(absolute).href, {
      parentURL: import.meta.url,
      // The schema's own tsconfig, not the one in the current directory: same result from any cwd.
      tsconfig: findTsconfig(root) ?? false,
      onImport: (url: string) => {
        if (url.startsWith("file:") && !url.includes("/node_modules/"))
          files.add(fileURLToPath(url.split("?")[0]!));
      },
    })) as { default?: unknown };
  } catch (error) {
    throw describeLoadError(error, absolute, files);
  }
  files.add(absolute);
  let exported = module.default;
  // In a package without "type": "module" the schema runs as CommonJS: its default export is nested.
  if (isObject(exported) && !("sessions" in exported) && isObject(exported.default))
    exported = exported.default;
  return { sessions: readSessions(exported), files: [...files].sort() };
}

/**
 * Accepts what `defineSessions` returns (`{ sessions: { [name]: { definition, cookie, ... } } }`) and,
 * as a fallback, the bare definitions object.
 */
function readSessions(exported: unknown): LoadedSession[] {
  if (!isObject(exported)) {
    throw new SchemaLoadError(
      "satchel: the schema file has no default export; write `export default defineSessions({ ... })`.",
    );
  }
  const resolved = isObject(exported.sessions) ? (exported.sessions as Record<string, Resolved>) : undefined;
  const names = Object.keys(resolved ?? exported);
  return names.map((name) => {
    const entry = resolved?.[name];
    const definition = (entry?.definition ?? (resolved ? entry : exported[name])) as Definition;
    const cookie = isObject(definition.cookie) ? definition.cookie : {};
    const baseName = typeof cookie.name === "string" ? cookie.name : name;
    const resolvedName = entry?.cookie?.name;
    return {
      name,
      storage: definition.storage === "store" ? "store" : "cookie",
      schema: isObject(definition.schema) ? (definition.schema as unknown as z.ZodType) : undefined,
      flash: isObject(definition.flash) ? (definition.flash as Record<string, z.ZodType>) : {},
      messages: definition.messages === true,
      version: typeof definition.version === "number" ? definition.version : 1,
      migrations: isObject(definition.migrations)
        ? Object.keys(definition.migrations)
            .map(Number)
            .sort((a, b) => a - b)
        : [],
      cookieName:
        typeof resolvedName === "string"
          ? resolvedName
          : cookie.hostPrefix === true
            ? `__Host-${baseName}`
            : baseName,
      maxChunks:
        typeof entry?.cookie?.maxChunks === "number"
          ? entry.cookie.maxChunks
          : typeof cookie.maxChunks === "number"
            ? cookie.maxChunks
            : 4,
    } satisfies LoadedSession;
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/** The error's reason, and the first stack frame in the schema file (or a local file it imports). */
function describeLoadError(error: unknown, schemaPath: string, local: Set<string>): SchemaLoadError {
  const reason = (error instanceof Error ? error.message : String(error)).replace(/^satchel: /, "");
  const stack = error instanceof Error ? (error.stack ?? "") : "";
  const frames = [
    ...stack.matchAll(/(?:file:\/\/)?(\/[^\s():?]+\.[cm]?[jt]sx?)(?:\?[^\s:)]*)?:(\d+):\d+/g),
  ].map((match) => ({ file: match[1]!, line: match[2]! }));
  // Syntax errors name the position in the message already (esbuild: "file:line:column: ERROR").
  const frame =
    frames.find((f) => f.file === schemaPath) ??
    frames.find((f) => local.has(f.file) && !f.file.includes("/node_modules/"));
  if (!frame || reason.includes(`${path.basename(frame.file)}:`))
    return new SchemaLoadError(reason, undefined);
  const relative = path.relative(path.dirname(schemaPath), frame.file).split(path.sep).join("/");
  return new SchemaLoadError(reason, `${relative}:${frame.line}`);
}
