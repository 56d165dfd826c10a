/** A session's generated codec as `satchel gen` would emit it, with the plan interpreter (its reference) doing the work. */
import { schemaFingerprint } from "../codec/fingerprint.ts";
import { type GeneratedCodec, layoutHash, planOf, positionalKey } from "../codec/plan.ts";
import { planCodec } from "../codec/plan-interpreter.ts";

/**
 * @param withKey emit the `key` gen writes since format 4 (the runtime then writes format 4);
 *   without it, the codec is one a module from before format 4 holds (format 3).
 */
export function interpretedCodec(schema: unknown, version = 1, withKey = false): GeneratedCodec {
  const plan = planOf(schema);
  const codec = planCodec(plan);
  const layout = layoutHash(plan);
  const checks = schemaFingerprint(schema);
  return {
    layout,
    checks,
    ...(withKey ? { key: positionalKey(layout, checks) } : {}),
    version,
    encode: codec.encode,
    decode: codec.decode,
    history: {},
  };
}
