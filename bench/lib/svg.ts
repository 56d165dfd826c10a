/**
 * `bench/results.svg`: one small bar panel per row, satchel highlighted, each target drawn as a
 * dashed line at the value it asks for (threshold × the peer's median for ratio targets).
 * Hand-written SVG, no chart library: it only needs rectangles, lines and text.
 */
import { formatNumber } from "./markdown.ts";
import type { FigureResult, Results } from "./result.ts";

const WIDTH = 920;
const LABEL_WIDTH = 270;
const VALUE_WIDTH = 110;
const BAR_HEIGHT = 14;
const BAR_GAP = 5;
const PANEL_TOP = 26;
const PANEL_GAP = 16;
const PLOT_WIDTH = WIDTH - LABEL_WIDTH - VALUE_WIDTH - 20;
const SATCHEL = "#2563eb";
const PEER = "#9ca3af";
const MISSED = "#dc2626";
const MET = "#16a34a";

/** Escapes text for SVG. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The values a row's targets stand for, in the row's unit. */
function targetLines(r: FigureResult): { value: number; label: string }[] {
  const lines: { value: number; label: string }[] = [];
  for (const c of r.checks) {
    if (c.kind === "value")
      lines.push({ value: c.threshold, label: `target ${c.op} ${formatNumber(c.threshold)}` });
    else if (c.against !== undefined && r.peers[c.against] !== undefined) {
      lines.push({
        value: c.threshold * (r.peers[c.against] as number),
        label: `${c.op} ${formatNumber(c.threshold)}× ${c.against}`,
      });
    }
  }
  return lines;
}

function panel(r: FigureResult, top: number): { svg: string; height: number } {
  const bars: { name: string; value: number; satchel: boolean }[] = [];
  if (r.satchel !== null) bars.push({ name: "satchel", value: r.satchel, satchel: true });
  for (const [name, value] of Object.entries(r.peers)) bars.push({ name, value, satchel: false });
  const targets = targetLines(r);
  const max = Math.max(1e-9, ...bars.map((b) => b.value), ...targets.map((t) => t.value));
  const scale = (v: number) => (v / max) * PLOT_WIDTH;
  const verdict =
    r.skipped !== undefined ? "skipped" : r.met === null ? "" : r.met ? "target met" : "target missed";
  const color = r.met === true ? MET : r.met === false ? MISSED : "#6b7280";
  const parts: string[] = [];
  const better = r.higherIsBetter ? "higher is better" : "lower is better";
  parts.push(
    `<text x="10" y="${top + 16}" font-weight="600">${escapeXml(`${r.figure}. ${r.description}`)} <tspan fill="#6b7280" font-weight="400">(${escapeXml(`${r.unit}, ${better}`)})</tspan> <tspan fill="${color}">${escapeXml(verdict)}</tspan></text>`,
  );
  let y = top + PANEL_TOP;
  if (bars.length === 0) {
    parts.push(`<text x="20" y="${y + 12}" fill="#6b7280">${escapeXml(r.skipped ?? "not measured")}</text>`);
    y += BAR_HEIGHT + BAR_GAP;
  }
  for (const bar of bars) {
    const w = Math.max(1, scale(bar.value));
    parts.push(
      `<text x="${LABEL_WIDTH - 8}" y="${y + 11}" text-anchor="end"${bar.satchel ? ' font-weight="600"' : ""}>${escapeXml(bar.name)}</text>`,
    );
    parts.push(
      `<rect x="${LABEL_WIDTH}" y="${y}" width="${w.toFixed(1)}" height="${BAR_HEIGHT}" fill="${bar.satchel ? SATCHEL : PEER}" rx="2"/>`,
    );
    parts.push(
      `<text x="${(LABEL_WIDTH + w + 6).toFixed(1)}" y="${y + 11}">${escapeXml(formatNumber(bar.value))}</text>`,
    );
    y += BAR_HEIGHT + BAR_GAP;
  }
  const barsTop = top + PANEL_TOP - 3;
  for (const t of targets) {
    const x = (LABEL_WIDTH + scale(t.value)).toFixed(1);
    parts.push(
      `<line x1="${x}" y1="${barsTop}" x2="${x}" y2="${y}" stroke="${color}" stroke-dasharray="4 3" stroke-width="1.5"><title>${escapeXml(t.label)}</title></line>`,
    );
  }
  return { svg: parts.join("\n"), height: y - top + PANEL_GAP };
}

/** The whole chart. */
export function renderSvg(results: Results): string {
  const panels: string[] = [];
  let top = 44;
  for (const r of results.figures) {
    const p = panel(r, top);
    panels.push(p.svg);
    top += p.height;
  }
  const height = top + 24;
  const title = `satchel vs peers — ${results.machine}, Node ${results.node}, ${results.date.slice(0, 10)}${results.quick ? " (quick smoke run)" : ""}`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12" role="img" aria-label="satchel benchmark results">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="10" y="24" font-size="15" font-weight="700">${escapeXml(title)}</text>`,
    ...panels,
    `<text x="10" y="${height - 8}" fill="#6b7280">Dashed line: the value a target asks for (green met, red missed). Medians of repeated runs; see results.md for spread and notes.</text>`,
    "</svg>",
    "",
  ].join("\n");
}
