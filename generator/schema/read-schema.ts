/**
 * Reads the schema both ways at once: executes it for its runtime values (load-schema.ts, in the
 * loader thread) while the type checker prints its types (analyse.ts, on this thread). What goes wrong
 * in either comes back as complete `satchel: file:line: ...` messages, each at the session it concerns.
 */
import { type AnalysedSession, AnalysisError, SchemaAnalyser } from "./analyse.ts";
import type { AnalysedToken } from "./analyse-tokens.ts";
import { type LoadedSchema, loadSchema, SchemaLoadError } from "./load-schema.ts";
import { SchemaLocations } from "./locations.ts";

/** The schema as a run sees it. */
export interface ReadSchema {
  /** The executed schema; undefined when it did not load (`errors` says why). */
  loaded: LoadedSchema | undefined;
  /** Each session's printed types, by name; empty when the checker failed. */
  types: ReadonlyMap<string, AnalysedSession>;
  /** Each token kind's printed types, by name; empty when the checker failed. */
  tokens: ReadonlyMap<string, AnalysedToken>;
  locations: SchemaLocations;
  /** Complete messages; a run stops here when there are any. */
  errors: string[];
  /** Local files the schema depends on, for watch mode; the schema alone when the checker failed. */
  watched: string[];
}

/** Executes and analyses `schemaPath` (absolute); `analyser` is reused across runs in watch mode. */
export async function readSchema(schemaPath: string, analyser?: SchemaAnalyser): Promise<ReadSchema> {
  // Executing starts first: the loader thread runs the schema while this thread type-checks it.
  const loading = loadSchema(schemaPath).catch((error: unknown) =>
    error instanceof Error ? error : new Error(String(error)),
  );
  const errors: string[] = [];
  let sessions: AnalysedSession[] = [];
  let tokenKinds: AnalysedToken[] = [];
  let watched = [schemaPath];
  try {
    const analysis = (analyser ?? new SchemaAnalyser(schemaPath)).analyse();
    sessions = analysis.sessions;
    tokenKinds = analysis.tokens;
    watched = analysis.files;
  } catch (error) {
    errors.push(`satchel: ${error instanceof AnalysisError ? error.message : String(error)}`);
  }
  const types = new Map(sessions.map((session) => [session.name, session]));
  const tokens = new Map(tokenKinds.map((token) => [token.name, token]));
  const locations = new SchemaLocations(schemaPath, types, tokens);
  for (const session of sessions) {
    if (!session.hasSchema) errors.push(missingSchema(session.name, locations));
  }
  const loaded = await loading;
  if (!(loaded instanceof Error)) return { loaded, types, tokens, locations, errors, watched };
  const failure = loadFailure(loaded, types, tokens, locations);
  if (failure) errors.push(failure);
  return { loaded: undefined, types, tokens, locations, errors, watched };
}

/** The message for a session declared without a `schema`. */
export function missingSchema(name: string, locations: SchemaLocations): string {
  return `satchel: ${locations.session(name)}: session "${name}" has no schema; add schema: z.object({ ... }) describing its data.`;
}

/**
 * The message for a schema that did not load, at the session the runtime complained about when it
 * names one; undefined when that is a session whose missing schema is reported already.
 */
function loadFailure(
  error: Error,
  types: ReadonlyMap<string, AnalysedSession>,
  tokens: ReadonlyMap<string, AnalysedToken>,
  locations: SchemaLocations,
): string | undefined {
  const reason = error instanceof SchemaLoadError ? error.reason : error.message;
  const named = reason.match(/sessions? "([^"]+)"(?: and "([^"]+)")?/);
  const session = named?.[2] ?? named?.[1];
  if (session !== undefined && types.get(session)?.hasSchema === false) return undefined;
  const at = error instanceof SchemaLoadError ? error.location : undefined;
  const token = reason.match(/option "tokens\.([^".]+)/)?.[1];
  // `unknown key "expiry.absolut"`, `key "cookie.sameSite": ...`: at the key's own line.
  const key = reason.match(/\bkey "([^"]+)"/)?.[1];
  const where =
    session && types.has(session)
      ? key === undefined
        ? locations.session(session)
        : locations.key(session, key)
      : token && tokens.has(token)
        ? locations.token(token)
        : at
          ? `${locations.at(at.file, at.line)}${at.column ? `:${at.column}` : ""}`
          : locations.schemaFile();
  return `satchel: ${where}: ${reason.replace(/^satchel: /, "")}`;
}
