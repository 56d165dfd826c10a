/**
 * The embedded default store: one JSON file per record under `.data/sessions`.
 *
 * - Writes are atomic: a temp file in the same directory is written, fsync'd and renamed over the
 *   record, then the directory is fsync'd. A reader sees the old record or the new one, never half
 *   (`records.ts`).
 * - Read-modify-write operations (set, compareAndSet, touch, delete) hold a per-key lock file created
 *   with O_EXCL, so two processes sharing the directory cannot lose each other's updates. A lock whose
 *   process is gone, or that is older than `staleLockMs`, is broken (renamed away, then checked)
 *   (`locks.ts`).
 * - Expired records are never returned; `sweep()` (also on an unref'd interval) deletes them (`scan.ts`).
 */
import { unlink } from "node:fs/promises";
import { resolve } from "node:path";
import { SatchelError } from "../../errors.ts";
import { errorCode } from "../redact.ts";
import { createSweeper } from "../sweeper.ts";
import { asUnavailable, type StoreTarget } from "../timeout.ts";
import type { SessionStore, StoredRecord } from "../types.ts";
import { createKeyLocks } from "./locks.ts";
import { createRecordFiles, type FileRecord, RECORD, recordFor } from "./records.ts";
import { keysForUserIn, type ScanContext, sweepDir } from "./scan.ts";

export interface FileStoreOptions {
  /** Directory holding one file per record; created on first write. Default `.data/sessions` (from the cwd). */
  dir?: string;
  /** Delete expired records this often (ms), on an unref'd timer started by the first write. 0 disables. Default 10 minutes. */
  sweepIntervalMs?: number;
  /** fsync each record and the directory before a write resolves. Turn off only for throwaway data. Default true. */
  fsync?: boolean;
  /** How long to wait for another writer's lock on the same key before `SessionStoreUnavailableError` (ms). Default 2000. */
  lockTimeoutMs?: number;
  /** A lock file older than this (ms), or whose process no longer exists, is considered abandoned. Default 10000. */
  staleLockMs?: number;
  /** Clock in epoch ms, for tests. Default `Date.now`. */
  now?: () => number;
}

/** The file store, with its maintenance method. */
export interface FileStore extends SessionStore {
  keysForUser(userId: string): Promise<string[]>;
  /** Delete expired records and leftovers of crashed writers. Returns how many records were removed. */
  sweep(): Promise<number>;
  close(): Promise<void>;
  /** Absolute directory in use. */
  readonly dir: string;
}

/** Create the file store. Nothing touches the disk until the first operation. */
export function createFileStore(options: FileStoreOptions = {}): FileStore {
  // The `turbopackIgnore` comments on paths: the store's directory is only known at run time, and
  // without them a Next build (Turbopack) traces the whole project into the server output.
  const dir = resolve(/*turbopackIgnore: true*/ options.dir ?? ".data/sessions");
  const target: StoreTarget = { kind: "file", endpoint: dir };
  const now = options.now ?? Date.now;
  const files = createRecordFiles(dir, options.fsync ?? true);
  const locks = createKeyLocks(files, {
    target,
    lockTimeoutMs: options.lockTimeoutMs ?? 2000,
    staleLockMs: options.staleLockMs ?? 10_000,
  });
  /** The record when it exists and has not expired, else null: expired records are never returned. */
  const live = (record: FileRecord | null): FileRecord | null =>
    record !== null && record.expiresAt > now() ? record : null;
  const scan: ScanContext = { files, locks, target, live };
  const sweep = () => sweepDir(scan);
  const sweeper = createSweeper(options.sweepIntervalMs ?? 10 * 60_000, sweep);
  let closed = false;

  const checkOpen = (operation: string) => {
    if (closed) throw new SatchelError(`satchel: the file store was closed; ${operation} needs a new store.`);
  };
  /** The key's record, read without its lock: files are replaced by atomic renames, so this is a consistent snapshot. */
  const readUnlocked = (key: string, operation: string) =>
    files.read(files.basePath(key) + RECORD).catch((error: unknown) => {
      throw asUnavailable(target, operation, error);
    });

  return {
    name: "file",
    dir,
    async get(key) {
      checkOpen("get");
      const found = live(await readUnlocked(key, "get"));
      if (found === null || found.key !== key) return null;
      return {
        value: found.value,
        version: found.version,
        expiresAt: found.expiresAt,
      } satisfies StoredRecord;
    },
    set(key, value, write) {
      checkOpen("set");
      sweeper.start();
      return locks.withLock(key, "set", async (path) => {
        const current = await files.read(path);
        const version = (current?.version ?? 0) + 1;
        await files.write(path, recordFor(key, value, version, write));
        return version;
      });
    },
    async compareAndSet(key, value, expectedVersion, write) {
      checkOpen("compareAndSet");
      sweeper.start();
      const conflicts = (current: FileRecord | null) => {
        const alive = live(current);
        return expectedVersion === null ? alive !== null : alive?.version !== expectedVersion;
      };
      // If an unlocked read already shows another version, the compare-and-set fails right now:
      // losers of a race then neither queue nor lock, which keeps a hot key's queue short.
      if (conflicts(await readUnlocked(key, "compareAndSet"))) return null;
      return locks.withLock(
        key,
        "compareAndSet",
        async (path) => {
          const current = await files.read(path);
          if (conflicts(current)) return null;
          const version = (current?.version ?? 0) + 1;
          await files.write(path, recordFor(key, value, version, write));
          return version;
        },
        async (path) => (conflicts(await files.read(path)) ? null : undefined) as number | null | undefined,
      );
    },
    delete(key) {
      checkOpen("delete");
      return locks.withLock(key, "delete", async (path) => {
        try {
          await unlink(path);
        } catch (error) {
          if (errorCode(error) !== "ENOENT") throw error;
          return;
        }
        await files.syncDir();
      });
    },
    touch(key, expiresAt) {
      checkOpen("touch");
      return locks.withLock(key, "touch", async (path) => {
        const current = live(await files.read(path));
        if (current === null) return;
        await files.write(path, { ...current, expiresAt });
      });
    },
    async keysForUser(userId) {
      checkOpen("keysForUser");
      return keysForUserIn(scan, userId);
    },
    sweep,
    async close() {
      closed = true;
      sweeper.stop();
      await locks.drain();
    },
  };
}
