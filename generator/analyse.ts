/**
 * Reads the schema file with the TypeScript checker (ts-morph) and prints, per session, the data type
 * (`z.output` of its schema) and each flash channel's payload type as flat, fully expanded text.
 * One `Project` lives as long as the analyser, so watch mode only re-checks what changed.
 */
import path from "node:path";
import { type Expression, type Symbol as MorphSymbol, Node, Project, type Type, ts } from "ts-morph";
import { isPlainObjectType, printMembers, printType } from "./print-type.ts";
import { findTsconfig, readTsconfigPaths } from "./tsconfig.ts";

/** Where something is declared: a file relative to the schema's directory, and a 1-based line. */
export interface SourceLocation {
  file: string;
  line: number;
}

/** The printed types of one session. */
export interface AnalysedSession {
  name: string;
  at: SourceLocation;
  /** False when the session declares no `schema`. */
  hasSchema: boolean;
  /** Members of the data interface, one formatted line each (indented by two spaces). */
  dataMembers: string[] | undefined;
  /** When the data type is not a plain object type: its text for a `type X = ...` alias. */
  dataAlias: string | undefined;
  /** Flash channels in declaration order: name and the formatted payload type. */
  flash: { name: string; type: string }[];
  /** Line of each top-level field of the schema, where the schema is an object literal we can see. */
  fieldLines: Record<string, number>;
}

/** Analysis of a whole schema file. */
export interface Analysis {
  sessions: AnalysedSession[];
  /** Local files the schema depends on (absolute), for watch mode. */
  files: string[];
}

/** Keeps one ts-morph Project for a schema file; call `analyse()` again after edits. */
export class SchemaAnalyser {
  readonly #schemaPath: string;
  readonly #project: Project;
  #started = false;

  constructor(schemaPath: string) {
    this.#schemaPath = path.resolve(schemaPath);
    const tsconfig = findTsconfig(path.dirname(this.#schemaPath));
    const paths = tsconfig ? readTsconfigPaths(tsconfig) : undefined;
    // Fixed options, not the app's tsconfig: the printed types must not depend on local settings.
    this.#project = new Project({
      skipAddingFilesFromTsConfig: true,
      skipFileDependencyResolution: true,
      // `satchel` itself is left unresolved: `defineSessions` only passes its argument through, and not
      // loading the runtime's types (and the DOM lib) keeps a cold run under a second.
      resolutionHost: (host, getOptions) => ({
        resolveModuleNames: (names, containingFile) =>
          names.map((name) =>
            name === "satchel" || name.startsWith("satchel/")
              ? undefined
              : ts.resolveModuleName(name, containingFile, getOptions(), host).resolvedModule,
          ),
      }),
      compilerOptions: {
        lib: ["lib.es2022.d.ts"],
        strict: true,
        exactOptionalPropertyTypes: true,
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.ESNext,
        moduleResolution: ts.ModuleResolutionKind.Bundler,
        allowImportingTsExtensions: true,
        skipLibCheck: true,
        noEmit: true,
        types: [],
        ...(paths ? { baseUrl: paths.baseUrl, paths: paths.paths } : {}),
      },
    });
  }

  /** Re-reads changed files from disk and prints every session's types. */
  analyse(): Analysis {
    if (this.#started) {
      for (const file of this.#project.getSourceFiles()) {
        if (!file.isInNodeModules()) file.refreshFromFileSystemSync();
      }
    } else {
      this.#project.addSourceFileAtPath(this.#schemaPath);
      this.#started = true;
    }
    this.#project.resolveSourceFileDependencies();
    const source = this.#project.getSourceFileOrThrow(this.#schemaPath);
    const root = path.dirname(this.#schemaPath);
    const locate = (node: Node): SourceLocation => ({
      file: path.relative(root, node.getSourceFile().getFilePath()).split(path.sep).join("/"),
      line: node.getStartLineNumber(),
    });

    const definitions = findDefinitions(source.getDefaultExportSymbol());
    if (!definitions) {
      throw new AnalysisError(
        `${locate(source).file}:1: the default export must be \`defineSessions({ ... })\`; export the call's result as default.`,
      );
    }
    const sessions: AnalysedSession[] = [];
    const argType = definitions.getType();
    for (const symbol of argType.getProperties()) {
      sessions.push(analyseSession(symbol, definitions, locate));
    }
    const files = this.#project
      .getSourceFiles()
      .filter((f) => !f.isInNodeModules() && !f.isDeclarationFile())
      .map((f) => f.getFilePath() as string);
    return { sessions, files };
  }
}

/** The schema file's structure is not what the generator can read. */
export class AnalysisError extends Error {
  override name = "AnalysisError";
}

/** The expression passed to `defineSessions(...)` behind a default export, following one variable. */
function findDefinitions(exported: MorphSymbol | undefined): Expression | undefined {
  const declaration = exported?.getDeclarations()[0];
  let expression: Node | undefined;
  if (declaration && Node.isExportAssignment(declaration)) expression = declaration.getExpression();
  else if (declaration && Node.isVariableDeclaration(declaration)) expression = declaration.getInitializer();
  if (expression && Node.isIdentifier(expression)) {
    const target = expression.getSymbol()?.getDeclarations()[0];
    expression = target && Node.isVariableDeclaration(target) ? target.getInitializer() : undefined;
  }
  while (expression && (Node.isAsExpression(expression) || Node.isSatisfiesExpression(expression))) {
    expression = expression.getExpression();
  }
  if (!expression || !Node.isCallExpression(expression)) return undefined;
  const argument = expression.getArguments()[0];
  return argument && Node.isExpression(argument) ? argument : undefined;
}

function propertyType(owner: Type, name: string, at: Node): Type | undefined {
  return owner.getProperty(name)?.getTypeAtLocation(at);
}

/** `z.output<T>` without naming it: zod 4 keeps the output type at `T["_zod"]["output"]`. */
function zodOutput(schema: Type, at: Node): Type | undefined {
  const internals = propertyType(schema.getNonNullableType(), "_zod", at);
  return internals ? propertyType(internals, "output", at) : undefined;
}

function analyseSession(
  symbol: MorphSymbol,
  at: Expression,
  locate: (node: Node) => SourceLocation,
): AnalysedSession {
  const name = symbol.getName();
  const declaration = symbol.getDeclarations()[0] ?? at;
  const definition = symbol.getTypeAtLocation(at);
  const schemaSymbol = definition.getProperty("schema");
  const result: AnalysedSession = {
    name,
    at: locate(declaration),
    hasSchema: schemaSymbol !== undefined,
    dataMembers: undefined,
    dataAlias: undefined,
    flash: [],
    fieldLines: {},
  };
  if (schemaSymbol) {
    const output = zodOutput(schemaSymbol.getTypeAtLocation(at), at);
    if (output && isPlainObjectType(output)) result.dataMembers = printMembers(output, at, "  ");
    else if (output) result.dataAlias = printType(output, at, 0, "");
    result.fieldLines = fieldLines(schemaSymbol.getDeclarations()[0]);
  }
  const flash = propertyType(definition, "flash", at)?.getNonNullableType();
  for (const channel of flash?.getProperties() ?? []) {
    const payload = zodOutput(channel.getTypeAtLocation(at), at);
    const head = `  ${channel.getName()}: `;
    result.flash.push({
      name: channel.getName(),
      type: payload ? printType(payload, at, head.length, "  ") : "unknown",
    });
  }
  return result;
}

/** Lines of `z.object({ a: ..., b: ... })` properties, when the schema is written inline. */
function fieldLines(declaration: Node | undefined): Record<string, number> {
  const lines: Record<string, number> = {};
  if (!declaration || !Node.isPropertyAssignment(declaration)) return lines;
  const call = declaration.getInitializer();
  const object = call?.getFirstDescendant((node) => Node.isObjectLiteralExpression(node));
  if (!object || !Node.isObjectLiteralExpression(object)) return lines;
  for (const property of object.getProperties()) {
    if (Node.isPropertyAssignment(property) || Node.isShorthandPropertyAssignment(property)) {
      lines[property.getName().replace(/^["']|["']$/g, "")] = property.getStartLineNumber();
    }
  }
  return lines;
}
