/**
 * Test support: builds the example app once (only when its sources changed since the last build,
 * and only one test file at a time), then starts `next start` on a free port with its own temporary
 * working directory, so `.data/sessions` (the file store) is fresh for every server.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";

export const appDir = fileURLToPath(new URL("..", import.meta.url));
const root = join(appDir, "..", "..");
const nextBin = join(root, "node_modules", "next", "dist", "bin", "next");
/** Its own build directory, so a running `npm run demo` keeps its build. */
const distDir = ".next/test";
const buildDir = join(appDir, distDir);
const stampFile = join(buildDir, "satchel-source-stamp");
const lockDir = join(appDir, ".next", "test.lock");

/** A 48-character test secret; never used outside tests. */
export const TEST_SECRET = "test-secret-for-the-example-app-0123456789abcdef";

const BUILD_TIMEOUT_MS = 300_000;
/** For `beforeAll`: a build on a busy 2-core machine, plus the server start. */
export const BUILD_AND_START_MS = BUILD_TIMEOUT_MS + 120_000;

/** Children still running; killed if the test process exits first (a timed-out hook, Ctrl-C). */
const children = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of children) child.kill("SIGKILL");
});

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

function walk(dir: string, skip: (path: string) => boolean, out: string[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (skip(path)) continue;
    if (entry.isDirectory()) walk(path, skip, out);
    else out.push(path);
  }
}

/** A hash of every source the build reads (path, size, content), to skip rebuilding unchanged code. */
function sourceStamp(): string {
  const files: string[] = [
    join(root, "sessions.schema.ts"),
    join(root, "node_modules", "next", "package.json"),
  ];
  // Build output is not a source: runtime/dist is rewritten whenever a test packs the package.
  const skip = (path: string) =>
    /(^|\/)(\.next|node_modules|dist|tests|test-support|\.data)$/.test(path) ||
    /(\.test\.ts|\.test-d\.ts|next-env\.d\.ts|\.tsbuildinfo)$/.test(path);
  walk(appDir, skip, files);
  walk(join(root, "runtime"), skip, files);
  walk(join(root, "generated"), skip, files);
  const hash = createHash("sha256");
  for (const file of files.sort()) {
    const stat = statSync(file);
    hash.update(`${relative(root, file)}\0${stat.size}\0`).update(readFileSync(file));
  }
  return hash.digest("hex");
}

function readStamp(): string | null {
  try {
    return readFileSync(stampFile, "utf8");
  } catch {
    return null;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = track(
      spawn(process.execPath, [nextBin, ...args], {
        cwd: root,
        env,
        stdio: ["ignore", "pipe", "pipe"],
      }),
    );
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk;
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      output += chunk;
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`next ${args[0]} took longer than ${BUILD_TIMEOUT_MS} ms:\n${output}`));
    }, BUILD_TIMEOUT_MS);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, output });
    });
  });
}

function baseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: "production",
    NEXT_TELEMETRY_DISABLED: "1",
    SATCHEL_NEXT_DIST_DIR: distDir,
    SESSION_SECRET: TEST_SECRET,
    // The demo's inspector with its buttons, as `npm run demo` has it.
    SATCHEL_DEMO_INSPECTOR: "1",
  };
  delete env.SESSION_STORE_URL;
  delete env.VITEST; // the app is not under test by vitest itself
  return env;
}

/** Builds the app unless an up-to-date build exists; concurrent callers wait for one build. */
async function ensureBuilt(): Promise<void> {
  const debug = process.env.SATCHEL_DEBUG_BUILD
    ? (m: string) => console.error(`[ensureBuilt ${process.pid}] ${m}`)
    : () => {};
  const deadline = Date.now() + BUILD_TIMEOUT_MS;
  mkdirSync(join(appDir, ".next"), { recursive: true });
  let waited = false;
  for (;;) {
    const stamp = readStamp();
    if (stamp === sourceStamp()) return debug("up to date");
    // A build another test file just finished is good enough, even if a source changed since.
    if (waited && stamp !== null && !existsSync(lockDir)) return debug("built by another test file");
    try {
      mkdirSync(lockDir);
    } catch {
      waited = true;
      // Another test file is building; a lock left by a dead process is removed.
      let owner = Number.NaN;
      try {
        owner = Number(readFileSync(join(lockDir, "pid"), "utf8"));
      } catch {}
      if (Number.isInteger(owner) && !pidAlive(owner)) rmSync(lockDir, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error("timed out waiting for another build of the example app");
      await new Promise((r) => setTimeout(r, 500));
      continue;
    }
    try {
      writeFileSync(join(lockDir, "pid"), String(process.pid));
      const sources = sourceStamp();
      debug("building");
      const { code, output } = await run(["build", appDir], baseEnv());
      if (code !== 0) throw new Error(`next build failed:\n${output}`);
      writeFileSync(stampFile, sources);
      return;
    } finally {
      rmSync(lockDir, { recursive: true, force: true });
    }
  }
}

/** A TCP port on 127.0.0.1 that nothing listens on right now (the bench uses it too). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

export interface RunningApp {
  /** e.g. `http://127.0.0.1:41234` */
  url: string;
  /** The server's working directory (holds `.data/sessions`). */
  workDir: string;
  /** Everything the server printed. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Builds if needed, then starts the app and waits until it answers. `serverNodeOptions` go to the
 * server process only (never to a build this call may run: a heap cap meant for the server made
 * `next build` run out of memory). `env` adds variables the server reads at run time (e.g.
 * `SESSION_STORE_URL`: stores resolve on first use, so one build serves every store).
 */
export async function startApp(
  options: { serverNodeOptions?: string; env?: Record<string, string> } = {},
): Promise<RunningApp> {
  await ensureBuilt();
  const env = { ...baseEnv(), ...options.env };
  if (options.serverNodeOptions !== undefined) {
    env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ""} ${options.serverNodeOptions}`.trim();
  }
  const port = await freePort();
  const workDir = mkdtempSync(join(tmpdir(), "satchel-next-app-"));
  const child = track(
    spawn(process.execPath, [nextBin, "start", appDir, "--port", String(port), "--hostname", "127.0.0.1"], {
      cwd: workDir,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    }),
  );
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk;
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk;
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`next start exited early:\n${output}`);
    try {
      const response = await fetch(`${url}/session-key-test`, { signal: AbortSignal.timeout(5_000) });
      await response.arrayBuffer();
      if (response.ok) break;
    } catch {}
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`next start did not answer within 60 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    workDir,
    output: () => output,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
        if (child.exitCode === null) child.kill("SIGKILL");
      }
      rmSync(workDir, { recursive: true, force: true });
    },
  };
}

/** The body of a 200 plain-text response (the seeds' tutorials answer plain text); fails with the body otherwise. */
export async function text(response: Response): Promise<string> {
  expect(response.status, await response.clone().text()).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
  return response.text();
}

/**
 * The cookie a session is sent in by the built app: `next start` runs in production, where host-only
 * session cookies carry the `__Host-` prefix (a sibling subdomain can neither plant nor shadow them).
 */
export const cookieOf = (session: string): string => `__Host-${session}`;
