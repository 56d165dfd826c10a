/**
 * Reads the `tokens` option of `defineSessions(definitions, { tokens })` with the type checker: per
 * token kind, the type `openToken` gives (`z.output` of its schema) and the type `sealToken` takes
 * (`z.input`), printed flat like a session's data.
 */
import { type Expression, Node, type Type } from "ts-morph";
import { propertyName, propertyType, type SourceLocation, zodType } from "./checker-parts.ts";
import { isPlainObjectType, printMembers, printType } from "./print-type.ts";

/** A printed type: the members of an object type (one formatted line each), or a whole type. */
export type PrintedType = { members: string[] } | { alias: string };

/** The printed types of one token kind. */
export interface AnalysedToken {
  name: string;
  at: SourceLocation;
  /** What `openToken` gives: `z.output` of the schema. */
  data: PrintedType;
  /** What `sealToken` takes: `z.input` of the schema (optional where the schema has a default). */
  input: PrintedType;
}

/** Every token kind of the options argument, in declaration order; none without a `tokens` option. */
export function analyseTokens(
  options: Expression | undefined,
  locate: (node: Node) => SourceLocation,
): AnalysedToken[] {
  if (options === undefined) return [];
  const tokens = inlineProperty(options, "tokens");
  if (tokens && Node.isObjectLiteralExpression(tokens)) {
    const found: AnalysedToken[] = [];
    for (const property of tokens.getProperties()) {
      // A spread or a method: the declared kinds come from the type below instead.
      if (!Node.isPropertyAssignment(property)) return fromType(tokens.getType(), tokens, locate);
      const definition = property.getInitializerOrThrow();
      const schema = inlineProperty(definition, "schema");
      const at = schema ?? definition;
      const schemaType = schema ? schema.getType() : propertyType(definition.getType(), "schema", definition);
      found.push({ name: propertyName(property), at: locate(property), ...printSchema(schemaType, at) });
    }
    return found;
  }
  const tokensType = tokens ? tokens.getType() : propertyType(options.getType(), "tokens", options);
  return tokensType ? fromType(tokensType.getNonNullableType(), tokens ?? options, locate) : [];
}

/** Token kinds from the type of the `tokens` object (declared in a variable, or built with spreads). */
function fromType(tokens: Type, at: Node, locate: (node: Node) => SourceLocation): AnalysedToken[] {
  return tokens.getProperties().map((symbol) => {
    const declaration = symbol.getDeclarations()[0] ?? at;
    const schemaType = propertyType(symbol.getTypeAtLocation(at), "schema", at);
    return { name: symbol.getName(), at: locate(declaration), ...printSchema(schemaType, at) };
  });
}

/** The initializer of property `name` of an object literal, when written as `name: value`. */
function inlineProperty(object: Node, name: string): Expression | undefined {
  if (!Node.isObjectLiteralExpression(object)) return undefined;
  const property = object.getProperty(name);
  return property && Node.isPropertyAssignment(property) ? property.getInitializer() : undefined;
}

function printSchema(schema: Type | undefined, at: Node): Pick<AnalysedToken, "data" | "input"> {
  return { data: printed(schema, at, "output"), input: printed(schema, at, "input") };
}

function printed(schema: Type | undefined, at: Node, part: "output" | "input"): PrintedType {
  const type = schema ? zodType(schema, at, part) : undefined;
  if (type === undefined) return { alias: "unknown" };
  return isPlainObjectType(type)
    ? { members: printMembers(type, at, "  ") }
    : { alias: printType(type, at, 0, "") };
}
