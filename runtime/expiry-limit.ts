/**
 * `$expire()` checked at compile time: an `absolute` lifetime longer than the definition's
 * `expiry.absolute` is a type error whose message names the limit. The generated module states each
 * session's limit as an `ExpiryLimit` (the definition's text and whole units of it), so the check
 * needs no arithmetic beyond comparing whole numbers as digit strings. Values it cannot judge at
 * compile time (a variable, a fraction like `"1.5d"`) are left to the runtime check, which throws a
 * `satchel:` error naming the limit.
 */
import type { Duration } from "./types.ts";

/** A session's `expiry.absolute` as the generated module states it: its text, and how many whole units it holds. */
export interface ExpiryLimit {
  /** As written in sessions.schema.ts (`"7d"`, or seconds): what the type error shows. */
  readonly text: string | number;
  readonly s: number;
  readonly m: number;
  readonly h: number;
  readonly d: number;
  readonly w: number;
}

/** What `$expire()` may change of one session. */
export interface ExpireOptions {
  /**
   * The session's absolute lifetime, counted from now (and from the new start after `regenerate()`):
   * at most the definition's `expiry.absolute`. Default: the one chosen before, else the definition's.
   */
  absolute?: Duration;
  /**
   * This session's idle limit (sign-out after that long without a request), `null` for none: a
   * remembered session usually wants a longer one than the definition's. Default: the one chosen
   * before, else the definition's `expiry.idle`. Capped by the absolute end, as always.
   */
  idle?: Duration | null;
  /**
   * `false`: this session's cookie is a browser-session cookie (no Max-Age; the sealed expiry still
   * applies). Default: the one chosen before, else the definition's `cookie.persistent`.
   */
  persistent?: boolean;
}

type Digit = "0" | "1" | "2" | "3" | "4" | "5" | "6" | "7" | "8" | "9";
/** The digits below each digit. */
type Below = {
  "0": never;
  "1": "0";
  "2": "0" | "1";
  "3": "0" | "1" | "2";
  "4": "0" | "1" | "2" | "3";
  "5": "0" | "1" | "2" | "3" | "4";
  "6": "0" | "1" | "2" | "3" | "4" | "5";
  "7": "0" | "1" | "2" | "3" | "4" | "5" | "6";
  "8": "0" | "1" | "2" | "3" | "4" | "5" | "6" | "7";
  "9": "0" | "1" | "2" | "3" | "4" | "5" | "6" | "7" | "8";
};
type Chars<S extends string> = S extends `${infer H}${infer R}` ? [H, ...Chars<R>] : [];
type IsWhole<S extends string> = S extends `${infer H}${infer R}`
  ? H extends Digit
    ? R extends ""
      ? true
      : IsWhole<R>
    : false
  : false;
type NoLeadingZeros<S extends string> = S extends `0${infer R}` ? (R extends "" ? S : NoLeadingZeros<R>) : S;
/** Two digit strings of one length: the first is at most the second. */
type SameLengthAtMost<A extends string, B extends string> = A extends `${infer a}${infer ra}`
  ? B extends `${infer b}${infer rb}`
    ? a extends b
      ? SameLengthAtMost<ra, rb>
      : a extends Below[b & Digit]
        ? true
        : false
    : true
  : true;
/** Whole numbers as digit strings: `A <= B`. */
type AtMost<A extends string, B extends string> = Chars<A>["length"] extends Chars<B>["length"]
  ? SameLengthAtMost<A, B>
  : Chars<B> extends [...Chars<A>, ...unknown[]]
    ? true
    : false;
/** `amount` units fit in `max` whole units; a fraction is left to the runtime check. */
type UnitsFit<Amount extends string, Max extends number> = number extends Max
  ? true
  : IsWhole<Amount> extends true
    ? AtMost<NoLeadingZeros<Amount>, `${Max}`>
    : true;
/** Whether a duration literal fits the limit (`true` when it cannot be told at compile time). */
type Fits<A, L extends ExpiryLimit> = A extends number
  ? number extends A
    ? true
    : UnitsFit<`${A}`, L["s"]>
  : A extends `${infer N}s`
    ? UnitsFit<N, L["s"]>
    : A extends `${infer N}m`
      ? UnitsFit<N, L["m"]>
      : A extends `${infer N}h`
        ? UnitsFit<N, L["h"]>
        : A extends `${infer N}d`
          ? UnitsFit<N, L["d"]>
          : A extends `${infer N}w`
            ? UnitsFit<N, L["w"]>
            : true;

/** `O` when its `absolute` fits `L`; else a type whose `absolute` is the message naming the limit. */
export type WithinExpiryLimit<O extends ExpireOptions, L extends ExpiryLimit> = [
  Fits<O["absolute"], L>,
] extends [false]
  ? {
      absolute: `satchel: at most the definition's expiry.absolute (${L["text"]})`;
      idle?: Duration | null;
      persistent?: boolean;
    }
  : O;
