/**
 * Reads the schema file with the TypeScript checker (ts-morph) and prints, per session, the data type
 * (`z.output` of its schema) and each flash channel's payload type as flat, fully expanded text.
 * One `Project` lives as long as the analyser, so watch mode only re-checks what changed.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import {
  type Expression,
  type Symbol as MorphSymbol,
  Node,
  Project,
  type PropertyAssignment,
  type Type,
  ts,
} from "ts-morph";
import { type AnalysedToken, analyseTokens } from "./analyse-tokens.ts";
import { propertyName, propertyType, type SourceLocation, zodType } from "./checker-parts.ts";
import { detachDefineCall } from "./detach-call.ts";
import { findUp } from "./find-up.ts";
import { isPlainObjectType, printMembers, printType } from "./print-type.ts";

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
  /**
   * Line of each key of the definition and of its object-literal values, by path (`expiry`,
   * `expiry.absolut`), where the definition is an object literal: a misspelled key is reported there.
   */
  keyLines: Record<string, number>;
}

/** Analysis of a whole schema file. */
interface Analysis {
  sessions: AnalysedSession[];
  /** The one-off token kinds of the `tokens` option, in declaration order. */
  tokens: AnalysedToken[];
  /** Local files the schema depends on (absolute), for watch mode. */
  files: string[];
}

/** Keeps one ts-morph Project for a schema file; call `analyse()` again after edits. */
export class SchemaAnalyser {
  readonly #schemaPath: string;
  readonly #project: Project;
  #started = false;
  /** The schema file's text on disk at the last run (the project holds it with the call detached). */
  #schemaText: string | undefined;
  #cache = new Map<string, TypedSession>();

  constructor(schemaPath: string) {
    this.#schemaPath = path.resolve(schemaPath);
    const tsconfig = findUp(path.dirname(this.#schemaPath), "tsconfig.json");
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
    const schemaText = readFileSync(this.#schemaPath, "utf8");
    if (this.#started) {
      for (const file of this.#project.getSourceFiles()) {
        if (!file.isInNodeModules() && file.getFilePath() !== this.#schemaPath)
          file.refreshFromFileSystemSync();
      }
    }
    if (schemaText !== this.#schemaText) {
      const checked = detachDefineCall(schemaText, this.#schemaPath);
      this.#project.createSourceFile(this.#schemaPath, checked, { overwrite: true });
      this.#schemaText = schemaText;
      this.#started = true;
    }
    this.#project.resolveSourceFileDependencies();
    const source = this.#project.getSourceFileOrThrow(this.#schemaPath);
    const root = path.dirname(this.#schemaPath);
    const locate = (node: Node): SourceLocation => ({
      file: path.relative(root, node.getSourceFile().getFilePath()).split(path.sep).join("/"),
      line: node.getStartLineNumber(),
    });

    const { definitions, options } = findDefineArguments(source.getDefaultExportSymbol());
    if (!definitions) {
      throw new AnalysisError(
        `${locate(source).file}:1: the default export must be \`defineSessions({ ... })\`; export the call's result as default.`,
      );
    }
    const files = this.#project
      .getSourceFiles()
      .filter((f) => !f.isInNodeModules() && !f.isDeclarationFile());
    const sessions: AnalysedSession[] = [];
    const properties = Node.isObjectLiteralExpression(definitions) ? definitions.getProperties() : [];
    if (properties.length > 0 && properties.every((p) => Node.isPropertyAssignment(p))) {
      // Sessions written inline: re-check only those whose text (or whose surroundings) changed.
      // The checker is lazy, so an unchanged session costs nothing; this keeps watch mode fast.
      const context = createHash("sha1");
      for (const file of files) {
        context.update(file.getFilePath());
        // The options argument cannot change a session's types: editing a token keeps the sessions cached.
        context.update(
          file === source
            ? file
                .getFullText()
                .replace(definitions.getText(), "")
                .replace(options?.getText() ?? "", "")
            : file.getFullText(),
        );
      }
      const contextKey = context.digest("hex");
      const cache = new Map<string, TypedSession>();
      for (const property of properties as PropertyAssignment[]) {
        const key = `${contextKey}\0${property.getText()}`;
        const initializer = property.getInitializerOrThrow();
        const typed = this.#cache.get(key) ?? analyseInline(initializer);
        cache.set(key, typed);
        const schema = Node.isObjectLiteralExpression(initializer)
          ? initializer.getProperty("schema")
          : undefined;
        sessions.push({
          name: propertyName(property),
          at: locate(property),
          ...typed,
          fieldLines: fieldLines(schema),
          keyLines: keyLines(initializer),
        });
      }
      this.#cache = cache;
    } else {
      for (const symbol of definitions.getType().getProperties()) {
        const declaration = symbol.getDeclarations()[0] ?? definitions;
        sessions.push({
          name: symbol.getName(),
          at: locate(declaration),
          ...analyseTypes(symbol.getTypeAtLocation(definitions), definitions),
          fieldLines: fieldLines(
            symbol.getTypeAtLocation(definitions).getProperty("schema")?.getDeclarations()[0],
          ),
          keyLines: {},
        });
      }
    }
    return {
      sessions,
      tokens: analyseTokens(options, locate),
      files: files.map((f) => f.getFilePath() as string),
    };
  }
}

/** The `paths` of the schema's tsconfig (and the absolute directory they are relative to), when it has any. */
function readTsconfigPaths(
  tsconfigPath: string,
): { baseUrl: string; paths: Record<string, string[]> } | undefined {
  const read = ts.readConfigFile(tsconfigPath, ts.sys.readFile);
  const options = (
    read.config as { compilerOptions?: { baseUrl?: string; paths?: Record<string, string[]> } }
  )?.compilerOptions;
  if (!options?.paths) return undefined;
  const directory = path.dirname(tsconfigPath);
  return { baseUrl: path.resolve(directory, options.baseUrl ?? "."), paths: options.paths };
}

/** The schema file's structure is not what the generator can read. */
export class AnalysisError extends Error {
  override name = "AnalysisError";
}

/**
 * The arguments of `defineSessions(definitions, options?)` behind a default export, following one
 * variable.
 */
function findDefineArguments(exported: MorphSymbol | undefined): {
  definitions: Expression | undefined;
  options: Expression | undefined;
} {
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
  // `defineSessions` was blanked out for the checker (see detach-call.ts): `({ ... })` holds its
  // argument, `({ ... }, { ... })` its two as a comma expression.
  if (expression && Node.isParenthesizedExpression(expression)) {
    const inner = expression.getExpression();
    if (Node.isBinaryExpression(inner) && inner.getOperatorToken().getKind() === ts.SyntaxKind.CommaToken) {
      return { definitions: inner.getLeft(), options: inner.getRight() };
    }
    return { definitions: inner, options: undefined };
  }
  if (!expression || !Node.isCallExpression(expression))
    return { definitions: undefined, options: undefined };
  const [definitions, options] = expression.getArguments();
  return {
    definitions: definitions && Node.isExpression(definitions) ? definitions : undefined,
    options: options && Node.isExpression(options) ? options : undefined,
  };
}

/** The parts of a session the checker computes (cached per session text in watch mode). */
type TypedSession = Pick<AnalysedSession, "hasSchema" | "dataMembers" | "dataAlias" | "flash">;

function printData(schema: Type | undefined, at: Node, result: TypedSession): void {
  const output = schema ? zodType(schema, at, "output") : undefined;
  if (output && isPlainObjectType(output)) result.dataMembers = printMembers(output, at, "  ");
  else if (output) result.dataAlias = printType(output, at, 0, "");
}

function printFlash(channel: string, schema: Type, at: Node): { name: string; type: string } {
  const payload = zodType(schema, at, "output");
  return { name: channel, type: payload ? printType(payload, at, `  ${channel}: `.length, "  ") : "unknown" };
}

/** A session from its definition's type (definitions passed as a variable or built with spreads). */
function analyseTypes(definition: Type, at: Node): TypedSession {
  const schema = propertyType(definition, "schema", at);
  const result: TypedSession = {
    hasSchema: schema !== undefined,
    dataMembers: undefined,
    dataAlias: undefined,
    flash: [],
  };
  printData(schema, at, result);
  const flash = propertyType(definition, "flash", at)?.getNonNullableType();
  for (const channel of flash?.getProperties() ?? []) {
    result.flash.push(printFlash(channel.getName(), channel.getTypeAtLocation(at), at));
  }
  return result;
}

/**
 * A session written inline. Asks the checker only for the `schema` and flash expressions: the type
 * of the whole definition would make it check every session in the call (contextual typing).
 */
function analyseInline(initializer: Expression): TypedSession {
  if (!Node.isObjectLiteralExpression(initializer)) return analyseTypes(initializer.getType(), initializer);
  const value = (name: string) => {
    const property = initializer.getProperty(name);
    return property && Node.isPropertyAssignment(property) ? property.getInitializer() : undefined;
  };
  const schema = value("schema");
  const result: TypedSession = {
    hasSchema: initializer.getProperty("schema") !== undefined,
    dataMembers: undefined,
    dataAlias: undefined,
    flash: [],
  };
  if (schema) printData(schema.getType(), schema, result);
  const flash = value("flash");
  if (flash && Node.isObjectLiteralExpression(flash)) {
    for (const channel of flash.getProperties()) {
      const channelValue = Node.isPropertyAssignment(channel) ? channel.getInitializer() : undefined;
      if (channelValue && Node.isPropertyAssignment(channel)) {
        result.flash.push(printFlash(propertyName(channel), channelValue.getType(), channelValue));
      }
    }
  } else if (flash) {
    const type = flash.getType().getNonNullableType();
    for (const channel of type.getProperties())
      result.flash.push(printFlash(channel.getName(), channel.getTypeAtLocation(flash), flash));
  }
  return result;
}

/** Lines of a definition's keys and of its object values' keys (`cookie`, `cookie.sameSite`), by path. */
function keyLines(definition: Node, prefix = "", lines: Record<string, number> = {}): Record<string, number> {
  if (!Node.isObjectLiteralExpression(definition)) return lines;
  for (const property of definition.getProperties()) {
    if (!Node.isPropertyAssignment(property) && !Node.isShorthandPropertyAssignment(property)) continue;
    const key = Node.isPropertyAssignment(property) ? propertyName(property) : property.getName();
    lines[`${prefix}${key}`] = property.getStartLineNumber();
    const value = Node.isPropertyAssignment(property) ? property.getInitializer() : undefined;
    // Two levels hold every key a definition has (`expiry.idle`); deeper objects are the app's data.
    if (value !== undefined && prefix === "") keyLines(value, `${key}.`, lines);
  }
  return lines;
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
