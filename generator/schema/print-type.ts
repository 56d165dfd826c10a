/**
 * Prints a checker type as formatted TypeScript text: short types stay on one line, long object
 * types break into one property per line. The checker does the naming (`Date`, `Map<string, number>`,
 * literal unions); we only decide where lines break, so the output is stable and readable.
 */
import { type Symbol as MorphSymbol, type Node, type Type, TypeFormatFlags } from "ts-morph";

/** Lines longer than this are broken up (Biome's line width in this repo). */
export const LINE_WIDTH = 110;

const FLAGS = TypeFormatFlags.NoTruncation | TypeFormatFlags.InTypeAlias;

/** The checker's one-line text of a type, never truncated, literal aliases expanded. */
function typeText(type: Type, at: Node): string {
  // The checker writes `{ a: string; }`; formatters (and people) write `{ a: string }`.
  return type.getText(at, FLAGS).replace(/; }/g, " }");
}

/**
 * One-line text of a type: like the checker's, but object members in the order they were written
 * (zod's output types put required fields first) and `null`/`undefined` last in unions.
 */
function flatText(type: Type, at: Node, depth = 0): string {
  if (depth > 8) return typeText(type, at);
  if (isPlainObjectType(type) && !type.getStringIndexType() && !type.getNumberIndexType()) {
    const members = declarationOrder(type.getProperties()).map(
      (p) =>
        `${propertyKey(p.getName())}${p.isOptional() ? "?" : ""}: ${flatText(p.getTypeAtLocation(at), at, depth + 1)}`,
    );
    return members.length === 0 ? "{}" : `{ ${members.join("; ")} }`;
  }
  if (type.isArray()) {
    const element = type.getArrayElementTypeOrThrow();
    const text = flatText(element, at, depth + 1);
    return element.isUnion() && !element.isBoolean() ? `(${text})[]` : `${text}[]`;
  }
  if (type.isUnion() && !type.isBoolean() && !type.isEnum()) {
    const members = type.getUnionTypes();
    const others = members.filter((m) => !isNullish(m));
    const isTrue = (m: Type) => m.isBooleanLiteral() && m.getText() === "true";
    const isFalse = (m: Type) => m.isBooleanLiteral() && m.getText() === "false";
    const hasBoolean = others.some(isTrue) && others.some(isFalse);
    const parts = others
      .filter((m) => !(hasBoolean && m.isBooleanLiteral()))
      .map((m) => flatText(m, at, depth + 1));
    if (hasBoolean) parts.push("boolean");
    parts.push(...nullishLast(members).map((m) => typeText(m, at)));
    return parts.join(" | ");
  }
  return typeText(type, at);
}

/** A property key as it must be written in an interface or object type. */
export function propertyKey(name: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? name : JSON.stringify(name);
}

/** True for `{ ... }` object types the checker built (zod's prettified outputs), not named ones like `Date`. */
export function isPlainObjectType(type: Type): boolean {
  if (!type.isObject() || type.isArray() || type.isTuple()) return false;
  if (type.getCallSignatures().length > 0 || type.getConstructSignatures().length > 0) return false;
  if (type.getAliasSymbol()) return false;
  const symbol = type.getSymbol();
  return symbol === undefined || symbol.getName() === "__type" || symbol.getName() === "__object";
}

/** The members of an object type as `key: type;` lines (no braces), each printed to fit `indent`. */
export function printMembers(type: Type, at: Node, indent: string): string[] {
  const lines: string[] = [];
  const stringIndex = type.getStringIndexType();
  if (stringIndex)
    lines.push(
      `${indent}[key: string]: ${printType(stringIndex, at, `${indent}[key: string]: `.length, indent)};`,
    );
  for (const property of declarationOrder(type.getProperties())) {
    const head = `${indent}${propertyKey(property.getName())}${property.isOptional() ? "?" : ""}: `;
    const text = printType(property.getTypeAtLocation(at), at, head.length, indent);
    // A broken-up union starts on the next line; don't leave a trailing space behind the colon.
    lines.push(text.startsWith("\n") ? `${head.trimEnd()}${text};` : `${head}${text};`);
  }
  return lines;
}

/**
 * zod's output type lists required fields before optional ones; users expect the order they wrote.
 * Sort by where each property is declared, when every one points into the same file.
 */
function declarationOrder(properties: MorphSymbol[]): MorphSymbol[] {
  const keyed = properties.map((property) => {
    const declaration = property.getDeclarations()[0];
    return { property, file: declaration?.getSourceFile().getFilePath(), pos: declaration?.getPos() ?? -1 };
  });
  const file = keyed[0]?.file;
  if (file === undefined || keyed.some((k) => k.file !== file || k.pos < 0)) return properties;
  return keyed.sort((a, b) => a.pos - b.pos).map((k) => k.property);
}

/** The `null` and `undefined` members of a union, in the order people write them: `| null | undefined`. */
function nullishLast(members: Type[]): Type[] {
  return [...members.filter((m) => m.isNull()), ...members.filter((m) => m.isUndefined())];
}

/** `null` and `undefined` go last in a broken-up union, as people write them. */
function isNullish(type: Type): boolean {
  return type.isNull() || type.isUndefined();
}

/**
 * A type's text, starting at column `column` of a line indented by `indent`. Fits on the line or is
 * broken at object braces and union bars.
 */
export function printType(type: Type, at: Node, column: number, indent: string): string {
  const flat = flatText(type, at);
  if (column + flat.length + 1 <= LINE_WIDTH) return flat;
  if (isPlainObjectType(type)) {
    const inner = printMembers(type, at, `${indent}  `);
    return inner.length === 0 ? "{}" : `{\n${inner.join("\n")}\n${indent}}`;
  }
  if (type.isArray()) {
    const element = type.getArrayElementTypeOrThrow();
    const text = printType(element, at, column, indent);
    if (text.startsWith("\n")) return flat;
    return element.isUnion() && !element.isBoolean() ? `(${text})[]` : `${text}[]`;
  }
  if (type.isUnion() && !type.isBoolean()) {
    const members = type.getUnionTypes();
    const nullish = nullishLast(members);
    const others = members.filter((m) => !isNullish(m));
    const tail = nullish.map((m) => ` | ${typeText(m, at)}`).join("");
    // `{ ...long object... } | undefined`: break the object, keep the union on its closing line.
    if (others.length === 1 && isPlainObjectType(others[0]!)) {
      return `${printType(others[0]!, at, column, indent)}${tail}`;
    }
    // `boolean` is `false | true` inside the checker: print it as the checker does.
    const isTrue = (m: Type) => m.isBooleanLiteral() && m.getText() === "true";
    const isFalse = (m: Type) => m.isBooleanLiteral() && m.getText() === "false";
    const hasBoolean = others.some(isTrue) && others.some(isFalse);
    const parts = others
      .filter((m) => !(hasBoolean && m.isBooleanLiteral()))
      .map((m) => printType(m, at, indent.length + 4, `${indent}    `));
    if (hasBoolean) parts.push("boolean");
    parts.push(...nullish.map((m) => typeText(m, at)));
    return `\n${parts.map((p) => `${indent}  | ${p}`).join("\n")}`;
  }
  return flat;
}
