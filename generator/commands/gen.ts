/**
 * One generator run, in memory: read the schema (execute it and print its types), check what can be
 * checked at build time (sessions and token kinds), compare every session with the shipped snapshot
 * (see evolution/baseline.ts), then lay out each session's wire and render the generated module and
 * the new snapshot. Writes nothing: callers (`gen`, `--check`, `--watch`, `init`) decide what to do
 * with the result.
 */
import path from "node:path";
import { checksHash, constraintsOf, layoutHash, type Plan, planOf, positionalKey } from "satchel/internal";
import { type EmitSession, emitModule, type PreviousVersionType } from "../emit/emit.ts";
import type { EmitToken } from "../emit/emit-tokens.ts";
import { type BaselineCache, type Baselines, readBaselines } from "../evolution/baseline.ts";
import { evolveFromShipped } from "../evolution/evolve.ts";
import { schemaMembers, schemaType } from "../evolution/json-schema-to-ts.ts";
import {
  renderSnapshot,
  type SessionSnapshot,
  type Snapshot,
  snapshotPathFor,
} from "../evolution/snapshot.ts";
import type { SchemaAnalyser } from "../schema/analyse.ts";
import { sessionDocs } from "../schema/docs.ts";
import type { LoadedSchema } from "../schema/load-schema.ts";
import type { SchemaLocations } from "../schema/locations.ts";
import { readSchema } from "../schema/read-schema.ts";
import { type CheckedSession, checkSessions } from "./build-checks.ts";
import { regenerateCommand } from "./regenerate-command.ts";
import { checkTokens } from "./token-checks.ts";

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
interface GenResult {
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

/**
 * Runs the generator once, in memory. Errors stop the run after the step that found them; refused
 * breaking changes alone still render the module (`GenResult.module`), not the snapshot.
 */
export async function generate(options: GenOptions): Promise<GenResult> {
  const schemaPath = path.resolve(options.schemaPath);
  const outPath = path.resolve(options.outPath ?? defaultOutPath(schemaPath));
  const snapshotPath = snapshotPathFor(outPath);
  // Ask git for the shipped snapshot first: it answers in its own process while the schema is read.
  const shipped = readBaselines(snapshotPath, options.baselineCache).catch((error: unknown) =>
    error instanceof Error ? error : new Error(String(error)),
  );
  const schema = await readSchema(schemaPath, options.analyser);
  const result: GenResult = {
    files: [],
    errors: schema.errors,
    notes: [],
    watched: schema.watched,
    sessionCount: 0,
  };
  if (!schema.loaded || result.errors.length > 0) return result;
  const baseline = await shipped;
  if (baseline instanceof Error) return { ...result, errors: [baseline.message] };
  if (baseline.warning) result.notes.push(baseline.warning);
  result.sessionCount = schema.loaded.sessions.length;

  const { errors, checked } = await checkSessions(schema.loaded.sessions, schema);
  const tokens = checkTokens(schema.loaded.tokens, schema.loaded.sessions, schema);
  errors.push(...tokens.errors);
  const evolution = evolveSessions(checked, baseline, options.acceptBreaking === true, schema.locations);
  result.notes.push(...evolution.notes, ...removedSessions(baseline, schema.loaded));
  // With errors no module is written; a schema with unserializable parts may not even lay out.
  if (errors.length > 0) return { ...result, errors: [...errors, ...evolution.refusals] };
  const { sessions, snapshot } = layOut(evolution.sessions, baseline);
  const module: OutputFile = {
    path: outPath,
    content: renderModule(sessions, tokens.checked, schemaPath, outPath),
  };
  if (evolution.refusals.length > 0) return { ...result, errors: evolution.refusals, module };
  result.files.push(module, { path: snapshotPath, content: renderSnapshot(snapshot) });
  return result;
}

/** A checked session with the snapshot entry it is to have. */
interface EvolvedSession extends CheckedSession {
  next: SessionSnapshot;
}

/**
 * Compares every checked session with the shipped snapshot (see evolution/evolve.ts). A refusal is a
 * message at the field or session it concerns; notes say what was accepted.
 */
function evolveSessions(
  checked: CheckedSession[],
  baseline: Baselines,
  acceptBreaking: boolean,
  locations: SchemaLocations,
): { sessions: EvolvedSession[]; refusals: string[]; notes: string[] } {
  const refusals: string[] = [];
  const notes: string[] = [];
  const sessions = checked.map((session) => {
    const { name, storage, cookieName, version, migrations } = session.loaded;
    const evolution = evolveFromShipped(
      baseline.shipped?.sessions[name],
      baseline.working?.sessions[name],
      {
        name,
        storage,
        cookie: cookieName,
        version,
        migrations,
        output: session.output,
        input: session.input,
      },
      acceptBreaking,
    );
    for (const refusal of evolution.errors) {
      const at = refusal.field ? locations.field(name, refusal.field) : locations.session(name);
      refusals.push(`satchel: ${at}: session "${name}" ${refusal.message}`);
    }
    notes.push(...evolution.notes);
    return { ...session, next: evolution.next };
  });
  return { sessions, refusals, notes };
}

/** Notes for the sessions the shipped snapshot has and the schema no longer declares. */
function removedSessions(baseline: Baselines, schema: LoadedSchema): string[] {
  const declared = new Set(schema.sessions.map((session) => session.name));
  return Object.keys(baseline.shipped?.sessions ?? {})
    .filter((name) => !declared.has(name))
    .map((name) => `session "${name}" was removed; its cookies and records are ignored from now on.`);
}

/**
 * Lays out each session's wire (its plan) and gathers what the module and the snapshot are rendered
 * from. Layouts shipped stay readable: the snapshot keeps the committed ones plus the one this schema
 * writes, under every hash a token may carry for it (its layout hash, format 3, and its positional
 * key of layout and checks, format 4), and the session's codec carries the others as its history.
 */
function layOut(
  evolved: EvolvedSession[],
  baseline: Baselines,
): { sessions: EmitSession[]; snapshot: Snapshot } {
  const snapshot: Snapshot = { sessions: {} };
  const sessions = evolved.map(({ loaded, schema, types, next }): EmitSession => {
    const plan = planOf(schema);
    const layout = layoutHash(plan);
    const checks = checksHash(schema);
    const key = positionalKey(layout, checks);
    const layouts: Record<string, Plan> = {
      ...baseline.shipped?.sessions[loaded.name]?.layouts,
      [layout]: plan,
      [key]: plan,
    };
    snapshot.sessions[loaded.name] = { ...next, layouts };
    const { [layout]: _current, [key]: _currentKey, ...history } = layouts;
    return {
      types,
      storage: loaded.storage,
      version: loaded.version,
      messages: loaded.messages,
      absoluteLimit: loaded.absoluteLimit,
      docs: sessionDocs(loaded),
      codec: { plan, layout, checks, key, constraints: constraintsOf(schema), history },
      previous: previousVersions(next),
    };
  });
  return { sessions, snapshot };
}

/** The data types of a session's earlier versions, printed from the snapshot to type its migrations. */
function previousVersions(next: SessionSnapshot): PreviousVersionType[] {
  return Object.entries(next.previous ?? {})
    .map(([version, schema]) => ({
      version: Number(version),
      members: schemaMembers(schema) ?? schemaType(schema),
    }))
    .sort((a, b) => a.version - b.version);
}

/** The module's text; its header names the schema, imported relative to the module, and how to regenerate. */
function renderModule(
  sessions: EmitSession[],
  tokens: readonly EmitToken[],
  schemaPath: string,
  outPath: string,
): string {
  const schemaImport = path
    .relative(path.dirname(outPath), schemaPath)
    .split(path.sep)
    .join("/")
    .replace(/\.[cm]?tsx?$/, "");
  return emitModule(sessions, tokens, {
    schemaFile: path.basename(schemaPath),
    schemaImport: schemaImport.startsWith(".") ? schemaImport : `./${schemaImport}`,
    regenerate: regenerateCommand(schemaPath),
  });
}
