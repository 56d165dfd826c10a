/**
 * What the type checker says about the parts of a schema file that the analysers read: a zod
 * schema's output and input types, a property's type, a property's name, and where a part is.
 */
import { Node, type PropertyAssignment, type Type } from "ts-morph";

/** Where something is declared: a file relative to the schema's directory, and a 1-based line. */
export interface SourceLocation {
  file: string;
  line: number;
}

/** The type of property `name` of `owner`, as seen at `at`. */
export function propertyType(owner: Type, name: string, at: Node): Type | undefined {
  return owner.getProperty(name)?.getTypeAtLocation(at);
}

/**
 * `z.output<T>` or `z.input<T>` without naming them: zod 4 keeps both at `T["_zod"]["output"]` and
 * `T["_zod"]["input"]`.
 */
export function zodType(schema: Type, at: Node, part: "output" | "input"): Type | undefined {
  const internals = propertyType(schema.getNonNullableType(), "_zod", at);
  return internals ? propertyType(internals, part, at) : undefined;
}

/** A property's name from the syntax alone (asking the checker would check the whole literal). */
export function propertyName(property: PropertyAssignment): string {
  const name = property.getNameNode();
  if (Node.isStringLiteral(name) || Node.isNoSubstitutionTemplateLiteral(name)) return name.getLiteralText();
  if (Node.isIdentifier(name) || Node.isNumericLiteral(name)) return name.getText();
  return property.getSymbolOrThrow().getName();
}
