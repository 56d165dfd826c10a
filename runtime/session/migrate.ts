/**
 * Versioned data → migrations → zod. Old cookies and records outlive deploys; this turns them into data
 * of the running version, or says precisely why it cannot, so the caller can start a fresh session.
 * @internal not part of the public API; import from "satchel" instead.
 */
import type { ResolvedSession } from "../define.ts";
import type { InvalidReason } from "../types.ts";

/** The outcome of reading stored data of some version. */
type MigrateResult =
  | { ok: true; data: Record<string, unknown>; migrated: boolean }
  | {
      ok: false;
      reason: Extract<InvalidReason, "migration-failed" | "schema-mismatch" | "newer-version">;
      detail: string;
    };

/** Checks data against the session schema; `ok: false` carries a readable reason (never the data). */
type ReadValidator = (
  data: unknown,
) => Promise<{ ok: true; data: Record<string, unknown> } | { ok: false; detail: string }>;

/**
 * Brings `data` written at `version` up to the session's version, then validates it.
 * Never throws: a migration that throws or returns data the schema rejects is a failed result.
 */
export async function migrateData(
  session: ResolvedSession,
  version: unknown,
  data: unknown,
  validate: ReadValidator,
): Promise<MigrateResult> {
  if (typeof version !== "number" || !Number.isInteger(version) || version < 1) {
    return {
      ok: false,
      reason: "schema-mismatch",
      detail: `stored version ${String(version)} is not a version`,
    };
  }
  if (version > session.version) {
    return {
      ok: false,
      reason: "newer-version",
      detail: `stored data is version ${version}, this code knows up to ${session.version}`,
    };
  }
  let current = data;
  for (let to = version + 1; to <= session.version; to++) {
    const migration = session.migrations[to] as ((previous: unknown) => unknown) | undefined;
    if (migration === undefined) {
      return { ok: false, reason: "migration-failed", detail: `no migration to version ${to}` };
    }
    try {
      current = await migration(current);
    } catch (error) {
      return {
        ok: false,
        reason: "migration-failed",
        detail: `migration to version ${to} threw: ${error instanceof Error ? error.message : String(error)}`,
      };
    }
  }
  const checked = await validate(current);
  if (!checked.ok) {
    const migrated = version < session.version;
    return {
      ok: false,
      reason: migrated ? "migration-failed" : "schema-mismatch",
      detail: migrated ? `migrated data does not match the schema: ${checked.detail}` : checked.detail,
    };
  }
  return { ok: true, data: checked.data, migrated: version < session.version };
}
