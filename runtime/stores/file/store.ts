/**
 * The embedded default store: one JSON file per record under `.data/sessions`.
 *
 * - Writes are atomic: a temp file in the same directory is written, fsync'd and renamed over the
 *   record, then the directory is fsync'd. A reader sees the old record or the new one, never half.
 * - Read-modify-write operations (set, compareAndSet, touch, delete) hold a per-key lock file created
 *   with O_EXCL, so two processes sharing the directory cannot lose each other's updates. A lock whose
 *   process is gone, or that is older than `staleLockMs`, is broken (renamed away, then checked).
 * - Expired records are never returned; `sweep()` (also on an unref'd interval) deletes them.
 */
import { createHash, randomBytes } from "node:crypto";
import { closeSync, fsync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { link, mkdir, readdir, readFile, rename, stat, unlink } from "node:fs/promises";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { SatchelError, SessionStoreUnavailableError } from "../errors.ts";
import { asUnavailable, type StoreTarget } from "./timeout.ts";
import type { SessionStore, StoredRecord, WriteOptions } from "./types.ts";

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

/** What a record file holds. `key` is kept so listings can map files back to keys. */
interface FileRecord {
  key: string;
  value: string;
  version: number;
  expiresAt: number;
  userId?: string;
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

const RECORD = ".json";
const LOCK = ".lock";
/** Temp and broken-lock files older than this are leftovers of a crash. */
const LEFTOVER_MS = 60_000;

const fsyncAsync = promisify(fsync);

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

function errorCode(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && "code" in error ? String(error.code) : undefined;
}

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

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errorCode(error) === "EPERM";
  }
}

/** Create the file store. Nothing touches the disk until the first operation. */
export function createFileStore(options: FileStoreOptions = {}): FileStore {
  // The `turbopackIgnore` comments on paths below: the store's directory is only known at run time,
  // and without them a Next build (Turbopack) traces the whole project into the server output.
  const dir = resolve(/*turbopackIgnore: true*/ options.dir ?? ".data/sessions");
  const target: StoreTarget = { kind: "file", endpoint: dir };
  const sweepIntervalMs = options.sweepIntervalMs ?? 10 * 60_000;
  const durable = options.fsync ?? true;
  const lockTimeoutMs = options.lockTimeoutMs ?? 2000;
  const staleLockMs = options.staleLockMs ?? 10_000;
  const now = options.now ?? Date.now;

  let dirReady: Promise<void> | null = null;
  let sweepTimer: NodeJS.Timeout | null = null;
  let closed = false;
  /** In-process queue per key: writers in this process wait here instead of spinning on the lock file. */
  const queues = new Map<string, Promise<unknown>>();

  const ensureDir = (): Promise<void> => {
    dirReady ??= mkdir(dir, { recursive: true }).then(() => undefined);
    return dirReady.catch((error: unknown) => {
      dirReady = null;
      throw error;
    });
  };

  const startSweeper = () => {
    if (sweepTimer || closed || sweepIntervalMs <= 0) return;
    sweepTimer = setInterval(() => {
      sweep().catch(() => {
        // A failed background sweep is retried on the next tick; expired records are filtered on read anyway.
      });
    }, sweepIntervalMs);
    sweepTimer.unref();
  };

  /**
   * Reads and small metadata calls (lock create/remove, rename) are synchronous on purpose: they take
   * microseconds on a local disk, while a thread-pool round trip takes milliseconds on a busy machine,
   * and every millisecond a hot key's write takes is a window for compare-and-set conflicts. fsync,
   * which can take milliseconds, stays asynchronous.
   */
  async function readRecordFile(path: string): Promise<FileRecord | null> {
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

  /** fsync the directory, so a delete (a destroyed or revoked session) survives a power loss. */
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

  /**
   * Temp file, write, fsync, rename. The rename is atomic, so readers see the old record or the new
   * one. The directory is not fsync'd: after a power loss the rename may be lost, which leaves the
   * previous whole record — never a partial one.
   */
  async function writeRecordFile(path: string, record: FileRecord): Promise<void> {
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

  /** Break a lock left by a dead process or older than `staleLockMs`, without breaking a fresh one. */
  async function breakIfStale(lockPath: string): Promise<void> {
    let observed: string;
    let age: number;
    try {
      observed = await readFile(lockPath, "utf8");
      age = Date.now() - (await stat(lockPath)).mtimeMs;
    } catch (error) {
      if (errorCode(error) === "ENOENT") return;
      throw error;
    }
    const pid = Number.parseInt(observed.split(":")[0] ?? "", 10);
    const ownerGone = Number.isInteger(pid) && pid > 0 && pid !== process.pid && !processAlive(pid);
    if (!ownerGone && age < staleLockMs) return;
    // Move it aside atomically, then make sure we moved the lock we judged stale, not a new one.
    const aside = `${lockPath}.${randomBytes(6).toString("hex")}.broken`;
    try {
      await rename(lockPath, aside);
    } catch (error) {
      if (errorCode(error) === "ENOENT") return;
      throw error;
    }
    const moved = await readFile(aside, "utf8").catch(() => observed);
    if (moved !== observed) {
      // Someone re-locked between our read and rename: give their lock back.
      await link(aside, lockPath).catch(() => undefined);
    }
    await unlink(aside).catch(() => undefined);
  }

  async function acquireLock(lockPath: string, operation: string): Promise<string> {
    const token = `${process.pid}:${randomBytes(12).toString("hex")}`;
    const deadline = Date.now() + lockTimeoutMs;
    for (let attempt = 0; ; attempt++) {
      try {
        const fd = openSync(lockPath, "wx", 0o600);
        try {
          writeSync(fd, token);
        } finally {
          closeSync(fd);
        }
        return token;
      } catch (error) {
        const code = errorCode(error);
        if (code === "ENOENT") {
          dirReady = null;
          await ensureDir();
          continue;
        }
        if (code !== "EEXIST") throw error;
      }
      await breakIfStale(lockPath);
      if (Date.now() > deadline) {
        throw new SessionStoreUnavailableError("file", operation, {
          endpoint: dir,
          cause: new Error(`lock ${lockPath} was held by another writer for over ${lockTimeoutMs} ms`),
        });
      }
      await sleep(Math.random() * Math.min(2 + attempt, 25));
    }
  }

  async function releaseLock(lockPath: string, token: string, acquiredAt: number): Promise<void> {
    // A lock held for less than half the stale age cannot have been broken by anyone: just remove it.
    // An older one may have been broken and re-taken, so remove it only if it is still ours.
    if (Date.now() - acquiredAt < staleLockMs / 2) {
      try {
        unlinkSync(lockPath);
      } catch {
        // Already gone.
      }
      return;
    }
    const current = await readFile(lockPath, "utf8").catch(() => null);
    if (current === token) await unlink(lockPath).catch(() => undefined);
  }

  /** Run `fn` holding the key's lock: queued in-process first, then the cross-process lock file. */
  function withLock<T>(
    key: string,
    operation: string,
    fn: (path: string) => Promise<T>,
    /** Runs at our turn in the in-process queue, before the lock file; a non-undefined result is returned as is. */
    precheck?: (path: string) => Promise<T | undefined>,
  ): Promise<T> {
    const base = join(/*turbopackIgnore: true*/ dir, fileNameFor(key));
    const previous = queues.get(base) ?? Promise.resolve();
    const run = previous.then(async () => {
      if (precheck) {
        const early = await precheck(base + RECORD);
        if (early !== undefined) return early;
      }
      await ensureDir();
      const lockPath = base + LOCK;
      const token = await acquireLock(lockPath, operation);
      const acquiredAt = Date.now();
      try {
        return await fn(base + RECORD);
      } finally {
        await releaseLock(lockPath, token, acquiredAt);
      }
    });
    const tail = run.catch(() => undefined);
    queues.set(base, tail);
    void tail.then(() => {
      if (queues.get(base) === tail) queues.delete(base);
    });
    return run.catch((error: unknown) => {
      throw asUnavailable(target, operation, error);
    });
  }

  /** The record when it exists and has not expired, else null: expired records are never returned. */
  const live = (record: FileRecord | null): FileRecord | null =>
    record !== null && record.expiresAt > now() ? record : null;

  const recordFor = (key: string, value: string, version: number, options: WriteOptions): FileRecord => {
    const record: FileRecord = { key, value, version, expiresAt: options.expiresAt };
    if (options.userId !== undefined) record.userId = options.userId;
    return record;
  };

  const checkOpen = (operation: string) => {
    if (closed) throw new SatchelError(`satchel: the file store was closed; ${operation} needs a new store.`);
  };

  async function sweep(): Promise<number> {
    let names: string[];
    try {
      names = await readdir(/*turbopackIgnore: true*/ dir);
    } catch (error) {
      if (errorCode(error) === "ENOENT") return 0;
      throw asUnavailable(target, "sweep", error);
    }
    let removed = 0;
    for (const name of names) {
      const path = join(/*turbopackIgnore: true*/ dir, name);
      if (name.endsWith(RECORD)) {
        const record = await readRecordFile(path).catch(() => null);
        if (record === null || live(record) !== null) continue;
        const gone = await withLock(record.key, "sweep", async (recordPath) => {
          const again = await readRecordFile(recordPath);
          if (again === null || live(again) !== null) return false;
          await unlink(recordPath).catch(() => undefined);
          return true;
        }).catch(() => false);
        if (gone) removed += 1;
      } else if (name.endsWith(".tmp") || name.endsWith(".broken")) {
        const info = await stat(/*turbopackIgnore: true*/ path).catch(() => null);
        if (info && Date.now() - info.mtimeMs > LEFTOVER_MS) await unlink(path).catch(() => undefined);
      } else if (name.endsWith(LOCK)) {
        await breakIfStale(path).catch(() => undefined);
      }
    }
    return removed;
  }

  return {
    name: "file",
    dir,
    async get(key) {
      checkOpen("get");
      try {
        const record = await readRecordFile(join(dir, fileNameFor(key) + RECORD));
        const found = live(record);
        if (found === null || found.key !== key) return null;
        return {
          value: found.value,
          version: found.version,
          expiresAt: found.expiresAt,
        } satisfies StoredRecord;
      } catch (error) {
        throw asUnavailable(target, "get", error);
      }
    },
    set(key, value, options) {
      checkOpen("set");
      startSweeper();
      return withLock(key, "set", async (path) => {
        const current = await readRecordFile(path);
        const version = (current?.version ?? 0) + 1;
        await writeRecordFile(path, recordFor(key, value, version, options));
        return version;
      });
    },
    async compareAndSet(key, value, expectedVersion, options) {
      checkOpen("compareAndSet");
      startSweeper();
      const conflicts = (current: FileRecord | null) => {
        const alive = live(current);
        return expectedVersion === null ? alive !== null : alive?.version !== expectedVersion;
      };
      // Record files are replaced by atomic renames, so an unlocked read is a consistent snapshot: if
      // it already shows another version, the compare-and-set fails right now. Losers of a race then
      // neither queue nor lock, which keeps a hot key's queue short.
      const path = join(dir, fileNameFor(key) + RECORD);
      const early = await readRecordFile(path).catch((error: unknown) => {
        throw asUnavailable(target, "compareAndSet", error);
      });
      if (conflicts(early)) return null;
      return withLock(
        key,
        "compareAndSet",
        async (lockedPath) => {
          const current = await readRecordFile(lockedPath);
          if (conflicts(current)) return null;
          const version = (current?.version ?? 0) + 1;
          await writeRecordFile(lockedPath, recordFor(key, value, version, options));
          return version;
        },
        async (queuedPath) =>
          (conflicts(await readRecordFile(queuedPath)) ? null : undefined) as number | null | undefined,
      );
    },
    delete(key) {
      checkOpen("delete");
      return withLock(key, "delete", async (path) => {
        try {
          await unlink(path);
        } catch (error) {
          if (errorCode(error) !== "ENOENT") throw error;
          return;
        }
        await syncDir();
      });
    },
    touch(key, expiresAt) {
      checkOpen("touch");
      return withLock(key, "touch", async (path) => {
        const current = live(await readRecordFile(path));
        if (current === null) return;
        await writeRecordFile(path, { ...current, expiresAt });
      });
    },
    async keysForUser(userId) {
      checkOpen("keysForUser");
      let names: string[];
      try {
        names = await readdir(/*turbopackIgnore: true*/ dir);
      } catch (error) {
        if (errorCode(error) === "ENOENT") return [];
        throw asUnavailable(target, "keysForUser", error);
      }
      // A directory scan: fine for the embedded default; use Redis or Postgres for an indexed listing.
      const keys: string[] = [];
      for (const name of names) {
        if (!name.endsWith(RECORD)) continue;
        const record = live(
          await readRecordFile(join(/*turbopackIgnore: true*/ dir, name)).catch(() => null),
        );
        if (record !== null && record.userId === userId) keys.push(record.key);
      }
      return keys.sort();
    },
    sweep,
    async close() {
      closed = true;
      if (sweepTimer) clearInterval(sweepTimer);
      sweepTimer = null;
      await Promise.all([...queues.values()]);
    },
  };
}
