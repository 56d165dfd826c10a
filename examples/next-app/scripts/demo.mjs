#!/usr/bin/env node
/**
 * `npm run demo`: builds the example app and serves it on PORT (default 3000).
 * - Sessions in the store use SESSION_STORE_URL when set, else files under .data/sessions.
 * - Without SESSION_SECRET, a development secret is created once in .data/dev-secret and reused.
 * Everything runs from the repository root, so `.data/` is the root's.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const appDir = dirname(dirname(fileURLToPath(import.meta.url)));
const root = join(appDir, "..", "..");
const nextBin = join(root, "node_modules", "next", "dist", "bin", "next");
const port = process.env.PORT || "3000";

function devSecret() {
  const file = join(root, ".data", "dev-secret");
  if (existsSync(file)) {
    const secret = readFileSync(file, "utf8").trim();
    if (secret.length >= 32) {
      console.log(`satchel demo: SESSION_SECRET is not set; using the development secret in ${file}.`);
      return secret;
    }
  }
  mkdirSync(dirname(file), { recursive: true });
  const secret = randomBytes(32).toString("base64url");
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  console.log(
    `satchel demo: SESSION_SECRET is not set; created a development secret in ${file}. ` +
      "Set SESSION_SECRET in production (`npx satchel secret` prints one).",
  );
  return secret;
}

const env = { ...process.env, NEXT_TELEMETRY_DISABLED: "1" };
if (!env.SESSION_SECRET) env.SESSION_SECRET = devSecret();
// A local demo: the session inspector at /_satchel, buttons included (see app/%5Fsatchel/route.ts).
env.SATCHEL_DEMO_INSPECTOR ??= "1";
console.log(
  `satchel demo: store sessions in ${env.SESSION_STORE_URL ? env.SESSION_STORE_URL.replace(/\/\/[^@/]*@/, "//***@") : "files under .data/sessions"}.`,
);

/** Runs the Next CLI and resolves with its exit code; Ctrl-C stops it cleanly. */
function next(args) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [nextBin, ...args], { cwd: root, env, stdio: "inherit" });
    const stop = (signal) => child.kill(signal);
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    child.on("exit", (code, signal) => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve(code ?? (signal ? 0 : 1));
    });
  });
}

const built = await next(["build", appDir]);
if (built !== 0) process.exit(built);
console.log(
  `\nsatchel demo: open http://localhost:${port} — demo users alice / wonderland and bob / builder.\n` +
    `Tutorial routes: /session-test?add-product=foo, /flash-test, /session-key-test.\n`,
);
process.exit(await next(["start", appDir, "--port", port]));
