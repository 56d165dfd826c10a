/**
 * The module-level helpers generated codecs call (the mismatch error, Date and BigInt from their wire
 * forms, a mask's bit count), as TypeScript source: each is emitted once per module, after the codecs
 * that use it.
 */

/** Module-level helpers a codec may need; each is emitted once per module. */
export type Shared = "mismatch" | "date" | "bigint" | "maskBits" | "plainObject";

export const SHARED_SOURCE: Record<Shared, string> = {
  mismatch: `/** A generated decode met a wire its layout does not write (the runtime treats the token as malformed). */
function codecMismatch(session: string, at: string): Error {
  return new Error(
    \`satchel: session "\${session}" data does not fit its generated layout at \${at}; if the schema changed, run satchel gen.\`,
  );
}`,
  date: `/** A Date from its wire form, epoch milliseconds. */
function dateFromWire(wire: unknown, session: string, at: string): Date {
  if (typeof wire !== "number" || !Number.isFinite(wire)) throw codecMismatch(session, at);
  return new Date(wire);
}`,
  bigint: `const BIGINT_TEXT = /^-?\\d+$/;

/** A BigInt from its wire form, decimal text. */
function bigintFromWire(wire: unknown, session: string, at: string): bigint {
  if (typeof wire !== "string" || !BIGINT_TEXT.test(wire)) throw codecMismatch(session, at);
  return BigInt(wire);
}`,
  plainObject: `/** A plain object: what zod returns for an object or a record (anything else comes out of zod changed). */
function isPlainObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}`,
  maskBits: `/** How many optional fields a mask flags (population count of a 30-bit integer). */
function maskBits(mask: number): number {
  let bits = mask - ((mask >>> 1) & 0x55555555);
  bits = (bits & 0x33333333) + ((bits >>> 2) & 0x33333333);
  return (((bits + (bits >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}`,
};

/** The order the shared helpers appear in at the end of the module. */
export const SHARED_ORDER: readonly Shared[] = ["mismatch", "date", "bigint", "maskBits", "plainObject"];
