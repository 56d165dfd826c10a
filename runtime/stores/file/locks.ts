/**
 * The file store's per-key locks. Read-modify-write operations (set, compareAndSet, touch, delete,
 * the sweep's delete) hold a lock file created with O_EXCL, so two processes sharing the directory
 * cannot lose each other's updates; writers in this process queue in memory first instead of
 * spinning on the lock file. A lock whose process is gone, or that is older than `staleLockMs`, is
 * broken (renamed away, then checked).
 */
import { randomBytes } from "node:crypto";
import { closeSync, openSync, unlinkSync, writeSync } from "node:fs";
import { link, readFile, rename, stat, unlink } from "node:fs/promises";
import { SessionStoreUnavailableError } from "../../errors.ts";
import { errorCode } from "../redact.ts";
import { asUnavailable, type StoreTarget } from "../timeout.ts";
import { LOCK, RECORD, type RecordFiles } from "./records.ts";

export interface KeyLocks {
  /**
   * Run `fn` on the key's record path holding the key's lock. `precheck` runs at this call's turn in
   * the in-process queue, before the lock file is taken; a result other than undefined is returned as
   * is. Failures become `SessionStoreUnavailableError` (satchel's own errors pass through).
   */
  withLock<T>(
    key: string,
    operation: string,
    fn: (path: string) => Promise<T>,
    precheck?: (path: string) => Promise<T | undefined>,
  ): Promise<T>;
  /** Break a lock left by a dead process or older than `staleLockMs`, without breaking a fresh one. */
  breakIfStale(lockPath: string): Promise<void>;
  /** Resolves once every queued operation of this process has finished. */
  drain(): Promise<void>;
}

export interface LockOptions {
  target: StoreTarget;
  /** How long to wait for another writer's lock before `SessionStoreUnavailableError` (ms). */
  lockTimeoutMs: number;
  /** A lock file older than this (ms), or whose process no longer exists, is abandoned. */
  staleLockMs: number;
}

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errorCode(error) === "EPERM";
  }
}

/** Break a lock left by a dead process or older than `staleLockMs`, without breaking a fresh one. */
async function breakIfStale(lockPath: string, staleLockMs: number): Promise<void> {
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

export function createKeyLocks(files: RecordFiles, options: LockOptions): KeyLocks {
  const { target, lockTimeoutMs, staleLockMs } = options;
  /** In-process queue per key: writers in this process wait here instead of spinning on the lock file. */
  const queues = new Map<string, Promise<unknown>>();

  async function acquire(lockPath: string, operation: string): Promise<string> {
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
          files.forgetDir();
          await files.ensureDir();
          continue;
        }
        if (code !== "EEXIST") throw error;
      }
      await breakIfStale(lockPath, staleLockMs);
      if (Date.now() > deadline) {
        throw new SessionStoreUnavailableError("file", operation, {
          endpoint: files.dir,
          cause: new Error(`lock ${lockPath} was held by another writer for over ${lockTimeoutMs} ms`),
        });
      }
      await sleep(Math.random() * Math.min(2 + attempt, 25));
    }
  }

  async function release(lockPath: string, token: string, acquiredAt: number): Promise<void> {
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

  function withLock<T>(
    key: string,
    operation: string,
    fn: (path: string) => Promise<T>,
    precheck?: (path: string) => Promise<T | undefined>,
  ): Promise<T> {
    const base = files.basePath(key);
    const previous = queues.get(base) ?? Promise.resolve();
    const run = previous.then(async () => {
      if (precheck) {
        const early = await precheck(base + RECORD);
        if (early !== undefined) return early;
      }
      await files.ensureDir();
      const lockPath = base + LOCK;
      const token = await acquire(lockPath, operation);
      const acquiredAt = Date.now();
      try {
        return await fn(base + RECORD);
      } finally {
        await release(lockPath, token, acquiredAt);
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

  return {
    withLock,
    breakIfStale: (lockPath) => breakIfStale(lockPath, staleLockMs),
    drain: async () => {
      await Promise.all([...queues.values()]);
    },
  };
}
