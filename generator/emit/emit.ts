/**
 * Renders the generated module from `templates/`: per session its data interface, flash type, handle
 * type and version constant, then the typed runtime entry points. Pure text in, text out.
 */
import type { ConstraintPlan, Plan } from "satchel/internal";
import type { AnalysedSession } from "../schema/analyse.ts";
import { memberDoc, type SessionDocs } from "../schema/docs.ts";
import { propertyKey } from "../schema/print-type.ts";
import { block, constantName, declarationDoc, documented, pascalName } from "./declarations.ts";
import { CodecModule } from "./emit-codec.ts";
import { type EmitToken, emitTokens } from "./emit-tokens.ts";
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
  /** `expiry.absolute` as written and in seconds: the limit `$expire()` is typed against. */
  absoluteLimit: { text: string | number; seconds: number };
  previous: PreviousVersionType[];
  /** Descriptions and deprecations from the schema, for JSDoc. */
  docs: SessionDocs;
  /** What its generated positional codec (format 4) is emitted from. */
  codec: SessionCodecPlan;
}

/** A session's wire layout, for its generated codec (see emit-codec.ts). */
interface SessionCodecPlan {
  plan: Plan;
  /** `layoutHash(plan)`. */
  layout: string;
  /** `checksHash(schema)`: compared with the live schema's at run time. */
  checks: string;
  /** `positionalKey(layout, checks)`: what format-4 tokens of this codec carry. */
  key: string;
  /** Earlier layouts by every hash a token may carry, from the snapshot (the current ones excluded). */
  history: Record<string, Plan>;
  /** `constraintsOf(schema)`: what its `check` tests; none when only zod can decide. */
  constraints: ConstraintPlan | undefined;
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
    dataDoc: declarationDoc(
      docs.session,
      `Data of the \`${types.name}\` session: \`z.output\` of its schema.`,
    ),
    data: block("interface", `${Name}Data`, data).trimEnd(),
    flash: block("type", `${Name}Flash`, flash).trimEnd(),
    handleDoc: declarationDoc(
      docs.session,
      `The typed handle \`getSession("${types.name}")\` returns: fields, methods, flash${session.messages ? ", messages" : ""}.`,
    ),
    messages: String(session.messages),
    expiryLimit: expiryLimitType(session.absoluteLimit),
    previous,
    codec: codecs.emit({
      session: types.name,
      typeStem: Name,
      plan: session.codec.plan,
      layout: session.codec.layout,
      checks: session.codec.checks,
      key: session.codec.key,
      versionConstant: `${NAME}_VERSION`,
      constant: `${NAME}_CODEC`,
      history: session.codec.history,
      constraints: session.codec.constraints,
    }),
  });
}

const UNIT_SECONDS = { s: 1, m: 60, h: 3_600, d: 86_400, w: 604_800 } as const;

/**
 * The `ExpiryLimit` type of a session: the limit as written, and how many whole units of each kind it
 * holds, so `$expire()` compares a literal with it without type-level arithmetic.
 */
function expiryLimitType(limit: EmitSession["absoluteLimit"]): string {
  const units = Object.entries(UNIT_SECONDS).map(
    ([unit, seconds]) => `${unit}: ${Math.floor(limit.seconds / seconds)}`,
  );
  return `{ text: ${JSON.stringify(limit.text)}; ${units.join("; ")} }`;
}

/** The whole generated module. */
export function emitModule(
  sessions: EmitSession[],
  tokens: readonly EmitToken[],
  options: EmitOptions,
): string {
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
  const tokenParts = emitTokens(tokens, options.schemaFile);
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
    tokenDeclarations: tokenParts.declarations,
    tokenMap: tokenParts.map,
    tokenTypeArgument: tokenParts.typeArgument,
    tokenFunctions: tokenParts.functions,
  });
  // Optional template parts leave empty lines behind; keep at most one blank line anywhere.
  return text.replace(/\n{3,}/g, "\n\n");
}
