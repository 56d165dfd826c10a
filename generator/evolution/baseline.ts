/**
 * What breaking changes are judged against: what was shipped, not the last save. In a git repository
 * that is the snapshot committed at HEAD, so a field added as `emial` and renamed to `email` a minute
 * later, or added and removed again, costs nothing: no browser or store ever held it. Outside git, or
 * before the snapshot's first commit, it is the snapshot file on disk, as it always was.
 */
import { execFile } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { parseSnapshot, readSnapshot, type Snapshot } from "./snapshot.ts";

/** The two snapshots a run compares with. */
export interface Baselines {
  /** What was shipped: the snapshot at HEAD, or the file on disk when it is not committed. */
  shipped: Snapshot | undefined;
  /**
   * The snapshot file on disk: the last accepted state of uncommitted work. It also remembers breaking
   * changes accepted with `--accept-breaking` since the last commit, so they are not refused again.
   */
  working: Snapshot | undefined;
  /** Set when git was there but could not be asked; the run then judges against the file on disk. */
  warning?: string;
}

/** What `git show HEAD:<snapshot>` said. */
interface Committed {
  /** The file's text at HEAD; undefined when git, a repository or a committed copy is missing. */
  text?: string;
  label: string;
  warning?: string;
}

/**
 * Watch mode keeps one: the committed snapshot is asked for again only when HEAD has moved, which
 * spares a git process (and a fork of a large compiler process) on every save.
 */
export interface BaselineCache {
  /** The repository's git directory; null when the snapshot is not in one (until watch restarts). */
  gitDir?: string | null;
  /** The HEAD stamp `committed` was read at. */
  stamp?: string | undefined;
  committed?: Committed;
}

/** Git answers that mean "nothing committed to compare with": fall back to the file quietly. */
const NOT_COMMITTED =
  /not a git repository|exists on disk, but not in|does not exist in|invalid object name|bad revision|unknown revision|outside repository/i;

/** Reads the committed snapshot (`git show HEAD:./<path>`) and the one on disk. */
export async function readBaselines(snapshotPath: string, cache?: BaselineCache): Promise<Baselines> {
  const working = readSnapshot(snapshotPath);
  const committed = cache ? await cachedShowHead(snapshotPath, cache) : await gitShowHead(snapshotPath);
  if (committed.text === undefined) {
    return { shipped: working, working, ...(committed.warning ? { warning: committed.warning } : {}) };
  }
  return { shipped: parseSnapshot(committed.text, committed.label), working };
}

async function cachedShowHead(file: string, cache: BaselineCache): Promise<Committed> {
  if (cache.gitDir === undefined) {
    const answer = await git(["rev-parse", "--absolute-git-dir"], existingDirectory(file));
    cache.gitDir = answer.ok ? answer.stdout.trim() : null;
  }
  if (cache.gitDir === null) return { label: headLabel(file) };
  const stamp = headStamp(cache.gitDir);
  if (stamp !== undefined && stamp === cache.stamp && cache.committed) return cache.committed;
  const committed = await gitShowHead(file);
  cache.stamp = stamp;
  cache.committed = committed;
  return committed;
}

/**
 * Changes whenever HEAD moves: git appends to the HEAD reflog on every commit, amend, reset, checkout
 * and merge. Undefined without a reflog (then every run asks git).
 */
function headStamp(gitDir: string): string | undefined {
  try {
    const head = statSync(path.join(gitDir, "HEAD"));
    const log = statSync(path.join(gitDir, "logs", "HEAD"));
    return `${head.mtimeMs}:${head.size}:${log.mtimeMs}:${log.size}`;
  } catch {
    return undefined;
  }
}

/** The file's directory, or the nearest one that exists: the output folder may have been deleted. */
function existingDirectory(file: string): string {
  let directory = path.dirname(file);
  while (!existsSync(directory) && path.dirname(directory) !== directory) directory = path.dirname(directory);
  return directory;
}

function headLabel(file: string): string {
  return `HEAD:${path.relative(process.cwd(), file) || file}`;
}

async function gitShowHead(file: string): Promise<Committed> {
  // A `./` path is resolved by git against the working directory: no repo-root arithmetic.
  const directory = existingDirectory(file);
  const relative = `./${path.relative(directory, file).split(path.sep).join("/")}`;
  const label = headLabel(file);
  const answer = await git(["show", `HEAD:${relative}`], directory);
  if (answer.ok) return { text: answer.stdout, label };
  if (answer.gitMissing || NOT_COMMITTED.test(answer.stderr)) return { label };
  return {
    label,
    warning:
      `could not read the committed snapshot (git: ${answer.stderr.trim() || "failed"}); ` +
      `breaking changes are judged against ${path.relative(process.cwd(), file) || file} on disk.`,
  };
}

function git(
  args: string[],
  cwd: string,
): Promise<{ ok: boolean; stdout: string; stderr: string; gitMissing: boolean }> {
  // Git's messages are matched above: ask for them untranslated.
  const env: NodeJS.ProcessEnv = { ...process.env, LC_ALL: "C", LANGUAGE: "C" };
  // Inside git hooks GIT_DIR may be relative to where the hook runs, not to `cwd`.
  for (const key of ["GIT_DIR", "GIT_WORK_TREE"] as const) {
    const value = env[key];
    if (value && !path.isAbsolute(value)) env[key] = path.resolve(value);
  }
  return new Promise((resolve) => {
    execFile(
      "git",
      args,
      { cwd, env, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 },
      (error, stdout, stderr) => {
        resolve({
          ok: !error,
          stdout,
          stderr: stderr || (error?.message ?? ""),
          gitMissing: (error as NodeJS.ErrnoException | null)?.code === "ENOENT",
        });
      },
    );
  });
}
