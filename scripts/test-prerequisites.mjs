#!/usr/bin/env node
/**
 * What `npm test` needs from the machine, made sure of before vitest starts (it runs as `pretest`, and
 * `.ci/run` calls it too): the Debian packages the suites spawn (memcached, redis-server, Chromium for
 * the browser tests) are installed when missing, and Redis on 6379 and PostgreSQL on 5432 are started
 * when they do not answer. A fresh machine then needs only README's two commands.
 *
 * `--dry-run` prints what it would do and changes nothing. Installing needs root (or password-less
 * sudo); without either it says which command to run and exits 1 instead of letting tests fail later.
 * Set SATCHEL_SKIP_PREREQUISITES=1 to skip the whole check (e.g. a machine managed some other way).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { connect } from "node:net";

const dryRun = process.argv.includes("--dry-run");
const say = (line) => console.log(`satchel test prerequisites: ${line}`);

/** True when `command` is on PATH. */
function onPath(command) {
  return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

/** True when something accepts TCP connections on 127.0.0.1:port within a second. */
function answers(port) {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

async function waitFor(port, what) {
  for (let attempt = 0; attempt < 30; attempt++) {
    if (await answers(port)) return;
    await new Promise((done) => setTimeout(done, 1000));
  }
  throw new Error(`satchel test prerequisites: ${what} did not start on 127.0.0.1:${port} within 30 s.`);
}

/** Debian packages the suites need that this machine lacks. */
function missingPackages() {
  const chromium = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
  const missing = [];
  if (!onPath("memcached")) missing.push("memcached");
  if (!onPath("redis-server")) missing.push("redis-server");
  if (!existsSync(chromium)) missing.push("chromium");
  return missing;
}

/** Runs a command as root: directly when we are root, else through password-less sudo. */
function asRoot(argv) {
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  if (root) return execFileSync(argv[0], argv.slice(1), { stdio: "inherit", env: aptEnv() });
  if (spawnSync("sudo", ["-n", "true"], { stdio: "ignore" }).status === 0) {
    return execFileSync("sudo", ["-n", ...argv], { stdio: "inherit", env: aptEnv() });
  }
  throw new Error(
    `satchel test prerequisites: "${argv.join(" ")}" needs root. Run it as root (or with sudo), ` +
      "then npm test again; or set SATCHEL_SKIP_PREREQUISITES=1 if the machine is set up another way.",
  );
}

const aptEnv = () => ({ ...process.env, DEBIAN_FRONTEND: "noninteractive" });

async function main() {
  if (process.env.SATCHEL_SKIP_PREREQUISITES === "1") return;
  const missing = missingPackages();
  if (missing.length > 0) {
    say(`installing ${missing.join(", ")} (apt-get)`);
    if (!dryRun) {
      asRoot(["apt-get", "update", "-qq"]);
      asRoot(["apt-get", "install", "-y", "-qq", ...missing]);
    }
  }
  if (!(await answers(6379))) {
    say("starting Redis on 127.0.0.1:6379");
    if (!dryRun) {
      execFileSync("redis-server", [
        "--daemonize",
        "yes",
        "--bind",
        "127.0.0.1",
        "--port",
        "6379",
        "--save",
        "",
        "--appendonly",
        "no",
      ]);
      await waitFor(6379, "Redis");
    }
  }
  if (!(await answers(5432))) {
    const versions = existsSync("/etc/postgresql") ? readdirSync("/etc/postgresql") : [];
    if (versions.length === 0) {
      throw new Error(
        "satchel test prerequisites: PostgreSQL does not answer on 127.0.0.1:5432 and is not installed " +
          "(apt-get install -y postgresql, trust auth for 127.0.0.1, database test).",
      );
    }
    say(`starting PostgreSQL ${versions[0]} on 127.0.0.1:5432`);
    if (!dryRun) {
      asRoot(["pg_ctlcluster", "--skip-systemctl-redirect", versions[0], "main", "start"]);
      await waitFor(5432, "PostgreSQL");
    }
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
