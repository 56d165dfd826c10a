/**
 * The Postgres store's records: one row per key, read and written by single statements. compareAndSet
 * is `UPDATE ... WHERE version = $n` or `INSERT ... ON CONFLICT DO UPDATE ... WHERE <the old row
 * expired>`, so Postgres's row locks make it atomic; a failed statement changes nothing. Expired rows
 * are never returned (every read filters on expires_at) and are deleted by `sweep`.
 */
import type pg from "pg";
import { SatchelError } from "../../errors.ts";
import type { StoredRecord, WriteOptions } from "../types.ts";
import type { Query } from "./connection.ts";

/** The store's operations as statements, without the deadline and error mapping the store adds. */
export interface RecordStatements {
  get(key: string): Promise<StoredRecord | null>;
  set(key: string, value: string, write: WriteOptions): Promise<number>;
  compareAndSet(
    key: string,
    value: string,
    expected: number | null,
    write: WriteOptions,
  ): Promise<number | null>;
  /** Deletes and notifies `channel` with the key in one statement: the notice goes out exactly when the delete commits. */
  delete(key: string, channel: string): Promise<void>;
  touch(key: string, expiresAt: number): Promise<void>;
  keysForUser(userId: string): Promise<string[]>;
  /** Deletes expired rows; returns how many. */
  sweep(): Promise<number>;
}

/** Postgres text cannot hold NUL: refuse it as bad data instead of failing as an outage. */
function checkUserId(userId: string | undefined): string | null {
  if (userId?.includes("\u0000")) {
    throw new SatchelError(
      "satchel: the postgres store cannot store a user id containing a NUL character (\\u0000); validate the userField value.",
    );
  }
  return userId ?? null;
}

function firstVersion(result: pg.QueryResult): number | null {
  const row = result.rows[0] as { version: string | number } | undefined;
  return row === undefined ? null : Number(row.version);
}

/** The statements over the quoted table `t`, run by `query` (once the table exists); `now` decides expiry. */
export function recordStatements(t: string, query: Query, now: () => number): RecordStatements {
  const upsert = `INSERT INTO ${t} AS r (key, value, version, expires_at, user_id) VALUES ($1, $2, 1, $3, $4)
    ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, version = r.version + 1,
      expires_at = EXCLUDED.expires_at, user_id = EXCLUDED.user_id`;
  return {
    async get(key) {
      const result = await query(
        `SELECT value, version, expires_at FROM ${t} WHERE key = $1 AND expires_at > $2`,
        [key, now()],
      );
      const row = result.rows[0] as { value: string; version: string; expires_at: string } | undefined;
      if (!row) return null;
      return { value: row.value, version: Number(row.version), expiresAt: Number(row.expires_at) };
    },
    async set(key, value, write) {
      const result = await query(`${upsert} RETURNING version`, [
        key,
        value,
        write.expiresAt,
        checkUserId(write.userId),
      ]);
      const version = firstVersion(result);
      if (version === null) throw new Error("INSERT ... RETURNING returned no row");
      return version;
    },
    async compareAndSet(key, value, expected, write) {
      if (expected === null) {
        // Insert, or take over a row that exists but has expired (it is not "live").
        const result = await query(`${upsert} WHERE r.expires_at <= $5 RETURNING version`, [
          key,
          value,
          write.expiresAt,
          checkUserId(write.userId),
          now(),
        ]);
        return firstVersion(result);
      }
      const result = await query(
        `UPDATE ${t} SET value = $2, version = version + 1, expires_at = $3, user_id = $4
         WHERE key = $1 AND version = $5 AND expires_at > $6
         RETURNING version`,
        [key, value, write.expiresAt, checkUserId(write.userId), expected, now()],
      );
      return firstVersion(result);
    },
    async delete(key, channel) {
      await query(
        `WITH gone AS (DELETE FROM ${t} WHERE key = $1 RETURNING key) SELECT pg_notify($2, key) FROM gone`,
        [key, channel],
      );
    },
    async touch(key, expiresAt) {
      await query(`UPDATE ${t} SET expires_at = $2 WHERE key = $1 AND expires_at > $3`, [
        key,
        expiresAt,
        now(),
      ]);
    },
    async keysForUser(userId) {
      const result = await query(`SELECT key FROM ${t} WHERE user_id = $1 AND expires_at > $2 ORDER BY key`, [
        userId,
        now(),
      ]);
      return (result.rows as Array<{ key: string }>).map((row) => row.key);
    },
    async sweep() {
      const result = await query(`DELETE FROM ${t} WHERE expires_at <= $1`, [now()]);
      return result.rowCount ?? 0;
    },
  };
}
