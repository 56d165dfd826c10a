/**
 * What breaking changes are judged against: what was shipped, not the last save. In a git repository
 * that is the snapshot committed at HEAD, so a field added as `emial` and renamed to `email` a minute
 * later, or added and removed again, costs nothing: no browser or store ever held it. Outside git, or
 * before the snapshot's first commit, it is the snapshot file on disk, as it always was.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
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

/** Git answers that mean "nothing committed to compare with": fall back to the file quietly. */
const NOT_COMMITTED =
  /not a git repository|exists on disk, but not in|does not exist in|invalid object name|bad revision|unknown revision|outside repository/i;

/** Reads the committed snapshot (`git show HEAD:./<path>`) and the one on disk. */
export async function readBaselines(snapshotPath: string): Promise<Baselines> {
  const working = readSnapshot(snapshotPath);
  const committed = await gitShowHead(snapshotPath);
  if (committed.text === undefined) {
    return { shipped: working, working, ...(committed.warning ? { warning: committed.warning } : {}) };
  }
  return { shipped: parseSnapshot(committed.text, committed.label), working };
}

/** The file's text at HEAD; undefined when git, a repository or a committed copy is missing. */
function gitShowHead(file: string): Promise<{ text?: string; label: string; warning?: string }> {
  // Run in the file's directory (or the nearest one that exists: the output folder may be deleted),
  // with a `./` path, which git resolves against the working directory: no repo-root arithmetic.
  let directory = path.dirname(file);
  while (!existsSync(directory) && path.dirname(directory) !== directory) directory = path.dirname(directory);
  const relative = `./${path.relative(directory, file).split(path.sep).join("/")}`;
  const label = `HEAD:${path.relative(process.cwd(), file) || file}`;
  // Inside git hooks GIT_DIR may be relative to where the hook runs, not to `directory`.
  // Git's messages are matched below: ask for them untranslated.
  const env: NodeJS.ProcessEnv = { ...process.env, LC_ALL: "C", LANGUAGE: "C" };
  for (const key of ["GIT_DIR", "GIT_WORK_TREE"] as const) {
    const value = env[key];
    if (value && !path.isAbsolute(value)) env[key] = path.resolve(value);
  }
  return new Promise((resolve) => {
    execFile(
      "git",
      ["show", `HEAD:${relative}`],
      { cwd: directory, env, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (!error) return resolve({ text: stdout, label });
        const gitMissing = (error as NodeJS.ErrnoException).code === "ENOENT";
        if (gitMissing || NOT_COMMITTED.test(stderr)) return resolve({ label });
        resolve({
          label,
          warning:
            `could not read the committed snapshot (git: ${stderr.trim() || error.message}); ` +
            `breaking changes are judged against ${path.relative(process.cwd(), file) || file} on disk.`,
        });
      },
    );
  });
}
