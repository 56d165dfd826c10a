/** `bench/results.md`: the table README.md shows, with the machine, the date and the notes. */
import type { FigureResult, Results } from "./result.ts";

/** Numbers as people read them: 12,345 ops/s, 0.91×, 3.2 ms. */
export function formatNumber(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 100 || Number.isInteger(value)) return Math.round(value).toLocaleString("en-US");
  if (abs >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

function withSpread(result: FigureResult, name: string, value: number): string {
  const spread = result.spread[name];
  if (!spread || spread.samples < 2 || spread.min === spread.max) return formatNumber(value);
  return `${formatNumber(value)} (${formatNumber(spread.min)}–${formatNumber(spread.max)})`;
}

function verdict(result: FigureResult): string {
  if (result.skipped !== undefined) return "skipped";
  if (result.met === null) return "—";
  return result.met ? "✅ met" : "❌ **missed**";
}

function checksText(result: FigureResult): string {
  const parts = result.checks
    .filter((c) => c.actual !== null)
    .map((c) =>
      c.kind === "ratio"
        ? `${formatNumber(c.actual as number)}× ${c.against}`
        : `${formatNumber(c.actual as number)} ${result.unit}`,
    );
  return parts.join("; ") || "—";
}

/** The results table in markdown. */
export function renderMarkdown(results: Results): string {
  const lines: string[] = [];
  lines.push("# satchel benchmarks");
  lines.push("");
  lines.push(`Machine: ${results.machine} · Node ${results.node} · ${results.date}`);
  lines.push(
    `Command: \`${results.command}\`${results.quick ? " — **quick smoke run: numbers not meaningful**" : ""}`,
  );
  lines.push("");
  lines.push(
    `Medians of repeated runs after a warm-up; (min–max) of the runs in brackets. Load average ${results.loadAverage.start} at the start, ${results.loadAverage.end} at the end (${results.durationSeconds} s run).`,
  );
  lines.push("");
  lines.push("| # | Measure | Unit | satchel | Peers (same run) | satchel vs peer | Target | Result |");
  lines.push("|---|---|---|---|---|---|---|---|");
  for (const r of results.figures) {
    const satchel = r.satchel === null ? "—" : withSpread(r, "satchel", r.satchel);
    const peers =
      Object.entries(r.peers)
        .map(([name, value]) => `${name}: ${withSpread(r, name, value)}`)
        .join("<br>") || "—";
    lines.push(
      `| ${r.figure} | ${r.description} | ${r.unit} | ${satchel} | ${peers} | ${checksText(r)} | ${r.target} | ${verdict(r)} |`,
    );
  }
  lines.push("");
  lines.push("## Notes");
  lines.push("");
  for (const r of results.figures) {
    const notes = [...(r.skipped !== undefined ? [`skipped: ${r.skipped}`] : []), ...r.notes];
    if (notes.length === 0) continue;
    lines.push(`- **${r.description}** — ${notes.join("; ")}`);
  }
  lines.push("");
  return lines.join("\n");
}
