/**
 * One generator run: execute and analyse the schema, check what can be checked at build time, compare
 * with the shipped snapshot (see baseline.ts), and render the generated module and the new snapshot.
 * Writes nothing: callers (`gen`, `--check`, `--watch`) decide what to do with the result.
 */
import path from "node:path";
import { layoutHash, type Plan, planOf, schemaFingerprint } from "satchel/internal";
import { type EmitSession, emitModule, pascalName } from "../emit/emit.ts";
import { type BaselineCache, readBaselines } from "../evolution/baseline.ts";
import { evolveFromShipped } from "../evolution/evolve.ts";
import { schemaMembers, schemaType } from "../evolution/json-schema-to-ts.ts";
import { renderSnapshot, type Snapshot, snapshotPathFor } from "../evolution/snapshot.ts";
import { type AnalysedSession, AnalysisError, SchemaAnalyser } from "../schema/analyse.ts";
import { smallestCookie } from "../schema/cookie-size.ts";
import { sessionDocs } from "../schema/docs.ts";
import { type JsonSchema, toJsonSchema } from "../schema/json-schema.ts";
import { type LoadedSession, loadSchema, SchemaLoadError } from "../schema/load-schema.ts";
import { findUnserializable } from "../schema/serializable.ts";
import { regenerateCommand } from "./regenerate-command.ts";

/** Where to read and write. */
export interface GenOptions {
  /** The schema file. */
  schemaPath: string;
  /** The generated module. Default: `generated/sessions.ts` next to the schema. */
  outPath?: string;
  /** Accept breaking schema changes without migrations: old sessions of those sessions are reset. */
  acceptBreaking?: boolean;
  /** Reuse across runs (watch mode) to keep the compiler warm. */
  analyser?: SchemaAnalyser;
  /** Reuse across runs (watch mode): git is asked for the committed snapshot only when HEAD moved. */
  baselineCache?: BaselineCache;
}

/** One file the run wants on disk. */
export interface OutputFile {
  path: string;
  content: string;
}

/** What a run produced. Files are only meaningful when `errors` is empty. */
export interface GenResult {
  files: OutputFile[];
  /** Each a complete `satchel: file:line: ...` message. */
  errors: string[];
  /**
   * Set when every error is a refused breaking change: the module as the schema now is (the snapshot
   * keeps the shipped shape). Watch mode writes it so editors never work against stale types.
   */
  module?: OutputFile;
  /** Information worth printing (accepted breaking changes, version bumps). */
  notes: string[];
  /** Local files the schema depends on, for watch mode. */
  watched: string[];
  sessionCount: number;
}

/** The default output path for a schema file. */
export function defaultOutPath(schemaPath: string): string {
  return path.join(path.dirname(path.resolve(schemaPath)), "generated", "sessions.ts");
}

/** Runs the generator once, in memory. */
export async function generate(options: GenOptions): Promise<GenResult> {
  const schemaPath = path.resolve(options.schemaPath);
  const outPath = path.resolve(options.outPath ?? defaultOutPath(schemaPath));
  const snapshotPath = snapshotPathFor(outPath);
  const root = path.dirname(schemaPath);
  const where = (file: string, line: number) =>
    `${path.relative(process.cwd(), path.join(root, file)) || file}:${line}`;
  const result: GenResult = { files: [], errors: [], notes: [], watched: [schemaPath], sessionCount: 0 };

  // Start executing the schema and asking git first: both run off the main thread while the checker runs.
  const baselines = readBaselines(snapshotPath, options.baselineCache).then(
    (read) => ({ read, error: undefined }),
    (error: unknown) => ({
      read: undefined,
      error: error instanceof Error ? error : new Error(String(error)),
    }),
  );
  const loading = loadSchema(schemaPath).then(
    (loaded) => ({ loaded, error: undefined }),
    (error: unknown) => ({
      loaded: undefined,
      error: error instanceof Error ? error : new Error(String(error)),
    }),
  );
  const analyser = options.analyser ?? new SchemaAnalyser(schemaPath);
  let sessions: AnalysedSession[] = [];
  try {
    const analysis = analyser.analyse();
    sessions = analysis.sessions;
    result.watched = analysis.files;
  } catch (error) {
    const message = error instanceof AnalysisError ? error.message : String(error);
    result.errors.push(`satchel: ${message}`);
  }
  const { loaded, error } = await loading;
  const byName = new Map(sessions.map((s) => [s.name, s]));
  const sessionAt = (name: string) => {
    const session = byName.get(name);
    return session ? where(session.at.file, session.at.line) : path.relative(process.cwd(), schemaPath);
  };

  for (const session of sessions) {
    if (!session.hasSchema) {
      result.errors.push(
        `satchel: ${sessionAt(session.name)}: session "${session.name}" has no schema; add schema: z.object({ ... }) describing its data.`,
      );
    }
  }
  if (error || !loaded) {
    // Point at the session the runtime complained about when the message names one.
    const reason =
      error instanceof SchemaLoadError ? error.reason : (error?.message ?? "the schema did not load");
    const named = reason.match(/sessions? "([^"]+)"(?: and "([^"]+)")?/);
    const session = named?.[2] ?? named?.[1];
    const alreadyReported = session !== undefined && byName.get(session)?.hasSchema === false;
    if (!alreadyReported) {
      const location =
        session && byName.has(session)
          ? sessionAt(session)
          : error instanceof SchemaLoadError && error.location
            ? `${where(error.location.file, error.location.line)}${error.location.column ? `:${error.location.column}` : ""}`
            : path.relative(process.cwd(), schemaPath);
      result.errors.push(`satchel: ${location}: ${reason.replace(/^satchel: /, "")}`);
    }
    return result;
  }
  if (result.errors.length > 0) return result;

  const { read: baseline, error: baselineError } = await baselines;
  if (!baseline) {
    result.errors.push(baselineError?.message ?? "satchel: the snapshot could not be read.");
    return result;
  }
  if (baseline.warning) result.notes.push(baseline.warning);
  const refusals: string[] = [];
  const snapshot: Snapshot = { sessions: {} };
  const emitted: EmitSession[] = [];
  const cookieOwners = new Map<string, string>();
  const typeNames = new Map<string, string>();
  for (const session of loaded.sessions) {
    const types = byName.get(session.name);
    if (!types || !session.schema) {
      result.errors.push(
        `satchel: ${sessionAt(session.name)}: session "${session.name}" has no schema; add schema: z.object({ ... }) describing its data.`,
      );
      continue;
    }
    const fieldAt = (field: string) => {
      const line = types.fieldLines[field.split(/[.[<]/)[0] ?? ""];
      return line ? where(types.at.file, line) : sessionAt(session.name);
    };
    checkSession(session, fieldAt, sessionAt(session.name), result.errors);
    const owner = cookieOwners.get(session.cookieName);
    if (owner) {
      result.errors.push(
        `satchel: ${sessionAt(session.name)}: sessions "${owner}" and "${session.name}" both use the cookie name "${session.cookieName}"; give one of them another cookie.name.`,
      );
    }
    cookieOwners.set(session.cookieName, session.name);
    const typeName = pascalName(session.name);
    const clash = typeNames.get(typeName);
    if (clash) {
      result.errors.push(
        `satchel: ${sessionAt(session.name)}: sessions "${clash}" and "${session.name}" would both generate ${typeName}Data; rename one of them.`,
      );
    }
    typeNames.set(typeName, session.name);

    let output: JsonSchema;
    let input: JsonSchema;
    try {
      output = toJsonSchema(session.schema, "output");
      input = toJsonSchema(session.schema, "input");
    } catch (cause) {
      result.errors.push(
        `satchel: ${sessionAt(session.name)}: session "${session.name}": its schema cannot be described as JSON Schema (${(cause as Error).message}); use plain zod types.`,
      );
      continue;
    }
    if (session.storage === "cookie")
      await checkCookieSize(session, output, sessionAt(session.name), result.errors);
    const evolution = evolveFromShipped(
      baseline.shipped?.sessions[session.name],
      baseline.working?.sessions[session.name],
      {
        name: session.name,
        storage: session.storage,
        cookie: session.cookieName,
        version: session.version,
        migrations: session.migrations,
        output,
        input,
      },
      options.acceptBreaking === true,
    );
    for (const refusal of evolution.errors) {
      refusals.push(
        `satchel: ${refusal.field ? fieldAt(refusal.field) : sessionAt(session.name)}: session "${session.name}" ${refusal.message}`,
      );
    }
    result.notes.push(...evolution.notes);
    // With errors no module is written; a schema with unserializable parts may not even lay out.
    if (result.errors.length > 0) continue;
    // Layouts shipped stay readable: the committed snapshot's, plus the one this schema writes.
    const plan = planOf(session.schema);
    const layout = layoutHash(plan);
    const layouts: Record<string, Plan> = {
      ...baseline.shipped?.sessions[session.name]?.layouts,
      [layout]: plan,
    };
    snapshot.sessions[session.name] = { ...evolution.next, layouts };
    const { [layout]: _current, ...history } = layouts;
    emitted.push({
      types,
      storage: session.storage,
      version: session.version,
      messages: session.messages,
      docs: sessionDocs(session),
      codec: { plan, layout, checks: schemaFingerprint(session.schema), history },
      previous: Object.entries(evolution.next.previous ?? {})
        .map(([version, schema]) => ({
          version: Number(version),
          members: schemaMembers(schema) ?? schemaType(schema),
        }))
        .sort((a, b) => a.version - b.version),
    });
  }
  for (const name of Object.keys(baseline.shipped?.sessions ?? {})) {
    if (!(name in snapshot.sessions))
      result.notes.push(`session "${name}" was removed; its cookies and records are ignored from now on.`);
  }
  result.sessionCount = loaded.sessions.length;
  if (result.errors.length > 0) {
    result.errors.push(...refusals);
    return result;
  }

  const schemaImport = path
    .relative(path.dirname(outPath), schemaPath)
    .split(path.sep)
    .join("/")
    .replace(/\.[cm]?tsx?$/, "");
  const module = emitModule(emitted, {
    schemaFile: path.basename(schemaPath),
    schemaImport: schemaImport.startsWith(".") ? schemaImport : `./${schemaImport}`,
    regenerate: regenerateCommand(schemaPath),
  });
  if (refusals.length > 0) {
    result.errors.push(...refusals);
    result.module = { path: outPath, content: module };
    return result;
  }
  result.files.push(
    { path: outPath, content: module },
    { path: snapshotPath, content: renderSnapshot(snapshot) },
  );
  return result;
}

/** Fields (and flash payloads) that cannot be stored. */
function checkSession(
  session: LoadedSession,
  fieldAt: (field: string) => string,
  sessionAt: string,
  errors: string[],
): void {
  for (const problem of findUnserializable(session.schema)) {
    errors.push(
      `satchel: ${fieldAt(problem.path)}: session "${session.name}" field "${problem.path}" is a ${problem.kind}: ${problem.why}. ` +
        `Store plain data (strings, numbers, booleans, arrays, objects, Date, Map, Set, BigInt) instead.`,
    );
  }
  for (const [channel, schema] of Object.entries(session.flash)) {
    for (const problem of findUnserializable(schema)) {
      const field = problem.path ? `${channel}.${problem.path}` : channel;
      errors.push(
        `satchel: ${sessionAt}: session "${session.name}" flash channel "${field}" is a ${problem.kind}: ${problem.why}. Flash plain data instead.`,
      );
    }
  }
}

async function checkCookieSize(
  session: LoadedSession,
  output: JsonSchema,
  at: string,
  errors: string[],
): Promise<void> {
  if (!session.schema) return;
  const size = await smallestCookie(session.schema, output, {
    session: session.name,
    version: session.version,
    cookieName: session.cookieName,
    maxChunks: session.maxChunks,
  });
  if (size && !size.fits) {
    errors.push(
      `satchel: ${at}: session "${session.name}" can never fit in its cookie: its smallest valid data seals to about ` +
        `${size.bytes} bytes of Set-Cookie, over the ${size.cap}-byte cap (${session.maxChunks} × 4096). ` +
        `Use storage: "store", raise cookie.maxChunks, or shrink the schema's minimum sizes.`,
    );
  }
}
