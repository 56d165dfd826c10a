/**
 * Renders the generated module from `templates/`: per session its data interface, flash type, handle
 * type and version constant, then the typed runtime entry points. Pure text in, text out.
 */
import type { AnalysedSession } from "./analyse.ts";
import { propertyKey } from "./print-type.ts";
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
}

/** Inputs of the module that are not per session. */
export interface EmitOptions {
  /** The schema file name as shown in the header. */
  schemaFile: string;
  /** Extensionless import path of the schema, relative to the output file (`../sessions.schema`). */
  schemaImport: string;
}

/** `user-prefs` → `UserPrefs`. */
export function pascalName(name: string): string {
  const words = name.split(/[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])/).filter(Boolean);
  const joined = words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join("");
  return /^[0-9]/.test(joined) ? `S${joined}` : joined;
}

/** `userPrefs` → `USER_PREFS`. */
export function constantName(name: string): string {
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

function emitSession(session: EmitSession): string {
  const { types } = session;
  const Name = pascalName(types.name);
  const data = types.dataAlias !== undefined ? types.dataAlias : (types.dataMembers ?? []);
  // Flash is a type alias, not an interface: `SessionHandle` needs it assignable to Record<string, unknown>.
  const flash = types.flash.map((channel) => `  ${propertyKey(channel.name)}: ${channel.type};`);
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
    NAME: constantName(types.name),
    storage: session.storage,
    version: String(session.version),
    data: block("interface", `${Name}Data`, data).trimEnd(),
    flash: block("type", `${Name}Flash`, flash).trimEnd(),
    messages: String(session.messages),
    messagesNote: session.messages ? ", messages" : "",
    previous,
  });
}

/** The whole generated module. */
export function emitModule(sessions: EmitSession[], options: EmitOptions): string {
  const sessionMap = sessions.map((s) => {
    return `  ${propertyKey(s.types.name)}: ${pascalName(s.types.name)}Session;`;
  });
  const text = fillTemplate("sessions.ts.tpl", {
    schemaFile: options.schemaFile,
    schemaImport: options.schemaImport,
    sessions: sessions.map(emitSession).join(""),
    sessionMap: sessionMap.join("\n"),
  });
  // Optional template parts leave empty lines behind; keep at most one blank line anywhere.
  return text.replace(/\n{3,}/g, "\n\n");
}
