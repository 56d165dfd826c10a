/**
 * Figure 3: requests per second of Next.js route handlers under `next start` (bench/next-app),
 * autocannon on loopback: no session vs satchel cookie session vs iron-session vs satchel Redis
 * store session, for a read-only and a read + write request. The app's typed session module is
 * written by `satchel gen` from bench/lib/bench-schema.ts before every build, as a user's app gets
 * it; its store comes from `SESSION_STORE_URL`.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { BENCH_SECRET } from "../lib/bench-schema.ts";
import { startChild } from "../lib/child.ts";
import type { BenchContext } from "../lib/context.ts";
import { treeCpuMs } from "../lib/cpu.ts";
import { cpuNote } from "../lib/cpu-note.ts";
import { cookieFrom, loadInterleaved } from "../lib/load.ts";
import { freePort, runNode } from "../lib/node-process.ts";
import { deleteRedisPrefix } from "../lib/redis-cleanup.ts";
import type { RowInput } from "../lib/result.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const APP = join(ROOT, "bench/next-app");
const NEXT = join(ROOT, "node_modules/next/dist/bin/next");
const STAMP = join(APP, ".next/bench-source-stamp");
const SCHEMA = join(ROOT, "bench/lib/bench-schema.ts");
const GENERATED = join(APP, "generated/sessions.ts");
const CLI = join(ROOT, "generator/cli.ts");
const REDIS_URL = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";
const NONE = "no session";
const IRON = "iron-session";
const REDIS = "satchel (Redis store)";
const VARIANTS: Record<string, string> = {
  satchel: "satchel-cookie",
  [NONE]: "none",
  [IRON]: "iron",
  [REDIS]: "satchel-redis",
};
/**
 * "no session" itself with satchel's cookie sent: what the request's bigger Cookie header alone costs
 * Next (a browser sends it to every route of the path, session or not).
 */
const COOKIE_SENT = "no session, satchel's cookie sent";
/**
 * Routes without a session that do only the cookie I/O a session needs, reported in the notes:
 * they show how much of a gap to "no session" Next's own cookie handling accounts for.
 */
const DIAGNOSTICS: Record<"read" | "write", Record<string, string>> = {
  read: {
    [COOKIE_SENT]: "none/read",
    "no session + cookies().get()": "diag/read-cookies",
    "no session + request.cookies.get()": "diag/request-cookies",
  },
  write: {
    [COOKIE_SENT]: "none/write",
    "no session + Set-Cookie on the Response": "diag/header-cookie",
    "no session + cookies().set()": "diag/next-cookie",
  },
};

function walk(dir: string, out: string[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (/^(\.next|node_modules|\.data|test-support)$/.test(entry.name) || entry.name.endsWith(".test.ts"))
      continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, out);
    else out.push(path);
  }
}

/** A hash of every source the build reads, so an unchanged app is not rebuilt. */
function sourceStamp(): string {
  const files = [SCHEMA, join(ROOT, "bench/lib/payloads.ts"), join(ROOT, "node_modules/next/package.json")];
  walk(APP, files);
  walk(join(ROOT, "runtime"), files);
  const hash = createHash("sha256");
  for (const file of files.sort()) {
    const stat = statSync(file);
    hash.update(`${relative(ROOT, file)}\0${stat.size}\0${stat.mtimeMs}\n`);
  }
  return hash.digest("hex");
}

/**
 * `satchel gen` over the bench schema into the app's generated/ (gitignored): the codecs and the
 * typed module come from the generator itself, never from a copy. It rewrites the file only when
 * its text changes, so an unchanged schema keeps the previous build.
 */
async function generate(): Promise<void> {
  const { code, output } = await runNode(
    ["--import", "tsx", CLI, "gen", "--schema", SCHEMA, "--out", GENERATED],
    {},
    120_000,
  );
  if (code !== 0)
    throw new Error(`bench: satchel gen for bench/next-app failed (exit ${code}):\n${output.slice(-3000)}`);
}

/** `next build` of the bench app; skipped in quick mode when nothing changed since the last build. */
async function build(ctx: BenchContext): Promise<string> {
  await generate();
  const stamp = sourceStamp();
  let previous: string | null = null;
  try {
    previous = readFileSync(STAMP, "utf8");
  } catch {}
  if (ctx.quick && previous === stamp) return "reused the previous build (sources unchanged)";
  const started = performance.now();
  const { code, output } = await runNode(
    [NEXT, "build", APP],
    { NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1" },
    360_000,
  );
  // Next writes next-env.d.ts into the app; the root typecheck must not pick up Next's globals from it.
  rmSync(join(APP, "next-env.d.ts"), { force: true });
  if (code !== 0)
    throw new Error(`bench: next build of bench/next-app failed (exit ${code}):\n${output.slice(-3000)}`);
  writeFileSync(STAMP, stamp);
  return `next build took ${Math.round((performance.now() - started) / 1000)} s`;
}

/** The Redis URL with satchel's key prefix in its query string, as `SESSION_STORE_URL` takes it. */
function storeUrl(prefix: string): string {
  const url = new URL(REDIS_URL);
  url.searchParams.set("prefix", prefix);
  return url.toString();
}

export async function nextRoutesFigure(ctx: BenchContext): Promise<RowInput[]> {
  ctx.log("  building bench/next-app");
  const built = await build(ctx);
  ctx.log(`  ${built}`);
  const port = await freePort();
  const prefix = `${ctx.runId}:fig3:`;
  const server = await startChild(
    process.execPath,
    [NEXT, "start", APP, "-p", String(port), "-H", "127.0.0.1"],
    {
      cwd: ROOT,
      env: {
        NODE_ENV: "production",
        NEXT_TELEMETRY_DISABLED: "1",
        SESSION_SECRET: BENCH_SECRET,
        SESSION_STORE_URL: storeUrl(prefix),
      },
      readyPattern: /Ready in/,
      port,
      timeoutMs: 60_000,
    },
  );
  try {
    const base = `http://127.0.0.1:${port}`;
    const serverCpuMs = () => treeCpuMs(server.pid);
    const sessions = 20; // two blocks of 10 connections
    const cookies: Record<string, string[]> = {};
    for (const path of Object.values(VARIANTS)) {
      cookies[path] = [];
      if (path === "none") {
        await (await fetch(`${base}/none/read`)).text();
        continue;
      }
      for (let i = 0; i < sessions; i++) {
        const response = await fetch(`${base}/${path}/write`);
        await response.text();
        if (!response.ok)
          throw new Error(`bench: seeding ${path} failed with ${response.status}: ${server.stderr()}`);
        cookies[path]?.push(cookieFrom(response));
      }
    }
    /** Bytes of a seeded session cookie's value (what the browser sends back on every request). */
    const cookieBytes = (path: string) => {
      const pair = cookies[path]?.[0] ?? "";
      return pair.length - pair.indexOf("=") - 1;
    };
    const rows: RowInput[] = [];
    for (const action of ["read", "write"] as const) {
      const targets = Object.fromEntries(
        Object.entries(VARIANTS).map(([name, path]) => [
          name,
          { url: `${base}/${path}/${action}`, cookies: cookies[path] as string[] },
        ]),
      );
      for (const [name, path] of Object.entries(DIAGNOSTICS[action])) {
        // The read diagnostics send a real satchel cookie, so there is something to read.
        const sent = action === "read" || name === COOKIE_SENT ? (cookies["satchel-cookie"] as string[]) : [];
        targets[name] = { url: `${base}/${path}`, cookies: sent };
      }
      const load = await loadInterleaved(
        targets,
        ctx.quick
          ? { connections: 10, seconds: 1, warmupSeconds: 1, repeats: 1, serverCpuMs }
          : { connections: 10, seconds: 3, warmupSeconds: 2, repeats: 7, serverCpuMs },
        ctx.log,
      );
      const samples = load.perSecond;
      const { satchel, ...measured } = samples;
      const peers = Object.fromEntries(
        Object.entries(measured).filter(([name]) => !(name in DIAGNOSTICS[action])),
      );
      const none = peers[NONE]?.median;
      const diagnostics = Object.keys(DIAGNOSTICS[action])
        .filter((name) => samples[name] !== undefined)
        .map((name) => {
          const median = samples[name]?.median ?? 0;
          return `${name}: ${Math.round(median)} req/s${none ? ` (${(median / none).toFixed(2)}× ${NONE})` : ""}`;
        });
      rows.push({
        id: `next-${action}`,
        figure: 3,
        description: `Next.js route handler, session ${action === "read" ? "read" : "read + write"} (next start)`,
        unit: "req/s",
        higherIsBetter: true,
        satchel: satchel ?? null,
        peers,
        reference: NONE,
        // Issue 23's floors (issue 13 asked for 0.9× / 0.85×).
        target: `cookie session ≥ ${action === "read" ? "0.95" : "0.9"}× ${NONE}`,
        checks: [{ kind: "ratio", against: NONE, op: ">=", threshold: action === "read" ? 0.95 : 0.9 }],
        notes: [
          `satchel = a satchel cookie session through withRouteSessions + getSession("prefs"), ${action === "read" ? "reading the visit counter" : "incrementing the visit counter, so every request unseals, validates, seals and answers with a Set-Cookie"}; the session is the ~300-byte signed-in session of figures 1–2 (userId, name, email, 2 roles, locale, a Date, a 64-character CSRF token, theme) plus that counter: its cookie is ${cookieBytes("satchel-cookie")} bytes, iron-session's with the same data ${cookieBytes("iron")}; autocannon 10 connections on 127.0.0.1, in its own process, against one next start process; each connection keeps its own session (${sessions} seeded)`,
          `"${NONE}" runs the same handler for both rows; ${built}`,
          ...(diagnostics.length > 0
            ? [
                `what the cookie ${action === "read" ? "read" : "write"} alone costs in Next — ${diagnostics.join("; ")}`,
              ]
            : []),
          ...[cpuNote(load, NONE)].filter((note): note is string => note !== null),
        ],
      });
    }
    return rows;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`${message}\nnext start said: ${server.stderr().slice(-1500)}`);
  } finally {
    await server.stop();
    await deleteRedisPrefix(REDIS_URL, prefix).catch(() => 0);
  }
}
