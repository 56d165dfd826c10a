/**
 * Format 2, the keyed format: `[2, version, fingerprint, data(, flash, messages)]`, what a session
 * writes without an up-to-date generated codec. Its data is the session's keyed plan
 * (`keyedPlanOf`: the plan walk with every object keyed) as the plan interpreter writes and reads it:
 *
 * - `data` is JSON shaped like the data itself (keys kept, so older versions stay readable by
 *   migrations and a field added later simply is absent), with only what JSON cannot say converted
 *   where the schema puts it: Date → epoch ms, BigInt → decimal string, Map → `[[k, v], …]`,
 *   Set → `[…]`. A schema of JSON types only is written by one `JSON.stringify` of the data.
 * - Parts the schema cannot type (`z.any()`, `z.unknown()`, transforms, lazy, custom, loose objects,
 *   optional array items) are superjson `[json]` / `[json, meta]`.
 * - `fingerprint` is `schemaFingerprint(schema)` computed at run time.
 *
 * Limits, documented: `-0` is written as `0`; an optional field that is present as `undefined` reads
 * back as absent; migrations from a format-2 token receive the data in its stored JSON form (Dates as
 * epoch ms, BigInts as strings, Maps as pair arrays, Sets as arrays).
 */
import { hasSuperjsonPart, keyedPlanOf } from "./plan.ts";
import { type PlanCodec, planCodec } from "./plan-interpreter.ts";

/** The format tag of keyed envelopes. */
export const KEYED_FORMAT = 2;

/** A session schema's format-2 data, both ways. */
export interface KeyedFormat {
  /** The layout has no superjson part: trusted data re-encodes to the very text it was read from. */
  readonly exact: boolean;
  /** Validated data → its keyed wire value. */
  encode(data: unknown): unknown;
  /**
   * Wire of a trusted token → data, checked as strictly as a format-3 decode.
   * @throws SatchelError when the wire is not what `encode` writes.
   */
  decodeTrusted(wire: unknown): unknown;
  /**
   * Wire of any other token of the session's version → data with Dates, BigInts, Maps and Sets
   * restored where the wire fits, missing keys left missing and unknown keys kept for zod; the wire
   * itself when it does not fit (zod then says why).
   */
  decodeUntrusted(wire: unknown): unknown;
}

/** The format-2 codec of a session schema. Build it once per schema: it compiles the keyed plan. */
export function keyedFormat(schema: unknown): KeyedFormat {
  const plan = keyedPlanOf(schema);
  const strict = planCodec(plan);
  let lenient: PlanCodec | undefined;
  return {
    exact: !hasSuperjsonPart(plan),
    encode: strict.encode,
    decodeTrusted: strict.decode,
    decodeUntrusted(wire) {
      lenient ??= planCodec(plan, { lenient: true });
      try {
        return lenient.decode(wire);
      } catch {
        return wire;
      }
    },
  };
}
