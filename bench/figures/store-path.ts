/**
 * Figure 4: the store path per request over HTTP — satchel's Redis store session vs
 * express-session + connect-redis vs a bare Redis GET/SET — for a read-only and a read+write
 * request, with store round trips per request counted by the server (bench/servers/store-server.ts).
 */
import { fileURLToPath } from "node:url";
import { startChild } from "../lib/child.ts";
import type { BenchContext } from "../lib/context.ts";
import { treeCpuMs } from "../lib/cpu.ts";
import { cpuNote } from "../lib/cpu-note.ts";
import { cookieFrom, loadInterleaved } from "../lib/load.ts";
import type { RowInput } from "../lib/result.ts";

const SERVER = fileURLToPath(new URL("../servers/store-server.ts", import.meta.url));
const BARE = "bare Redis GET/SET";
const EXPRESS = "express-session + connect-redis";
const VARIANTS = { satchel: "satchel", [EXPRESS]: "express", [BARE]: "bare" } as const;

type Stats = Record<string, { requests: number; roundTrips: number }>;

export async function storePathFigure(ctx: BenchContext): Promise<RowInput[]> {
  const server = await startChild(process.execPath, ["--import", "tsx", SERVER], {
    env: { BENCH_PREFIX: `${ctx.runId}:fig4:` },
  });
  try {
    const base = `http://127.0.0.1:${server.port}`;
    const serverCpuMs = () => treeCpuMs(server.pid);
    const sessions = ctx.quick ? 16 : 32; // two blocks of connections
    const cookies: Record<string, string[]> = {};
    for (const path of Object.values(VARIANTS)) {
      cookies[path] = [];
      for (let i = 0; i < sessions; i++) {
        const response = await fetch(`${base}/${path}/seed`);
        if (!response.ok)
          throw new Error(`bench: seeding ${path} failed with ${response.status}: ${server.stderr()}`);
        cookies[path]?.push(cookieFrom(response));
      }
    }
    const stats = async (): Promise<Stats> => (await (await fetch(`${base}/stats`)).json()) as Stats;
    const rows: RowInput[] = [];
    for (const action of ["read", "write"] as const) {
      const before = await stats();
      const load = await loadInterleaved(
        Object.fromEntries(
          Object.entries(VARIANTS).map(([name, path]) => [
            name,
            { url: `${base}/${path}/${action}`, cookies: cookies[path] as string[] },
          ]),
        ),
        ctx.quick
          ? { connections: 8, seconds: 1, warmupSeconds: 1, repeats: 1, serverCpuMs }
          : { connections: 16, seconds: 3, warmupSeconds: 2, repeats: 7, serverCpuMs },
        ctx.log,
      );
      const after = await stats();
      const perRequest = Object.entries(VARIANTS).map(([name, path]) => {
        const requests = (after[path]?.requests ?? 0) - (before[path]?.requests ?? 0);
        const trips = (after[path]?.roundTrips ?? 0) - (before[path]?.roundTrips ?? 0);
        return `${name} ${requests > 0 ? (trips / requests).toFixed(2) : "?"}`;
      });
      const samples = load.perSecond;
      const { satchel, ...peers } = samples;
      rows.push({
        id: `store-${action}`,
        figure: 4,
        description: `Redis store session, ${action === "read" ? "read" : "read + write"} per request (HTTP)`,
        unit: "req/s",
        higherIsBetter: true,
        satchel: satchel ?? null,
        peers,
        reference: BARE,
        // Issue 13's target for this figure.
        target: `≥ 0.6× ${BARE}`,
        checks: [{ kind: "ratio", against: BARE, op: ">=", threshold: 0.6 }],
        notes: [
          `store round trips per request: ${perRequest.join(", ")}`,
          `node:http server in its own process, autocannon on 127.0.0.1, each connection keeps its own session (${sessions} seeded)`,
          "express-session runs as connect middleware on the same node:http server (no express router cost); its default touch() on unmodified sessions is kept",
          ...[cpuNote(load, BARE)].filter((note): note is string => note !== null),
        ],
      });
    }
    return rows;
  } finally {
    await server.stop();
  }
}
