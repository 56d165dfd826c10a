/**
 * The harness works: a --quick run of the cheap, in-process figures (1, 2 and 7) writes all three
 * files, and every row's ratio and `met` follow from its own numbers. The numbers themselves are not
 * asserted — they depend on the machine.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { evaluate, type Results, type RowInput } from "./lib/result.ts";
import { exact, summarize } from "./lib/stats.ts";

const run = promisify(execFile);
const root = fileURLToPath(new URL("..", import.meta.url));

describe("evaluate", () => {
  const row = (satchel: number, peer: number): RowInput => ({
    id: "t",
    figure: 1,
    description: "t",
    unit: "ops/s",
    higherIsBetter: true,
    satchel: exact(satchel),
    peers: { peer: exact(peer), limit: exact(peer * 10) },
    reference: "peer",
    target: "≥ 2× peer and ≥ 0.1× limit",
    checks: [
      { kind: "ratio", against: "peer", op: ">=", threshold: 2 },
      { kind: "ratio", against: "limit", op: ">=", threshold: 0.1 },
    ],
  });

  it("takes the ratio against the reference and meets the target only when every check holds", () => {
    const met = evaluate(row(300, 100));
    expect(met.ratio).toBe(3);
    expect(met.checks.map((c) => c.actual)).toEqual([3, 0.3]);
    expect(met.met).toBe(true);
    const missed = evaluate(row(150, 100));
    expect(missed.ratio).toBe(1.5);
    // One check holds (0.15× limit ≥ 0.1), the other does not (1.5× peer < 2): missed.
    expect(missed.checks.map((c) => c.met)).toEqual([false, true]);
    expect(missed.met).toBe(false);
  });

  it("checks plain values for absolute targets and leaves skipped rows undecided", () => {
    const base: RowInput = {
      id: "lost",
      figure: 5,
      description: "lost",
      unit: "items lost",
      higherIsBetter: false,
      satchel: exact(0),
      peers: {},
      reference: null,
      target: "0 lost",
      checks: [{ kind: "value", op: "==", threshold: 0 }],
    };
    expect(evaluate(base).met).toBe(true);
    expect(evaluate({ ...base, satchel: exact(3) }).met).toBe(false);
    expect(evaluate({ ...base, satchel: null, skipped: "no server" }).met).toBeNull();
    expect(evaluate(base).ratio).toBeNull();
  });

  it("reports the median with its spread", () => {
    const s = summarize([5, 1, 3, 9, 7]);
    expect(s).toEqual({ median: 5, min: 1, max: 9, samples: 5 });
    expect(summarize([1, 2, 3, 4]).median).toBe(2.5);
  });
});

describe("npm run bench -- --quick", () => {
  let out: string;
  let results: Results;
  let markdown: string;
  let svg: string;

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), "satchel-bench-test-"));
    await run(
      join(root, "node_modules/.bin/tsx"),
      ["bench/run.ts", "--quick", "--only", "1,2,7", "--out", out],
      {
        cwd: root,
        timeout: 110_000,
      },
    );
    results = JSON.parse(await readFile(join(out, "results.json"), "utf8")) as Results;
    markdown = await readFile(join(out, "results.md"), "utf8");
    svg = await readFile(join(out, "results.svg"), "utf8");
  }, 120_000);

  afterAll(async () => {
    await rm(out, { recursive: true, force: true });
  });

  it("writes results.json with the machine, the date and one row per measurement", () => {
    expect(results.quick).toBe(true);
    expect(results.machine).toMatch(/\S/);
    expect(results.node).toBe(process.versions.node);
    expect(Number.isNaN(Date.parse(results.date))).toBe(false);
    expect(results.figures.map((f) => f.id).sort()).toEqual([
      "cookie-bytes-2kb",
      "cookie-bytes-300b",
      "cookie-bytes-runtime-2kb",
      "cookie-bytes-runtime-300b",
      "fetch-read-2kb",
      "fetch-read-300b",
      "fetch-write-2kb",
      "fetch-write-300b",
      "growth-bytes-2kb",
      "growth-bytes-3.5kb",
      "growth-bytes-300b",
      "growth-bytes-4.5kb",
      "growth-bytes-slope",
      "growth-sessions-1",
      "growth-sessions-3",
      "growth-sessions-6",
      "growth-sessions-slope",
      "seal-2kb",
      "seal-300b",
    ]);
    for (const f of results.figures) {
      expect(f.skipped).toBeUndefined();
      expect(typeof f.satchel).toBe("number");
      expect(f.reference === null || f.reference in f.peers).toBe(true);
      // The Fetch adapter and growth rows compare with a hand-rolled session, the others with iron-session.
      expect(Object.keys(f.peers)).toContain(
        /^(fetch|growth)-/.test(f.id) ? "hand-rolled GCM+JSON session (Fetch)" : "iron-session",
      );
    }
  });

  it("computes every ratio and met from the row's own numbers", () => {
    for (const f of results.figures) {
      const reference = f.reference === null ? undefined : f.peers[f.reference];
      expect(f.ratio).toBeCloseTo((f.satchel as number) / (reference as number), 10);
      for (const c of f.checks) {
        const value =
          c.kind === "ratio" ? (f.satchel as number) / (f.peers[c.against as string] as number) : f.satchel;
        expect(c.actual).toBeCloseTo(value as number, 10);
        const holds =
          c.op === ">=" ? (c.actual as number) >= c.threshold : (c.actual as number) <= c.threshold;
        expect(c.met).toBe(holds);
      }
      expect(f.met).toBe(f.checks.every((c) => c.met));
    }
  });

  it("writes the markdown table and the SVG chart from the same rows", () => {
    expect(markdown).toContain(results.machine);
    expect(markdown).toContain("| # | Measure |");
    for (const f of results.figures) expect(markdown).toContain(f.description);
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg.match(/<rect /g)?.length).toBeGreaterThan(results.figures.length);
  });
});
