#!/usr/bin/env node
/**
 * Run after `npm install` changes package-lock.json on a machine whose registry mirror serves only the
 * Linux builds of platform-specific optional packages (Biome's CLI, Next's SWC). npm then leaves the
 * other platforms out of the lock, and `npm ci` refuses the lock as out of sync. This adds the missing
 * entries with their os/cpu/libc, as a full registry would have written them, so `npm ci` accepts the
 * lock and skips them on every platform they are not for.
 */
import { readFileSync, writeFileSync } from "node:fs";

const path = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(path, "utf8"));
const platform =
  /(android|darwin|linux|win32|freebsd|openbsd|netbsd|sunos|aix)-(arm64|x64|ia32|arm|s390x|ppc64|riscv64|loong64)/;
const added = [];

for (const meta of Object.values(lock.packages)) {
  for (const [name, version] of Object.entries(meta.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`;
    const match = platform.exec(name);
    if (lock.packages[key] || !match) continue;
    const [, os, cpu] = match;
    const entry = { version, cpu: [cpu], optional: true, os: [os] };
    if (name.includes("musl")) entry.libc = ["musl"];
    else if (os === "linux") entry.libc = ["glibc"];
    if (meta.dev) entry.dev = true;
    lock.packages[key] = entry;
    added.push(key);
  }
}

const sorted = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) =>
    a === "" ? -1 : b === "" ? 1 : a < b ? -1 : a > b ? 1 : 0,
  ),
);
writeFileSync(path, `${JSON.stringify({ ...lock, packages: sorted }, null, 2)}\n`);
console.log(
  added.length ? `added ${added.length} platform entries: ${added.join(", ")}` : "lock already complete",
);
