/**
 * Renders the generated module from `templates/`: per session its data interface, flash type, handle
 * type and version constant, then the typed runtime entry points. Pure text in, text out.
 */
import type { Plan } from "satchel/internal";
import type { AnalysedSession } from "../schema/analyse.ts";
import { type Doc, jsDoc, memberDoc, type SessionDocs } from "../schema/docs.ts";
import { propertyKey } from "../schema/print-type.ts";
import { CodecModule } from "./emit-codec.ts";
import { fillTemplate } from "./templates.ts";

/** A previous version's data type, printed from the snapshot, for typing migrations. */
export interface PreviousVersionType {
  version: number;
  /** Members of the interface, one formatted line each, or a whole type when not an object. */
  members: string[] | string;
}

/** What one session contributes to the module. */
export interface EmitSession {
  types: AnalysedSession;
  storage: "cookie" | "store";
  version: number;
  messages: boolean;
  previous: PreviousVersionType[];
  /** Descriptions and deprecations from the schema, for JSDoc. */
  docs: SessionDocs;
  /** What its generated format-3 codec is emitted from. */
  codec: SessionCodecPlan;
}

/** A session's wire layout, for its generated codec (see emit-codec.ts). */
interface SessionCodecPlan {
  plan: Plan;
  /** `layoutHash(plan)`. */
  layout: string;
  /** `schemaFingerprint(schema)`. */
  checks: string;
  /** Earlier layouts by hash, from the snapshot (the current one excluded). */
  history: Record<string, Plan>;
}

/** Inputs of the module that are not per session. */
interface EmitOptions {
  /** The schema file name as shown in the header. */
  schemaFile: string;
  /** Extensionless import path of the schema, relative to the output file (`../sessions.schema`). */
  schemaImport: string;
  /** The command that regenerates the module, for its header (see commands/regenerate-command.ts). */
  regenerate: string;
}

/** `user-prefs` → `UserPrefs`. */
export function pascalName(name: string): string {
  const words = name.split(/[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])/).filter(Boolean);
  const joined = words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join("");
  return /^[0-9]/.test(joined) ? `S${joined}` : joined;
}

/** `userPrefs` → `USER_PREFS`. */
function constantName(name: string): string {
  const words = name.split(/[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])/).filter(Boolean);
  const joined = words.map((w) => w.toUpperCase()).join("_");
  return /^[0-9]/.test(joined) ? `S_${joined}` : joined;
}

function block(keyword: "interface" | "type", name: string, members: string[] | string): string {
  if (typeof members === "string") return `export type ${name} = ${members};\n`;
  if (keyword === "interface") {
    return members.length === 0
      ? `export interface ${name} {}\n`
      : `export interface ${name} {\n${members.join("\n")}\n}\n`;
  }
  return members.length === 0
    ? `export type ${name} = Record<never, never>;\n`
    : `export type ${name} = {\n${members.join("\n")}\n};\n`;
}

/** The key of a printed member line (`  name?: type;` or `  "odd-name": type;`), if it is one. */
function memberKey(line: string): string | undefined {
  const key = /^ {2}("(?:[^"\\]|\\.)*"|[A-Za-z_$][\w$]*)\??:/.exec(line)?.[1];
  return key?.startsWith('"') ? (JSON.parse(key) as string) : key;
}

/** A member line with its JSDoc above it, when the schema documents it. */
function documented(line: string, docs: Record<string, Doc>): string {
  const key = memberKey(line);
  const doc = key === undefined ? "" : memberDoc(Object.hasOwn(docs, key) ? docs[key] : undefined, "  ");
  return doc ? `${doc}\n${line}` : line;
}

/** A session-level comment: the schema's description first, then what the declaration is. */
function sessionDoc(about: Doc | undefined, what: string): string {
  return jsDoc(about?.description ? [about.description, "", what] : [what], about?.deprecated === true, "");
}

function emitSession(session: EmitSession, codecs: CodecModule): string {
  const { types, docs } = session;
  const Name = pascalName(types.name);
  const NAME = constantName(types.name);
  const data =
    types.dataAlias !== undefined
      ? types.dataAlias
      : (types.dataMembers ?? []).map((line) => documented(line, docs.fields));
  // Flash is a type alias, not an interface: `SessionHandle` needs it assignable to Record<string, unknown>.
  const flash = types.flash.map((channel) =>
    documented(`  ${propertyKey(channel.name)}: ${channel.type};`, docs.flash),
  );
  const previous = session.previous
    .map(
      (p) =>
        `\n/** Data of \`${types.name}\` at version ${p.version}, from the snapshot: the argument of the migration to ${p.version + 1}. */\n` +
        block("interface", `${Name}DataV${p.version}`, p.members).trimEnd(),
    )
    .join("\n");
  return fillTemplate("session.ts.tpl", {
    name: types.name,
    Name,
    NAME,
    storage: session.storage,
    version: String(session.version),
    dataDoc: sessionDoc(docs.session, `Data of the \`${types.name}\` session: \`z.output\` of its schema.`),
    data: block("interface", `${Name}Data`, data).trimEnd(),
    flash: block("type", `${Name}Flash`, flash).trimEnd(),
    handleDoc: sessionDoc(
      docs.session,
      `The typed handle \`getSession("${types.name}")\` returns: fields, methods, flash${session.messages ? ", messages" : ""}.`,
    ),
    messages: String(session.messages),
    previous,
    codec: codecs.emit({
      session: types.name,
      typeStem: Name,
      plan: session.codec.plan,
      layout: session.codec.layout,
      checks: session.codec.checks,
      versionConstant: `${NAME}_VERSION`,
      constant: `${NAME}_CODEC`,
      history: session.codec.history,
    }),
  });
}

/** The whole generated module. */
export function emitModule(sessions: EmitSession[], options: EmitOptions): string {
  const sessionMap = sessions.map((s) => {
    const doc = memberDoc(s.docs.session, "  ");
    return `${doc ? `${doc}\n` : ""}  ${propertyKey(s.types.name)}: ${pascalName(s.types.name)}Session;`;
  });
  const codecs = new CodecModule();
  const sessionText = sessions.map((s) => emitSession(s, codecs)).join("");
  const codecMap = sessions.map(
    (s) => `    ${propertyKey(s.types.name)}: ${constantName(s.types.name)}_CODEC,`,
  );
  const shared = codecs.sharedSource();
  const text = fillTemplate("sessions.ts.tpl", {
    schemaFile: options.schemaFile,
    schemaImport: options.schemaImport,
    regenerate: options.regenerate,
    // Value imports in alphabetical order, then types, as a formatter would keep them.
    satchelImports: [
      "createSatchel",
      ...[...codecs.imports].sort(),
      "type GeneratedCodec",
      "type SessionHandle",
    ].join(", "),
    sessions: sessionText,
    codecHelpers: shared ? `\n// Shared by the generated codecs above.\n\n${shared}\n` : "",
    sessionMap: sessionMap.join("\n"),
    codecs: codecMap.join("\n"),
  });
  // Optional template parts leave empty lines behind; keep at most one blank line anywhere.
  return text.replace(/\n{3,}/g, "\n\n");
}
