/**
 * The helper functions of one session's codec: each nested array, set, map, record, tuple or object
 * gets a function of its own, named once per kind and plan (a shape used twice shares its helpers)
 * and unique in the module. The encoder, the wire checks and the decoder all add theirs here, in the
 * order they need them, which is the order they appear in.
 */
import type { Plan } from "satchel/internal";
import type { Shared } from "./shared-helpers.ts";

/** What a session's codec asks of the module it is emitted into. */
export interface CodecScope {
  /** A fresh module-level name. */
  name(wanted: string): string;
  /** Marks a shared helper as used. */
  use(helper: Shared): void;
  /** Runtime names the codecs import from "satchel". */
  readonly imports: Set<"encodeSuperjsonPart" | "decodeSuperjsonPart">;
}

/** The helper functions of one session's codec, and its mismatch error. */
export class SessionHelpers {
  /** Source of every helper function, in the order they were asked for. */
  readonly sources: string[] = [];
  /** The session name as a string literal, for mismatch errors. */
  readonly sessionText: string;
  /** Helper name by kind and plan. */
  readonly #names = new Map<string, string>();

  constructor(
    readonly module: CodecScope,
    /** Helper names start with the kind, then this (`Auth`), then the path they handle. */
    private readonly typeStem: string,
    session: string,
  ) {
    this.sessionText = JSON.stringify(session);
  }

  /**
   * The name of the `kind` helper for `plan` (a layout plan, a constraint plan or any JSON naming
   * what the helper handles); `build` writes its source the first time.
   */
  helper(
    kind: string,
    plan: Plan | readonly unknown[],
    path: string,
    build: (name: string) => string,
  ): string {
    const key = `${kind}:${JSON.stringify(plan)}`;
    let name = this.#names.get(key);
    if (name === undefined) {
      name = this.module.name(`${kind}${this.typeStem}${path}`);
      this.#names.set(key, name);
      this.sources.push(build(name));
    }
    return name;
  }

  /** An expression for the error a decode throws when the wire does not fit at `at`. */
  mismatch(at: string): string {
    this.module.use("mismatch");
    return `codecMismatch(${this.sessionText}, ${JSON.stringify(at)})`;
  }
}
