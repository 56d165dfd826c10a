/**
 * Figure 8: instructions per request (callgrind, bench/lib/callgrind.ts) for the ~300-byte session of
 * figures 1–2, satchel against the hand-rolled peer it is held to, counted in one process per variant
 * (bench/micro/public-path.ts). Only the main thread's instructions in steady state count: the
 * measured ops run after thousands of warm-up ops, between two marks the script calls, so start-up,
 * warm-up, exit and V8's background compiler threads are left out. Each variant is counted `runs`
 * times; the spread shows how repeatable the count is.
 */

import {
  bundle,
  DEFAULT_WARMUP,
  hasValgrind,
  NODE_ARGS,
  repeatedInstructionsPerOp,
} from "../lib/callgrind.ts";
import type { BenchContext } from "../lib/context.ts";
import type { RowInput } from "../lib/result.ts";

const MICRO = new URL("../micro/public-path.ts", import.meta.url).pathname;
const HAND = "hand-rolled GCM+JSON session (Fetch)";
const RAW = "raw AES-GCM+JSON (node:crypto)";

interface Pair {
  id: string;
  description: string;
  /** micro/public-path.ts variants: satchel's and the peer's. */
  satchel: string;
  peer: string;
  peerName: string;
  /** Issue 23's floor, as the largest instruction ratio that meets it. */
  ceiling: number;
  floor: string;
}

const PAIRS: Pair[] = [
  {
    id: "instructions-fetch-write-300b",
    description: "Instructions per request, Fetch adapter read + write, ~300 B",
    satchel: "satchel",
    peer: "raw-fetch",
    peerName: HAND,
    ceiling: 1,
    floor: "issue 23: read + write ≥ 1.0× the hand-rolled rate",
  },
  {
    id: "instructions-fetch-read-300b",
    description: "Instructions per request, Fetch adapter read, ~300 B",
    satchel: "satchel-read",
    peer: "raw-fetch-read",
    peerName: HAND,
    ceiling: 1 / 0.9,
    floor: "issue 23: read ≥ 0.90× the hand-rolled rate",
  },
  {
    id: "instructions-seal-300b",
    description: "Instructions per op, seal + unseal through open(), ~300 B",
    satchel: "satchel-open",
    peer: "raw",
    peerName: RAW,
    ceiling: 1 / 0.8,
    floor: "issue 23: ≥ 0.80× the raw loop's rate",
  },
];

/** Figure 8: main-thread, steady-state instructions per request, satchel vs its peer. */
export async function instructionsFigure(ctx: BenchContext): Promise<RowInput[]> {
  // --quick: the read + write pair once each, a few ops: it checks the counting, not the numbers.
  const pairs = ctx.quick ? PAIRS.slice(0, 1) : PAIRS;
  const ops = ctx.quick ? 20 : 300;
  const warmup = ctx.quick ? 200 : DEFAULT_WARMUP;
  const runs = ctx.quick ? 1 : 3;
  const skipped = (await hasValgrind()) ? undefined : "valgrind is not installed here";
  const bundled = skipped === undefined ? await bundle(MICRO) : "";
  const rows: RowInput[] = [];
  for (const pair of pairs) {
    const count = async (variant: string) => {
      ctx.log(`  ${variant}: ${runs} × ${ops} ops after ${warmup} warm-up ops under callgrind`);
      return repeatedInstructionsPerOp(bundled, variant, ops, runs, { rest: ["small"], warmup });
    };
    const satchel = skipped === undefined ? await count(pair.satchel) : null;
    const peer = skipped === undefined ? await count(pair.peer) : null;
    rows.push({
      id: pair.id,
      figure: 8,
      description: pair.description,
      unit: "instructions",
      higherIsBetter: false,
      satchel,
      peers: peer === null ? {} : { [pair.peerName]: peer },
      reference: pair.peerName,
      target: `≤ ${pair.ceiling.toFixed(2)}× ${pair.peerName === HAND ? "hand-rolled" : "raw loop"} (${pair.floor})`,
      checks: [{ kind: "ratio", against: pair.peerName, op: "<=", threshold: pair.ceiling }],
      notes: [
        `main thread only, ${ops} ops counted after ${warmup.toLocaleString("en-US")} warm-up ops, ${runs} run${runs === 1 ? "" : "s"} per variant (spread = the runs'); node ${NODE_ARGS.join(" ")}; \`npx tsx bench/lib/callgrind.ts --runs ${runs} --warmup ${warmup} bench/micro/public-path.ts ${ops} ${pair.satchel} small\``,
      ],
      ...(skipped === undefined ? {} : { skipped }),
    });
  }
  return rows;
}
