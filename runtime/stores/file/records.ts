/**
 * The file store's record files: one JSON file per key under the store's directory, named from the
 * key, written atomically (temp file, fsync, rename) and read back defensively.
 *
 * Reads and small metadata calls (lock create/remove, rename) are synchronous on purpose: they take
 * microseconds on a local disk, while a thread-pool round trip takes milliseconds on a busy machine,
 * and every millisecond a hot key's write takes is a window for compare-and-set conflicts. fsync,
 * which can take milliseconds, stays asynchronous.
 */
import { createHash, randomBytes } from "node:crypto";
import { closeSync, fsync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { mkdir, unlink } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { errorCode } from "../redact.ts";
import type { WriteOptions } from "../types.ts";

/** What a record file holds. `key` is kept so listings can map files back to keys. */
export interface FileRecord {
  key: string;
  value: string;
  version: number;
  expiresAt: number;
  userId?: string;
}

/** File name suffixes: a record, and the lock file of its key. */
export const RECORD = ".json";
export const LOCK = ".lock";

const fsyncAsync = promisify(fsync);

/** Hex keeps any key filesystem-safe; very long keys are hashed so names stay under 255 bytes. */
function fileNameFor(key: string): string {
  const hex = Buffer.from(key, "utf8").toString("hex");
  return hex.length <= 200 ? `k-${hex}` : `h-${createHash("sha256").update(key).digest("hex")}`;
}

function isRecord(data: unknown): data is FileRecord {
  if (typeof data !== "object" || data === null) return false;
  const r = data as Record<string, unknown>;
  return (
    typeof r.key === "string" &&
    typeof r.value === "string" &&
    typeof r.version === "number" &&
    typeof r.expiresAt === "number" &&
    (r.userId === undefined || typeof r.userId === "string")
  );
}

/** The record file for a write: `userId` only when given. */
export function recordFor(key: string, value: string, version: number, options: WriteOptions): FileRecord {
  const record: FileRecord = { key, value, version, expiresAt: options.expiresAt };
  if (options.userId !== undefined) record.userId = options.userId;
  return record;
}

/** The store's directory and its record files. */
export interface RecordFiles {
  /** Absolute directory. */
  readonly dir: string;
  /** The key's path without suffix: `+ RECORD` is its record file, `+ LOCK` its lock file. */
  basePath(key: string): string;
  /** Create the directory once (again after `forgetDir`, when someone removed it). */
  ensureDir(): Promise<void>;
  forgetDir(): void;
  /** The record in a file, or null when missing or not a record of ours. */
  read(path: string): Promise<FileRecord | null>;
  write(path: string, record: FileRecord): Promise<void>;
  /** fsync the directory, so a delete (a destroyed or revoked session) survives a power loss. */
  syncDir(): Promise<void>;
}

/** Record files under `dir`; `durable` false skips every fsync. Nothing touches the disk until used. */
export function createRecordFiles(dir: string, durable: boolean): RecordFiles {
  let dirReady: Promise<void> | null = null;

  const ensureDir = (): Promise<void> => {
    dirReady ??= mkdir(dir, { recursive: true }).then(() => undefined);
    return dirReady.catch((error: unknown) => {
      dirReady = null;
      throw error;
    });
  };

  async function read(path: string): Promise<FileRecord | null> {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (error) {
      if (errorCode(error) === "ENOENT") return null;
      throw error;
    }
    try {
      const data: unknown = JSON.parse(text);
      return isRecord(data) ? data : null;
    } catch {
      // Only outside interference can produce this (writes are atomic renames): treat as missing.
      return null;
    }
  }

  /**
   * Temp file, write, fsync, rename. The rename is atomic, so readers see the old record or the new
   * one. The directory is not fsync'd: after a power loss the rename may be lost, which leaves the
   * previous whole record — never a partial one.
   */
  async function write(path: string, record: FileRecord): Promise<void> {
    await ensureDir();
    const temp = `${path}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
    try {
      const fd = openSync(temp, "wx", 0o600);
      try {
        writeSync(fd, JSON.stringify(record));
        if (durable) await fsyncAsync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temp, path);
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw error;
    }
  }

  async function syncDir(): Promise<void> {
    if (!durable) return;
    let fd: number | undefined;
    try {
      fd = openSync(/*turbopackIgnore: true*/ dir, "r");
      await fsyncAsync(fd);
    } catch (error) {
      // Some filesystems refuse fsync on directories; the unlink itself has happened.
      if (errorCode(error) !== "EINVAL" && errorCode(error) !== "EISDIR") throw error;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  return {
    dir,
    basePath: (key) => join(/*turbopackIgnore: true*/ dir, fileNameFor(key)),
    ensureDir,
    forgetDir: () => {
      dirReady = null;
    },
    read,
    write,
    syncDir,
  };
}
