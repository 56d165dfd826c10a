/**
 * The Postgres store's table, created on first use:
 *
 *   key text PRIMARY KEY, value text, version bigint, expires_at bigint (epoch ms), user_id text
 *
 * with indexes on expires_at (for `sweep()`) and user_id (for "log out everywhere").
 */
import { SatchelConfigError } from "../../errors.ts";
import { errorCode } from "../redact.ts";
import type { Query } from "./connection.ts";

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,47}$/;

/** A checked table name: quoted for SQL, and its last part, which names the indexes and the NOTIFY channel. */
export interface TableName {
  quoted: string;
  indexPrefix: string;
}

/** Quote a (possibly schema-qualified) table name after checking it is a plain identifier. */
export function tableName(table: string): TableName {
  const parts = table.split(".");
  if (parts.length > 2 || !parts.every((part) => IDENTIFIER.test(part))) {
    throw new SatchelConfigError(
      `satchel: the postgres store's table "${table}" is not a plain identifier; use letters, digits and _ (optionally schema.table).`,
    );
  }
  return {
    quoted: parts.map((part) => `"${part}"`).join("."),
    indexPrefix: parts[parts.length - 1] ?? table,
  };
}

/**
 * Errors two processes creating the same table at once can get; the table exists afterwards.
 * Losing a concurrent `CREATE … IF NOT EXISTS` raises unique_violation on the catalog, duplicate_table,
 * or duplicate_object for the table's row type (seen in CI: three stores at once).
 */
const CREATE_RACE = new Set(["23505", "42P07", "42710"]);

async function createSchema(query: Query, { quoted: t, indexPrefix }: TableName): Promise<void> {
  const statements = [
    `CREATE TABLE IF NOT EXISTS ${t} (
      key text PRIMARY KEY,
      value text NOT NULL,
      version bigint NOT NULL,
      expires_at bigint NOT NULL,
      user_id text
    )`,
    `CREATE INDEX IF NOT EXISTS "${indexPrefix}_expires_at_idx" ON ${t} (expires_at)`,
    `CREATE INDEX IF NOT EXISTS "${indexPrefix}_user_id_idx" ON ${t} (user_id) WHERE user_id IS NOT NULL`,
  ];
  for (const sql of statements) {
    try {
      await query(sql);
    } catch (error) {
      // Another process created it between our IF NOT EXISTS check and the insert into the catalog.
      if (!CREATE_RACE.has(errorCode(error) ?? "")) throw error;
    }
  }
}

/** Creates the table once; a failure (server down) is retried by the next call. */
export function schemaOnce(query: Query, table: TableName): () => Promise<void> {
  let ready: Promise<void> | null = null;
  return () => {
    ready ??= createSchema(query, table).catch((error: unknown) => {
      ready = null;
      throw error;
    });
    return ready;
  };
}
