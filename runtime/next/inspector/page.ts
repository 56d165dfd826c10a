/**
 * The inspector page: plain HTML with its own small stylesheet, so it works in any app whatever its
 * layout or CSS. Every value shown is escaped.
 * @internal
 */
import type { LoggedInvalidReport } from "../../session/invalid-log.ts";
import type { SessionLifetime } from "../../types.ts";
import type { InspectedSession, SessionClocks } from "./decode.ts";

/** What the page shows besides the sessions. */
interface PageContext {
  /** The path the inspector is mounted at (forms post back to it). */
  path: string;
  /** Development: show the buttons; `csrf` is their token. */
  csrf: string | null;
  now: number;
  reports: LoggedInvalidReport[];
  /** The session whose Destroy button was pressed: its card asks to confirm. */
  confirmDestroy: string | null;
}

const STATUS_TEXT: Record<InspectedSession["status"], string> = {
  none: "not sent: a request would start it fresh",
  ok: "decoded",
  malformed: "malformed: the next request starts fresh",
  tampered: "tampered: the next request starts fresh",
  expired: "expired: the next request starts fresh",
  "unknown-key": "sealed with an unknown secret: the next request starts fresh",
  "missing-record": "no live record in the store: the next request starts fresh",
  undecodable: "could not be decoded: the next request starts fresh",
};

function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** Within this many seconds before now, a time reads "just now" ("4 s ago" says nothing more). */
const JUST_NOW_SECONDS = 5;

/** "in 6 d 23 h", "in 4 min", "3 min ago", "just now". */
function relative(at: number, now: number): string {
  const seconds = Math.round((at - now) / 1000);
  if (seconds <= 0 && seconds > -JUST_NOW_SECONDS) return "just now";
  const size = Math.abs(seconds);
  const units: [number, string][] = [
    [86_400, "d"],
    [3_600, "h"],
    [60, "min"],
  ];
  let text = `${size} s`;
  for (const [unit, label] of units) {
    if (size >= unit) {
      const whole = Math.floor(size / unit);
      const rest = size - whole * unit;
      const next = units.find(([u]) => u < unit);
      text =
        next && rest >= next[0]
          ? `${whole} ${label} ${Math.floor(rest / next[0])} ${next[1]}`
          : `${whole} ${label}`;
      break;
    }
  }
  return seconds > 0 ? `in ${text}` : `${text} ago`;
}

/** Seconds as the largest whole unit that divides them: "30 days", "2 hours", "90 seconds". */
function span(seconds: number): string {
  const units: [number, string][] = [
    [86_400, "day"],
    [3600, "hour"],
    [60, "minute"],
  ];
  const [size, label] = units.find(([size]) => seconds % size === 0) ?? [1, "second"];
  const count = seconds / size;
  return `${count} ${label}${count === 1 ? "" : "s"}`;
}

/** The session's lifetime: who chose it, how long, idle limit, and what kind of cookie carries it. */
function lifetimeText(lifetime: SessionLifetime): string {
  const idle = lifetime.idle === null ? "no idle limit" : `idle ${span(lifetime.idle)}`;
  const cookie = lifetime.persistent ? "persistent cookie" : "browser-session cookie";
  const who = lifetime.chosen ? "chosen by <code>$expire()</code>" : "the definition's";
  return `${span(lifetime.absolute)}, ${idle}, ${cookie} <small>${who}</small>`;
}

function clockRows(clocks: SessionClocks, now: number): string {
  const at = (time: number) => `${relative(time, now)} <small>${new Date(time).toISOString()}</small>`;
  const row = (label: string, cell: string) => `<tr><th>${label}</th><td>${cell}</td></tr>`;
  const touch = clocks.nextTouchAt;
  return [
    row("lifetime", lifetimeText(clocks.lifetime)),
    row("created", at(clocks.createdAt)),
    row("absolute expiry", at(clocks.absoluteEndsAt)),
    row("idle expiry", clocks.idleEndsAt === null ? "no idle limit" : at(clocks.idleEndsAt)),
    row(
      "next touch writes",
      touch === null
        ? "never (no idle limit, or the absolute expiry comes first)"
        : touch <= now
          ? "on the next request"
          : at(touch),
    ),
  ].join("");
}

/** A same-origin post carrying the CSRF token; `confirmed` marks the second step of Destroy. */
function button(
  ctx: PageContext,
  session: string,
  action: string,
  label: string,
  testId = `${action}-${session}`,
  confirmed = false,
): string {
  if (ctx.csrf === null) return "";
  return `<form method="post" action="${escapeHtml(ctx.path)}"><input type="hidden" name="_csrf" value="${escapeHtml(ctx.csrf)}"><input type="hidden" name="session" value="${escapeHtml(session)}">${confirmed ? '<input type="hidden" name="confirm" value="1">' : ""}<button name="action" value="${action}" data-testid="${escapeHtml(testId)}">${label}</button></form>`;
}

/**
 * Destroy's second step, in place of the card's buttons: a plain form and a link, so it works
 * without JavaScript (the first post only redirects here).
 */
function confirmDestroy(session: InspectedSession, ctx: PageContext): string {
  const e = escapeHtml;
  const what =
    session.storage === "store"
      ? "Its store record is deleted and its cookie cleared"
      : "Its cookie is cleared";
  return `<div class="confirm" role="alert" data-testid="confirm-destroy-${e(session.name)}"><p>Destroy session <b>${e(session.name)}</b>? ${what}; this browser's next request starts it fresh.</p><div class="buttons">${button(ctx, session.name, "destroy", "Yes, destroy", `destroy-confirmed-${session.name}`, true)}<a href="${e(ctx.path)}" data-testid="cancel-destroy-${e(session.name)}">Cancel</a></div></div>`;
}

/** Types past this many characters are cut in the column; the whole type is the cell's tooltip. */
const TYPE_COLUMN_CHARS = 60;

function typeCell(type: string): string {
  if (type.length <= TYPE_COLUMN_CHARS) return `<td class="type">${escapeHtml(type)}</td>`;
  return `<td class="type" title="${escapeHtml(type)}">${escapeHtml(type.slice(0, TYPE_COLUMN_CHARS - 1))}…</td>`;
}

function sessionCard(session: InspectedSession, ctx: PageContext): string {
  const e = escapeHtml;
  const where =
    session.storage === "cookie"
      ? "sealed cookie"
      : `store <b>${e(session.store ?? "")}</b>, id in ${session.transport === "header" ? "a header" : "the cookie"}`;
  const version =
    session.storedVersion === null
      ? `v${session.currentVersion}`
      : session.storedVersion === session.currentVersion
        ? `v${session.currentVersion}`
        : `stored v${session.storedVersion}, migrates to v${session.currentVersion}`;
  const totalBytes = session.cookies.reduce((sum, c) => sum + c.bytes, 0);
  const cookies =
    session.cookies.length === 0
      ? "no cookie"
      : `${session.cookies.map((c) => `<code>${e(c.name)}</code> ${c.bytes} B`).join(", ")}${session.cookies.length > 1 ? ` — ${session.cookies.length} chunks, ${totalBytes} B` : ""}`;
  const fields = session.fields
    .map(
      (f) =>
        `<tr${f.declared ? "" : ' class="undeclared"'}><th><code>${e(f.name)}</code></th>${typeCell(f.type)}<td>${f.set ? `<pre>${e(f.value)}</pre>` : "<i>not set</i>"}</td></tr>`,
    )
    .join("");
  const flash = session.flash
    .map(
      (f) =>
        `<li><code>${e(f.channel)}</code>: ${f.values.length === 0 ? "<i>none waiting</i>" : f.values.map((v) => `<code>${e(v)}</code>`).join(" ")}</li>`,
    )
    .join("");
  const messages =
    session.messages === null
      ? ""
      : `<h4>Messages</h4>${session.messages.length === 0 ? "<p><i>none waiting</i></p>" : `<ul class="messages">${session.messages.map((m) => `<li class="level-${e(m.level)}"><b>${e(m.level)}</b> ${m.title ? `<b>${e(m.title)}:</b> ` : ""}${e(m.body)}</li>`).join("")}</ul>`}`;
  const hasFlash = session.flash.length > 0 || session.messages !== null;
  const buttons =
    ctx.csrf === null || session.status !== "ok"
      ? ""
      : ctx.confirmDestroy === session.name
        ? confirmDestroy(session, ctx)
        : `<div class="buttons">${hasFlash ? button(ctx, session.name, "clear-flash", "Clear flash") : ""}${button(ctx, session.name, "reset", "Reset")}${button(ctx, session.name, "destroy", "Destroy")}</div>`;
  return `<section class="session status-${session.status}" id="session-${e(session.name)}" data-testid="session-${e(session.name)}">
<h2>${e(session.name)} <span class="badge">${where}</span> <span class="badge">${e(version)}</span></h2>
<p class="status">${e(STATUS_TEXT[session.status])}${session.staleKey ? " — sealed with an older secret, re-sealed on the next write" : ""}${session.recordVersion === null ? "" : ` — record version ${session.recordVersion}`}</p>
<p class="cookies">Cookie <code>${e(session.cookieName)}</code>: ${cookies}</p>
<table class="fields"><thead><tr><th>field</th><th>type</th><th>value</th></tr></thead><tbody>${fields}</tbody></table>
${session.flash.length > 0 ? `<h4>Flash</h4><ul class="flash">${flash}</ul>` : ""}${messages}
${session.clocks === null ? "" : `<h4>Expiry</h4><table class="clocks">${clockRows(session.clocks, ctx.now)}</table>`}
${buttons}
</section>`;
}

function reportList(reports: LoggedInvalidReport[], now: number): string {
  if (reports.length === 0) return "<p><i>none since this process started</i></p>";
  return `<ul class="reports">${reports
    .map(
      (r) =>
        `<li><b>${escapeHtml(r.token === undefined ? r.session : `token ${r.token}`)}</b> ${escapeHtml(r.reason)}${r.detail ? ` — ${escapeHtml(r.detail)}` : ""} <small>${relative(r.at, now)}</small></li>`,
    )
    .join("")}</ul>`;
}

const STYLE = `
body{font:15px/1.45 system-ui,sans-serif;margin:0;background:#f6f5f1;color:#1f2328}
header{background:#1f2328;color:#fff;padding:.8rem 1.5rem;display:flex;gap:1rem;align-items:baseline}
header h1{font-size:1.2rem;margin:0}header p{margin:0;opacity:.75}
main{max-width:1100px;margin:1.5rem auto;padding:0 1rem;display:grid;gap:1rem;grid-template-columns:repeat(auto-fill,minmax(480px,1fr))}
.session,.panel{background:#fff;border:1px solid #ddd8cc;border-radius:10px;padding:1rem 1.2rem}
.session h2{font-size:1.1rem;margin:0 0 .4rem}
.badge{font-size:.75rem;font-weight:500;background:#ece8dc;border-radius:99px;padding:.1rem .6rem;margin-left:.3rem}
.status{margin:.2rem 0;color:#57606a}.status-ok .status{color:#1a7f37}
.status-tampered,.status-malformed,.status-expired,.status-unknown-key,.status-missing-record,.status-undecodable{border-color:#cf222e}
.status-tampered .status,.status-malformed .status,.status-expired .status{color:#cf222e}
.status-none{opacity:.7}
table{border-collapse:collapse;width:100%;margin:.4rem 0}th,td{text-align:left;vertical-align:top;padding:.2rem .5rem;border-bottom:1px solid #eee}
thead th{font-size:.75rem;text-transform:uppercase;color:#57606a}
.type{color:#8250df;font-family:ui-monospace,monospace;font-size:.85rem;white-space:nowrap}
.undeclared th{text-decoration:line-through}
pre{margin:0;font-size:.85rem;white-space:pre-wrap;word-break:break-all}
h4{margin:.8rem 0 .2rem;font-size:.85rem;text-transform:uppercase;color:#57606a}
ul{margin:.2rem 0;padding-left:1.2rem}
.messages li{list-style:none;margin:.2rem 0 .2rem -1.2rem;padding:.2rem .6rem;border-left:4px solid #999;background:#f6f8fa}
.level-success{border-color:#1a7f37!important}.level-info{border-color:#0969da!important}.level-warning{border-color:#bf8700!important}.level-error{border-color:#cf222e!important}
small{color:#57606a}
.buttons{display:flex;gap:.5rem;margin-top:.8rem}.buttons form{margin:0}
button{font:inherit;border:1px solid #d0d7de;background:#f6f8fa;border-radius:6px;padding:.25rem .8rem;cursor:pointer}
button[value=destroy]{color:#cf222e}
.confirm{margin-top:.8rem;padding:.6rem .8rem;border:1px solid #cf222e;border-radius:8px;background:#fff5f5}
.confirm p{margin:0}.confirm .buttons{align-items:center}
.panel{grid-column:1/-1}
`;

/** The whole page. */
export function renderInspectorPage(sessions: InspectedSession[], ctx: PageContext): string {
  const mode = ctx.csrf === null ? "read-only" : "development: buttons change this browser's sessions";
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><title>satchel inspector</title><style>${STYLE}</style></head>
<body><header><h1>satchel inspector</h1><p>this browser's sessions, decoded — ${mode}</p></header>
<main>${sessions.map((s) => sessionCard(s, ctx)).join("\n")}
<section class="panel" data-testid="invalid-reports"><h2>Last onInvalid reports of this process</h2>${reportList(ctx.reports, ctx.now)}</section></main></body></html>`;
}
