/**
 * Executes the schema file to get its runtime values: zod schemas, cookie names, versions, migrations.
 * Every call evaluates it and its local imports afresh (see fresh-import.ts), so edits to the schema
 * and to every file it imports are seen (no stale module cache), which watch mode depends on.
 */
import path from "node:path";
import type { z } from "zod";
import { findUp } from "./find-up.ts";
import { freshImport } from "./fresh-import.ts";

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
  /** `expiry.absolute` as written (a duration string or seconds) and in seconds: `$expire()`'s limit. */
  absoluteLimit: { text: string | number; seconds: number };
}

/** What the generator needs from one token kind of the `tokens` option. */
export interface LoadedToken {
  name: string;
  /** The token's zod schema. */
  schema: z.ZodType;
  /** Lifetime in seconds. */
  ttl: number;
  singleUse: boolean;
}

/** The executed schema file. */
export interface LoadedSchema {
  sessions: LoadedSession[];
  /** The `tokens` option as `defineSessions()` resolved it, in declaration order. */
  tokens: LoadedToken[];
}

/** Loading the schema threw. */
export class SchemaLoadError extends Error {
  override name = "SchemaLoadError";
  constructor(
    /** What went wrong, without the `satchel:` prefix. */
    readonly reason: string,
    /** Where, when the stack or message says: file relative to the schema's directory, 1-based line. */
    readonly location: { file: string; line: number; column?: number } | undefined,
  ) {
    super(location ? `${location.file}:${location.line}: ${reason}` : reason);
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
  expiry?: { absolute?: unknown };
};
type Resolved = {
  definition?: Definition;
  cookie?: { name?: unknown; maxChunks?: unknown };
  expiry?: { absolute?: unknown };
  version?: unknown;
};

/** Seconds of the default `expiry.absolute` (`define.ts`), for a bare definitions object. */
const DEFAULT_ABSOLUTE_SECONDS = 14 * 86_400;

/** `expiry.absolute` as the schema file wrote it (its seconds when it wrote none) and in seconds. */
function absoluteLimitOf(
  definition: Definition,
  entry: Resolved | undefined,
): LoadedSession["absoluteLimit"] {
  const resolved = entry?.expiry?.absolute;
  const seconds = typeof resolved === "number" ? resolved : DEFAULT_ABSOLUTE_SECONDS;
  const written = isObject(definition.expiry) ? definition.expiry.absolute : undefined;
  const text = typeof written === "string" || typeof written === "number" ? written : seconds;
  return { text, seconds };
}

/** Loads started by `preloadSchema`, each taken by the next `loadSchema` of its file. */
const preloaded = new Map<string, Promise<LoadedSchema>>();

/**
 * Starts executing the schema now, for the next `loadSchema` of the same file to take instead of
 * importing it again. The CLI calls it before it loads the generator: the loader thread resolves and
 * compiles the schema's files while the main thread loads the TypeScript compiler, instead of
 * afterwards. Resolves (never rejects) when the load has settled; its error goes to `loadSchema`.
 */
export function preloadSchema(schemaPath: string): Promise<void> {
  const absolute = path.resolve(schemaPath);
  const loading = importSchema(absolute);
  preloaded.set(absolute, loading);
  return loading.then(
    () => undefined,
    () => undefined,
  );
}

/** Imports `schemaPath` fresh and reads every session from its default export. */
export async function loadSchema(schemaPath: string): Promise<LoadedSchema> {
  const absolute = path.resolve(schemaPath);
  const early = preloaded.get(absolute);
  if (early) {
    preloaded.delete(absolute);
    return early;
  }
  return importSchema(absolute);
}

async function importSchema(absolute: string): Promise<LoadedSchema> {
  const root = path.dirname(absolute);
  let module: { default?: unknown };
  // Stack traces in the schema's own lines (tsx emits inline source maps), for errors with file:line.
  process.setSourceMapsEnabled(true);
  try {
    // The schema's own tsconfig, not the one in the current directory: same result from any cwd.
    module = await freshImport(absolute, findUp(root, "tsconfig.json") ?? false);
  } catch (error) {
    throw describeLoadError(error, absolute);
  }
  let exported = module.default;
  // In a package without "type": "module" the schema runs as CommonJS: its default export is nested.
  if (isObject(exported) && !("sessions" in exported) && isObject(exported.default))
    exported = exported.default;
  return { sessions: readSessions(exported), tokens: readTokens(exported) };
}

/** The resolved `tokens` of what `defineSessions` returns (`{ tokens: { [name]: { schema, ... } } }`). */
function readTokens(exported: unknown): LoadedToken[] {
  const tokens = isObject(exported) && isObject(exported.tokens) ? exported.tokens : {};
  return Object.entries(tokens).map(([name, token]) => {
    const { schema, ttl, singleUse } = token as { schema: z.ZodType; ttl?: unknown; singleUse?: unknown };
    return { name, schema, ttl: typeof ttl === "number" ? ttl : 0, singleUse: singleUse === true };
  });
}

/**
 * Accepts what `defineSessions` returns (`{ sessions: { [name]: { definition, cookie, ... } } }`) and,
 * as a fallback, the bare definitions object.
 */
function readSessions(exported: unknown): LoadedSession[] {
  if (!isObject(exported)) {
    throw new SchemaLoadError(
      "the schema file has no default export; write `export default defineSessions({ ... })`.",
      undefined,
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
      absoluteLimit: absoluteLimitOf(definition, entry),
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

/** The error's reason, and where: a syntax error's position, or the first frame in the schema (or a local import). */
function describeLoadError(error: unknown, schemaPath: string): SchemaLoadError {
  const message = (error instanceof Error ? error.message : String(error)).replace(/^satchel: /, "");
  const relative = (file: string) => path.relative(path.dirname(schemaPath), file).split(path.sep).join("/");
  // esbuild (through tsx): "Transform failed with 1 error:\n/abs/file.ts:7:29: ERROR: Unexpected ','"
  const syntax = message.match(/(\/[^\s:]+):(\d+):(\d+): ERROR: (.*)/);
  if (syntax) {
    return new SchemaLoadError(syntax[4]!, {
      file: relative(syntax[1]!),
      line: Number(syntax[2]),
      column: Number(syntax[3]),
    });
  }
  const stack = error instanceof Error ? (error.stack ?? "") : "";
  const frames = [
    ...stack.matchAll(/(?:file:\/\/)?(\/[^\s():?]+\.[cm]?[jt]sx?)(?:\?[^\s:)]*)?:(\d+):\d+/g),
  ].map((match) => ({ file: match[1]!, line: Number(match[2]) }));
  const frame =
    frames.find((f) => f.file === schemaPath) ??
    frames.find((f) => f.file.startsWith(path.dirname(schemaPath)) && !f.file.includes("/node_modules/"));
  return new SchemaLoadError(message, frame ? { file: relative(frame.file), line: frame.line } : undefined);
}
