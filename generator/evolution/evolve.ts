/**
 * Decides, per session, whether the edited schema may replace the snapshot: unchanged or compatible
 * changes pass; breaking ones need a version bump with a migration for every step, or
 * `--accept-breaking` (old sessions are then reset on read).
 */

import type { JsonSchema } from "../schema/json-schema.ts";
import { type BreakingChange, findBreakingChanges } from "./compare.ts";
import type { SessionSnapshot } from "./snapshot.ts";

/** The outcome for one session. */
interface Evolution {
  /** The snapshot entry to write (the old one when refused). */
  next: SessionSnapshot;
  /** Refusals, each a full sentence with the fix; empty when accepted. */
  errors: { field: string; message: string }[];
  /** Things the user should know (accepted breaking change, version bump). */
  notes: string[];
}

/** Inputs describing the edited session. */
export interface EditedSession {
  name: string;
  storage: "cookie" | "store";
  /** The cookie name as sent. */
  cookie: string;
  version: number;
  /** Target versions that have a migration. */
  migrations: number[];
  output: JsonSchema;
  input: JsonSchema;
}

const WHY: Record<BreakingChange["kind"], string> = {
  "new-required":
    "sessions saved before this change have no value for it, so they fail validation and are reset",
  "now-required": "sessions saved without it fail validation and are reset",
  removed: "the value old sessions hold there is dropped without a trace",
  renamed: "old sessions keep the value under the old name, so it is lost",
  narrowed: "values old sessions hold may no longer pass validation, so those sessions are reset",
  "enum-member-removed": "old sessions holding that value fail validation and are reset",
};

function fix(change: BreakingChange, oldVersion: number): string {
  const nextVersion = oldVersion + 1;
  const migrate = `bump version to ${nextVersion} and add migrations: { ${nextVersion}: (old) => ... }`;
  switch (change.kind) {
    case "new-required":
    case "now-required":
      return `add .default(...) (or .optional()) to "${change.field}", or ${migrate} that fills it in`;
    case "renamed":
      return `${migrate} that moves the value to its new name`;
    case "removed":
      return `${migrate} that drops or moves it deliberately, or run gen --accept-breaking to drop it`;
    case "enum-member-removed":
      return `${migrate} that maps the removed value to an allowed one`;
    default:
      return `widen "${change.field}" again, or ${migrate} that converts old values`;
  }
}

function missingMigrations(from: number, to: number, migrations: number[]): number[] {
  const missing: number[] = [];
  for (let version = from + 1; version <= to; version++)
    if (!migrations.includes(version)) missing.push(version);
  return missing;
}

/** Changes of where sessions live: no migration can help, browsers hold the old cookie. */
function moves(previous: SessionSnapshot, session: EditedSession): string[] {
  const found: string[] = [];
  if (previous.cookie !== undefined && previous.cookie !== session.cookie) {
    found.push(
      `cookie name changed from "${previous.cookie}" to "${session.cookie}": browsers send the session under the old name, ` +
        `so every existing "${session.name}" session is lost (users are logged out)`,
    );
  }
  if (previous.storage !== undefined && previous.storage !== session.storage) {
    found.push(
      `storage changed from "${previous.storage}" to "${session.storage}": sessions saved the old way cannot be read, ` +
        `so every existing "${session.name}" session starts fresh`,
    );
  }
  return found;
}

/**
 * Judges an edited session against what was shipped (`shipped`: the committed snapshot entry), not
 * against the last save: uncommitted edits made and undone are free. `working` (the snapshot on disk)
 * only matters in two ways: a breaking change accepted with `--accept-breaking` since the last commit
 * stays accepted, and the data types of uncommitted intermediate versions stay in the history (they
 * type migrations written against them).
 */
export function evolveFromShipped(
  shipped: SessionSnapshot | undefined,
  working: SessionSnapshot | undefined,
  session: EditedSession,
  acceptBreaking: boolean,
): Evolution {
  const judged = evolveSession(shipped, session, acceptBreaking);
  if (!shipped || !working) return judged;
  if (judged.errors.length === 0) return keepUncommittedVersions(judged, shipped, working, session.version);
  // Only an acceptance that did not hang on a version bump (whose migrations may be gone since).
  if (working.version !== shipped.version || session.version !== shipped.version) return judged;
  const kept = evolveSession(working, session, false);
  if (kept.errors.length > 0) return judged;
  const fields = [...new Set(judged.errors.map((e) => (e.field ? `"${e.field}"` : "where it is kept")))];
  return {
    ...kept,
    notes: [
      ...kept.notes,
      `session "${session.name}": breaks the committed snapshot (${fields.join(", ")}), as accepted earlier with ` +
        `--accept-breaking; old sessions of "${session.name}" will be reset once this ships.`,
    ],
  };
}

/** Adds to a version bump's history the schemas of versions between the shipped one and the new one. */
function keepUncommittedVersions(
  evolution: Evolution,
  shipped: SessionSnapshot,
  working: SessionSnapshot,
  version: number,
): Evolution {
  const between = (v: number) => v > shipped.version && v < version;
  const extra: Record<string, JsonSchema> = {};
  for (const [v, schema] of Object.entries(working.previous ?? {})) if (between(Number(v))) extra[v] = schema;
  if (between(working.version)) extra[String(working.version)] = working.schema;
  if (Object.keys(extra).length === 0) return evolution;
  // Integer-like keys enumerate in numeric order: the snapshot stays sorted by version.
  return { ...evolution, next: { ...evolution.next, previous: { ...evolution.next.previous, ...extra } } };
}

/**
 * Compares one edited session with its snapshot entry (undefined: a new session, accepted as is):
 * its data shape, then where it lives.
 */
export function evolveSession(
  previous: SessionSnapshot | undefined,
  session: EditedSession,
  acceptBreaking: boolean,
): Evolution {
  const evolution = evolveData(previous, session, acceptBreaking);
  const moved = previous ? moves(previous, session) : [];
  if (moved.length === 0 || !previous) return evolution;
  if (acceptBreaking) {
    const note = `session "${session.name}": ${moved.join("; ")}; accepted, old sessions of "${session.name}" will be reset.`;
    return { ...evolution, notes: [...evolution.notes, note] };
  }
  const fix = `Fix: keep the previous ${moved.length > 1 ? "cookie name and storage" : previous.cookie !== session.cookie ? `cookie.name ("${previous.cookie}")` : "storage"}, or run gen --accept-breaking to do it deliberately.`;
  return {
    next: previous,
    errors: [...evolution.errors, ...moved.map((message) => ({ field: "", message: `${message}. ${fix}` }))],
    notes: [],
  };
}

function evolveData(
  previous: SessionSnapshot | undefined,
  session: EditedSession,
  acceptBreaking: boolean,
): Evolution {
  const fresh: SessionSnapshot = {
    version: session.version,
    storage: session.storage,
    cookie: session.cookie,
    schema: session.output,
  };
  if (!previous) return { next: fresh, errors: [], notes: [] };
  const keep = { next: previous, notes: [] };
  if (session.version < previous.version) {
    return {
      ...keep,
      errors: [
        {
          field: "",
          message:
            `version went down from ${previous.version} to ${session.version}; sessions saved by version ` +
            `${previous.version} would be treated as coming from a newer deploy. Set version back to ${previous.version} or higher.`,
        },
      ],
    };
  }
  const changes = findBreakingChanges(previous.schema, session.input);
  const history = { ...(previous.previous ?? {}) };
  if (session.version > previous.version) {
    history[String(previous.version)] = previous.schema;
    const missing = missingMigrations(previous.version, session.version, session.migrations);
    if (changes.length > 0 && missing.length > 0 && !acceptBreaking) {
      return {
        ...keep,
        errors: changes.map((change) => ({
          field: change.field,
          message:
            `field "${change.field}" ${change.detail}: ${WHY[change.kind]}. version was bumped to ${session.version} ` +
            `but migrations[${missing.join("], migrations[")}] ${missing.length === 1 ? "is" : "are"} missing; ` +
            `add ${missing.length === 1 ? "it" : "them"} to convert version ${previous.version} data.`,
        })),
      };
    }
    const next = { ...fresh, previous: history };
    const note =
      missing.length > 0
        ? `session "${session.name}": version ${previous.version} → ${session.version} without migrations[${missing.join(", ")}]; old sessions of "${session.name}" will be reset.`
        : `session "${session.name}": version ${previous.version} → ${session.version}; old sessions are migrated on read.`;
    return { next, errors: [], notes: [note] };
  }
  if (changes.length === 0) {
    return {
      next: previous.previous ? { ...fresh, previous: previous.previous } : fresh,
      errors: [],
      notes: [],
    };
  }
  if (acceptBreaking) {
    const next = previous.previous ? { ...fresh, previous: previous.previous } : fresh;
    return {
      next,
      errors: [],
      notes: [
        `session "${session.name}": breaking change accepted (${changes.map((c) => `"${c.field}" ${c.detail}`).join("; ")}); ` +
          `old sessions of "${session.name}" will be reset.`,
      ],
    };
  }
  return {
    ...keep,
    errors: changes.map((change) => ({
      field: change.field,
      message: `field "${change.field}" ${change.detail}: ${WHY[change.kind]}. Fix: ${fix(change, previous.version)}.`,
    })),
  };
}
