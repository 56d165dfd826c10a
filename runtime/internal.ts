/**
 * @internal `satchel/internal`: the runtime pieces the code generator (`satchel-kit`) reuses so that
 * its build-time cookie-size check seals exactly as the runtime does, and so that the codecs it emits
 * follow the runtime's plan of each schema. Not a public API: no semver promise; the kit pins the
 * runtime's exact version. Apps import `satchel` and `satchel/next`.
 *
 * @packageDocumentation
 */

/** @internal */
export {
  type ConstraintPlan,
  constraintsOf,
  type NumberCheck,
  type SizeCheck,
  type StringCheck,
} from "./codec/checks.ts";
/** @internal */
export { packForCookie } from "./codec/compress.ts";
/** @internal */
export { encodeEnvelope } from "./codec/envelope.ts";
/** @internal */
export { checksHash, describeSchema, schemaFingerprint } from "./codec/fingerprint.ts";
/** @internal */
export {
  acceptsUndefined,
  type GeneratedCodec,
  isPlainPlan,
  layoutHash,
  MAX_MASKED_FIELDS,
  type Plan,
  type PlanField,
  type PlanLiteral,
  planOf,
  positionalKey,
} from "./codec/plan.ts";
/** @internal */
export { type PlanCodec, planCodec } from "./codec/plan-interpreter.ts";
/** @internal */
export { createSealer, type Sealer } from "./crypto/seal.ts";
