/**
 * The last `onInvalid` reports of this process, for the development inspector (`satchel/next`'s
 * `createInspector`). Kept on `globalThis` under a registered symbol, so every copy of the runtime a
 * bundler makes (proxy, route handlers, pages) shares one list.
 * @internal not part of the public API.
 */
import type { InvalidReport } from "../types.ts";

/** How many reports are kept; older ones are dropped. */
export const INVALID_LOG_SIZE = 20;

/** One report and when it was made. */
export type LoggedInvalidReport = InvalidReport & {
  /** Epoch milliseconds. */
  at: number;
};

const KEY = Symbol.for("satchel.invalidReports");

function log(): LoggedInvalidReport[] {
  const holder = globalThis as { [KEY]?: LoggedInvalidReport[] };
  holder[KEY] ??= [];
  return holder[KEY];
}

/** Remembers a report (a copy), dropping the oldest past `INVALID_LOG_SIZE`. */
export function recordInvalidReport(report: InvalidReport, at: number): void {
  const entries = log();
  entries.push({ ...report, at });
  if (entries.length > INVALID_LOG_SIZE) entries.splice(0, entries.length - INVALID_LOG_SIZE);
}

/** The remembered reports, newest first. */
export function recentInvalidReports(): LoggedInvalidReport[] {
  return [...log()].reverse();
}
