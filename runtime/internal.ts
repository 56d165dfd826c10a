/**
 * @internal `satchel/internal`: the runtime pieces the code generator (`satchel-kit`) reuses so that
 * its build-time cookie-size check seals exactly as the runtime does. Not a public API: no semver
 * promise; the kit pins the runtime's exact version. Apps import `satchel` and `satchel/next`.
 *
 * @packageDocumentation
 */

/** @internal */
export { encodeEnvelope, packForCookie } from "./codec.ts";
/** @internal */
export { createSealer, type Sealer } from "./seal.ts";
