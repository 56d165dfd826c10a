/**
 * Test support for the user's-app test: pack satchel as published, create a fresh create-next-app
 * app from the npm registry, run commands in it, and start `next start` on a free port.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

export const REPO = fileURLToPath(new URL("../..", import.meta.url));

/** Pinned: the app a new user gets today; bump on purpose. */
export const CREATE_NEXT_APP = "create-next-app@16.4.3";

const execFileAsync = promisify(execFile);

/**
 * The environment a user's shell would have: none of vitest's or the repository's npm-script
 * variables (NODE_ENV=test would change how Next builds; npm_config_* would steer the app's npm).
 */
export function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(npm_|VITEST|NODE_ENV$|NODE_OPTIONS$|INIT_CWD$|TEST$)/.test(key)) continue;
    env[key] = value;
  }
  return {
    ...env,
    NEXT_TELEMETRY_DISABLED: "1",
    npm_config_audit: "false",
    npm_config_fund: "false",
    npm_config_update_notifier: "false",
    ...extra,
  };
}

/** Runs a command to completion and returns its stdout; on failure the error carries all its output. */
export async function run(
  file: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = userEnv(),
): Promise<string> {
  try {
    const { stdout } = await execFileAsync(file, args, {
      cwd,
      env,
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
      timeout: 900_000,
    });
    return stdout;
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `${file} ${args.join(" ")} (in ${cwd}) failed: ${failed.message}\n${failed.stdout ?? ""}\n${failed.stderr ?? ""}`,
    );
  }
}

/** A packed tarball and the package it holds. */
export interface Tarball {
  name: string;
  file: string;
}

/**
 * `npm pack --workspaces` at the root, as the README tells users: each workspace package builds
 * before it packs (its prepack script) and lands as a tarball in `destination`. With
 * SATCHEL_USERS_APP_TARBALLS set to a directory, its `*.tgz` are used instead (packed once, for
 * iterating on the test itself).
 */
export async function packTarballs(destination: string): Promise<Tarball[]> {
  const prepacked = process.env.SATCHEL_USERS_APP_TARBALLS;
  if (prepacked) {
    return readdirSync(prepacked)
      .filter((file) => file.endsWith(".tgz"))
      .map((file) => ({
        name: file.replace(/-\d+\.\d+\.\d+.*\.tgz$/, ""),
        file: path.join(prepacked, file),
      }));
  }
  mkdirSync(destination, { recursive: true });
  const json = await run(
    "npm",
    ["pack", "--workspaces", "--json", "--pack-destination", destination],
    REPO,
    userEnv(),
  );
  const packed = JSON.parse(json.slice(json.indexOf("["), json.lastIndexOf("]") + 1)) as {
    name: string;
    filename: string;
  }[];
  return packed.map((entry) => ({ name: entry.name, file: path.join(destination, entry.filename) }));
}

/** A port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A running `next start`. */
export interface RunningServer {
  url: string;
  /** Everything it printed so far. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Servers still running, each the leader of its own process group (`next dev` forks workers), so
 * stopping one ends all its processes. `stopAllServers()` in `afterAll` also ends those that a
 * timed-out test left behind.
 */
const running = new Set<ChildProcess>();

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

async function stopServer(child: ChildProcess, exited: Promise<void>): Promise<void> {
  signalGroup(child, "SIGTERM");
  const killLater = setTimeout(() => signalGroup(child, "SIGKILL"), 10_000);
  await exited;
  clearTimeout(killLater);
  // Workers of the group that outlived their parent.
  signalGroup(child, "SIGKILL");
}

const exits = new WeakMap<ChildProcess, Promise<void>>();

/** Stops every server this process started that is still running. */
export async function stopAllServers(): Promise<void> {
  await Promise.all([...running].map((child) => stopServer(child, exits.get(child) ?? Promise.resolve())));
}

/** Starts `next start` (or `next dev`) in `app` on a free loopback port and waits until it answers. */
export async function startNext(
  app: string,
  env: NodeJS.ProcessEnv,
  command: "start" | "dev" = "start",
): Promise<RunningServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    process.execPath,
    [path.join(app, "node_modules/next/dist/bin/next"), command, "-H", "127.0.0.1", "-p", String(port)],
    { cwd: app, env, stdio: ["ignore", "pipe", "pipe"], detached: true },
  );
  running.add(child);
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => {
      running.delete(child);
      resolve();
    });
  });
  exits.set(child, exited);
  const stop = () => stopServer(child, exited);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`next ${command} exited (${child.exitCode}):\n${output}`);
    try {
      const response = await fetch(`${url}/favicon.ico`);
      if (response.status < 500) break;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { url, output: () => output, stop };
}

/** The package.json of `app`. */
export function readPackageJson(app: string): {
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
} {
  return JSON.parse(readFileSync(path.join(app, "package.json"), "utf8"));
}
