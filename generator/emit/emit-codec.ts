/**
 * Emits a session's positional (format 4) codec as TypeScript source: from the session's plan (its positional
 * wire layout, see runtime/codec/plan.ts), straight-line code that writes and reads exactly the wire
 * the runtime's plan interpreter (`planCodec`, runtime/codec/plan-interpreter.ts) writes and reads, without
 * walking a plan at run time.
 *
 * - encode (codec/encode.ts): one array literal for an object without optional fields; with optional
 *   fields, a mask built field by field in schema order. Plain parts (the wire is the value) are not
 *   walked at all.
 * - decode (codec/decode.ts, codec/wire-checks.ts): strict, like the interpreter's: types, array and
 *   tuple lengths, mask range and exact length, enum values by `===`, no extra object keys; it throws
 *   an Error on the first mismatch.
 * - Each nested array, set, map, record, tuple or object gets a small helper function of its own
 *   (codec/session-helpers.ts), so every loop sees one shape of value (monomorphic) and the code reads
 *   top-down.
 *
 * Pure text in, text out: no TypeScript compiler, no zod (cold `gen` stays cheap).
 */
import type { ConstraintPlan, Plan } from "satchel/internal";
import { ConstraintChecks } from "./codec/constraints.ts";
import { CodecDecoder } from "./codec/decode.ts";
import { CodecEncoder } from "./codec/encode.ts";
import { type CodecScope, SessionHelpers } from "./codec/session-helpers.ts";
import { SHARED_ORDER, SHARED_SOURCE, type Shared } from "./codec/shared-helpers.ts";
import { functionSource } from "./codec/source-text.ts";
import { WireChecks } from "./codec/wire-checks.ts";

/** What one session's codec is emitted from. */
interface CodecInput {
  /** The session name, as declared. */
  session: string;
  /** Its type name stem (`auth` → `Auth`): helper names and the data interface derive from it. */
  typeStem: string;
  plan: Plan;
  /** Layout hash of `plan`. */
  layout: string;
  /** `checksHash(schema)` at generation time (the runtime compares it with the live schema's). */
  checks: string;
  /** `positionalKey(layout, checks)`: format-4 tokens carry it (the runtime writes format 4 while it is the live schema's). */
  key: string;
  /** The constant holding the session's data version (`AUTH_VERSION`). */
  versionConstant: string;
  /** The exported constant to declare (`AUTH_CODEC`). */
  constant: string;
  /** Earlier layouts of the session by layout hash and key (the snapshot's, minus the current ones). */
  history: Readonly<Record<string, Plan>>;
  /** The constraints its `check` tests (codec/constraints.ts); none: no `check`, zod on write. */
  constraints?: ConstraintPlan | undefined;
}

/**
 * The codecs of one generated module: collects helper functions and the shared helpers they use, so
 * that names stay unique across sessions.
 */
export class CodecModule implements CodecScope {
  private readonly used = new Set<string>();
  private readonly shared = new Set<Shared>();
  /** Runtime names the codecs import from "satchel". */
  readonly imports = new Set<"encodeSuperjsonPart" | "decodeSuperjsonPart">();

  /** A fresh module-level name. */
  name(wanted: string): string {
    let name = wanted;
    for (let i = 2; this.used.has(name); i++) name = `${wanted}${i}`;
    this.used.add(name);
    return name;
  }

  /** Marks a shared helper as used. */
  use(helper: Shared): void {
    this.shared.add(helper);
    // Every decode helper reports through codecMismatch.
    this.shared.add("mismatch");
  }

  /** Source of one session's codec: its helper functions, its encode and decode, then the exported constant. */
  emit(input: CodecInput): string {
    const helpers = new SessionHelpers(this, input.typeStem, input.session);
    const encoder = new CodecEncoder(helpers);
    const decoder = new CodecDecoder(helpers, new WireChecks(helpers));
    const encode = this.name(`encode${input.typeStem}`);
    const decode = this.name(`decode${input.typeStem}`);
    // The session's own functions: encode takes the generated data type, so misuse fails to compile.
    const encodeBody =
      typeof input.plan !== "string" && input.plan[0] === "object"
        ? encoder.positionalEncode(input.plan[1], "data", true)
        : [`return ${encoder.encodeValue(input.plan, "data", "data")};`];
    const decodeBody = decoder.decodeBody(input.plan, "wire", "data");
    const check =
      input.constraints === undefined ? undefined : new ConstraintChecks(helpers).root(input.constraints);
    return [
      ...helpers.sources,
      functionSource(encode, `(data: ${input.typeStem}Data): unknown`, encodeBody),
      functionSource(decode, "(wire: unknown): unknown", decodeBody),
      codecConstant(input, encode, decode, check),
    ].join("\n\n");
  }

  /** The shared helpers the emitted codecs use, for the end of the module. */
  sharedSource(): string {
    return SHARED_ORDER.filter((helper) => this.shared.has(helper))
      .map((helper) => SHARED_SOURCE[helper])
      .join("\n\n");
  }
}

/** The exported constant the runtime reads the session's codec from. */
function codecConstant(input: CodecInput, encode: string, decode: string, check: string | undefined): string {
  const history = Object.entries(input.history);
  return `/** Codec of "${input.session}", layout ${input.layout}: ${describeLayout(input.plan)}. */
export const ${input.constant} = {
  layout: ${JSON.stringify(input.layout)},
  checks: ${JSON.stringify(input.checks)},
  key: ${JSON.stringify(input.key)},
  version: ${input.versionConstant},
  encode: ${encode},
  decode: ${decode},${check === undefined ? "" : `\n  check: ${check},`}
  history: ${
    history.length === 0
      ? "{}"
      : `{\n${history.map(([hash, plan]) => `    ${JSON.stringify(hash)}: ${JSON.stringify(plan)},`).join("\n")}\n  }`
  },
} satisfies GeneratedCodec;`;
}

/** One line saying what the wire is: `[mask(signedInAt), userId, name, roles, signedInAt?]`. */
export function describeLayout(plan: Plan): string {
  if (typeof plan === "string") return plan === "superjson" ? "superjson (the schema cannot type it)" : plan;
  if (plan[0] === "object") {
    const optional = plan[1].filter(([, , isOptional]) => isOptional).map(([key]) => key);
    const items = plan[1].map(([key, , isOptional]) => `${key}${isOptional ? "?" : ""}`);
    return `[${optional.length > 0 ? `mask(${optional.join(", ")}), ` : ""}${items.join(", ")}]`;
  }
  if (plan[0] === "keyed") return "an object with its keys (more optional fields than a mask holds)";
  return `${plan[0]} (not an object)`;
}
