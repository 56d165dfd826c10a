/**
 * The file store's directory scans: the expiry sweep (expired records, leftovers of crashed writers,
 * abandoned locks) and a user's session listing. A scan reads every record file: fine for the
 * embedded default; use Redis or Postgres for an indexed listing.
 */
import { readdir, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { errorCode } from "../redact.ts";
import { asUnavailable, type StoreTarget } from "../timeout.ts";
import type { KeyLocks } from "./locks.ts";
import { type FileRecord, LOCK, RECORD, type RecordFiles } from "./records.ts";

/** Temp and broken-lock files older than this are leftovers of a crash. */
const LEFTOVER_MS = 60_000;

/** What a scan needs: the files, their locks, and the store's notion of a live record. */
export interface ScanContext {
  files: RecordFiles;
  locks: KeyLocks;
  target: StoreTarget;
  live(record: FileRecord | null): FileRecord | null;
}

/** The directory's entries; none when it does not exist yet. */
async function entries(ctx: ScanContext, operation: string): Promise<string[]> {
  try {
    return await readdir(/*turbopackIgnore: true*/ ctx.files.dir);
  } catch (error) {
    if (errorCode(error) === "ENOENT") return [];
    throw asUnavailable(ctx.target, operation, error);
  }
}

/** Delete expired records (each under its key's lock) and crash leftovers. Returns the records removed. */
export async function sweepDir(ctx: ScanContext): Promise<number> {
  const { files, locks, live } = ctx;
  let removed = 0;
  for (const name of await entries(ctx, "sweep")) {
    const path = join(/*turbopackIgnore: true*/ files.dir, name);
    if (name.endsWith(RECORD)) {
      const record = await files.read(path).catch(() => null);
      if (record === null || live(record) !== null) continue;
      const gone = await locks
        .withLock(record.key, "sweep", async (recordPath) => {
          const again = await files.read(recordPath);
          if (again === null || live(again) !== null) return false;
          await unlink(recordPath).catch(() => undefined);
          return true;
        })
        .catch(() => false);
      if (gone) removed += 1;
    } else if (name.endsWith(".tmp") || name.endsWith(".broken")) {
      const info = await stat(/*turbopackIgnore: true*/ path).catch(() => null);
      if (info && Date.now() - info.mtimeMs > LEFTOVER_MS) await unlink(path).catch(() => undefined);
    } else if (name.endsWith(LOCK)) {
      await locks.breakIfStale(path).catch(() => undefined);
    }
  }
  return removed;
}

/** Keys of the live records written with `userId`, sorted. */
export async function keysForUserIn(ctx: ScanContext, userId: string): Promise<string[]> {
  const keys: string[] = [];
  for (const name of await entries(ctx, "keysForUser")) {
    if (!name.endsWith(RECORD)) continue;
    const record = ctx.live(
      await ctx.files.read(join(/*turbopackIgnore: true*/ ctx.files.dir, name)).catch(() => null),
    );
    if (record !== null && record.userId === userId) keys.push(record.key);
  }
  return keys.sort();
}
