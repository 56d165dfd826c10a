/**
 * Where a message points: `file:line`, relative to the working directory, of a session or of one of
 * its fields, from the positions the type checker saw (analyse.ts). Every `satchel: <where>: ...`
 * message of a run is placed through here, so they read alike from any directory.
 */
import path from "node:path";
import type { AnalysedSession } from "./analyse.ts";
import type { AnalysedToken } from "./analyse-tokens.ts";

export class SchemaLocations {
  readonly #schemaPath: string;
  readonly #sessions: ReadonlyMap<string, AnalysedSession>;
  readonly #tokens: ReadonlyMap<string, AnalysedToken>;

  constructor(
    schemaPath: string,
    sessions: ReadonlyMap<string, AnalysedSession>,
    tokens: ReadonlyMap<string, AnalysedToken> = new Map(),
  ) {
    this.#schemaPath = schemaPath;
    this.#sessions = sessions;
    this.#tokens = tokens;
  }

  /** The schema file itself. */
  schemaFile(): string {
    return path.relative(process.cwd(), this.#schemaPath);
  }

  /** A line of a file given relative to the schema's directory (as analyse and load-schema give it). */
  at(file: string, line: number): string {
    const absolute = path.join(path.dirname(this.#schemaPath), file);
    return `${path.relative(process.cwd(), absolute) || file}:${line}`;
  }

  /** Where a session is declared; the schema file when the checker did not see it. */
  session(name: string): string {
    const session = this.#sessions.get(name);
    return session ? this.at(session.at.file, session.at.line) : this.schemaFile();
  }

  /** Where a token kind of the `tokens` option is declared; the schema file when the checker did not see it. */
  token(name: string): string {
    const token = this.#tokens.get(name);
    return token ? this.at(token.at.file, token.at.line) : this.schemaFile();
  }

  /**
   * Where a key of a session's definition is written (`expiry.absolut`, `cookie`): its own line, else
   * that of the key holding it, else the session's. `schema.<field>` is the field's line.
   */
  key(name: string, key: string): string {
    if (key.startsWith("schema.")) return this.field(name, key.slice("schema.".length));
    const session = this.#sessions.get(name);
    const line = session?.keyLines[key] ?? session?.keyLines[key.split(".")[0] ?? ""];
    return session && line ? this.at(session.at.file, line) : this.session(name);
  }

  /** Where the top-level field of `field` (a path such as `items[].sku`) is declared; else its session. */
  field(name: string, field: string): string {
    const session = this.#sessions.get(name);
    const line = session?.fieldLines[field.split(/[.[<]/)[0] ?? ""];
    return session && line ? this.at(session.at.file, line) : this.session(name);
  }
}
