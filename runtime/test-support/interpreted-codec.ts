/** A session's generated codec as `satchel gen` would emit it, with the plan interpreter (its reference) doing the work. */
import { schemaFingerprint } from "../codec/fingerprint.ts";
import { type GeneratedCodec, layoutHash, planOf } from "../codec/plan.ts";
import { planCodec } from "../codec/plan-interpreter.ts";

export function interpretedCodec(schema: unknown, version = 1): GeneratedCodec {
  const plan = planOf(schema);
  const codec = planCodec(plan);
  return {
    layout: layoutHash(plan),
    checks: schemaFingerprint(schema),
    version,
    encode: codec.encode,
    decode: codec.decode,
    history: {},
  };
}
