/**
 * Durations in schema files: a number of seconds, or a short string like `"90s"` or `"7d"`.
 */
import { SatchelConfigError } from "./errors.ts";
import type { Duration } from "./types.ts";

/**
 * The longest cookie lifetime browsers keep (RFC 6265bis §5.6.2: Max-Age and Expires are capped at 400
 * days). Session definitions refuse a longer persistent lifetime; plain cookies are capped to it.
 */
export const COOKIE_LIFETIME_LIMIT = 400 * 86_400;

const UNIT_SECONDS = { s: 1, m: 60, h: 3_600, d: 86_400, w: 604_800 } as const;
const PATTERN = /^(\d+(?:\.\d+)?)(s|m|h|d|w)$/;

/**
 * Converts a duration to whole seconds (rounded down; at least 0).
 * @param value seconds as a number, or `"<n>s" | "<n>m" | "<n>h" | "<n>d" | "<n>w"`.
 * @param where names the option in the error, e.g. `session "auth" expiry.idle`.
 * @throws SatchelConfigError when the value is not a non-negative finite duration.
 */
export function parseDuration(value: Duration | unknown, where: string): number {
  if (typeof value === "number") {
    if (Number.isFinite(value) && value >= 0) return Math.floor(value);
    throw new SatchelConfigError(
      `satchel: ${where} must be a non-negative number of seconds or a string like "90s", "5m", "2h", "7d", "2w"; got ${String(value)}.`,
    );
  }
  if (typeof value === "string") {
    const match = PATTERN.exec(value.trim());
    if (match) {
      const amount = Number(match[1]);
      const unit = match[2] as keyof typeof UNIT_SECONDS;
      const seconds = Math.floor(amount * UNIT_SECONDS[unit]);
      if (Number.isFinite(seconds)) return seconds;
    }
    throw new SatchelConfigError(
      `satchel: ${where} has the duration ${JSON.stringify(value)}, which is not understood. ` +
        `Use seconds as a number or a string like "90s", "5m", "2h", "7d", "2w".`,
    );
  }
  throw new SatchelConfigError(
    `satchel: ${where} must be a duration (seconds as a number or a string like "7d"); got ${value === null ? "null" : typeof value}.`,
  );
}
