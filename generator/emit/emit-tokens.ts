/**
 * The one-off tokens' part of the generated module: per token kind its data and input types, the
 * `TokenTypes` map that types `sealToken(name, data)` and `openToken(name, text)` per name, and the
 * two functions. A schema file without tokens gets none of it.
 */
import type { AnalysedToken, PrintedType } from "../schema/analyse-tokens.ts";
import type { Doc } from "../schema/docs.ts";
import { propertyKey } from "../schema/print-type.ts";
import { block, declarationDoc, documented, pascalName } from "./declarations.ts";

/** What one token kind contributes to the module. */
export interface EmitToken {
  types: AnalysedToken;
  /** Lifetime in seconds. */
  ttl: number;
  singleUse: boolean;
  /** The description of the token's schema, and of its fields. */
  docs: { token: Doc | undefined; fields: Record<string, Doc> };
}

/** The module's token parts, each `""` when there are no tokens. */
export interface TokenParts {
  /** Per kind its data and input types, after the sessions'. */
  declarations: string;
  /** `TokenTypes` and `TokenName`, after `SessionTypes`. */
  map: string;
  /** The second type argument of `createSatchel`. */
  typeArgument: string;
  /** `sealToken` and `openToken`, at the end. */
  functions: string;
}

/** `900` → `15m`: the largest unit that divides the lifetime, as the schema file would write it. */
function durationText(seconds: number): string {
  for (const [unit, size] of [
    ["d", 86_400],
    ["h", 3_600],
    ["m", 60],
  ] as const) {
    if (seconds >= size && seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}

function members(printed: PrintedType, docs: Record<string, Doc>): string[] | string {
  return "alias" in printed ? printed.alias : printed.members.map((line) => documented(line, docs));
}

function sameType(a: PrintedType, b: PrintedType): boolean {
  return "alias" in a
    ? "alias" in b && a.alias === b.alias
    : "members" in b && a.members.join("\n") === b.members.join("\n");
}

function emitToken(token: EmitToken): string {
  const { name } = token.types;
  const Name = `${pascalName(name)}Token`;
  const lifetime = `valid ${durationText(token.ttl)}${token.singleUse ? ", single use" : ""}`;
  const data = members(token.types.data, token.docs.fields);
  const input = sameType(token.types.data, token.types.input)
    ? `${Name}Data`
    : members(token.types.input, token.docs.fields);
  return [
    `// Token "${name}" (${lifetime}).`,
    "",
    declarationDoc(
      token.docs.token,
      `What \`openToken("${name}", text)\` gives: \`z.output\` of the token's schema.`,
    ),
    block("interface", `${Name}Data`, data).trimEnd(),
    "",
    `/** What \`sealToken("${name}", data)\` takes: \`z.input\` of the token's schema. */`,
    block("interface", `${Name}Input`, input).trimEnd(),
    "",
  ].join("\n");
}

/** The token parts of the module for `tokens` (in declaration order). */
export function emitTokens(tokens: readonly EmitToken[], schemaFile: string): TokenParts {
  if (tokens.length === 0) return { declarations: "", map: "", typeArgument: "", functions: "" };
  const entries = tokens.map(({ types }) => {
    const Name = `${pascalName(types.name)}Token`;
    return `  ${propertyKey(types.name)}: { input: ${Name}Input; data: ${Name}Data };`;
  });
  return {
    declarations: `\n${tokens.map(emitToken).join("\n")}`,
    map: [
      "/** Every one-off token by name: what `sealToken(name, data)` takes and `openToken(name, text)` gives. */",
      `export type TokenTypes = {\n${entries.join("\n")}\n};`,
      "",
      `/** A token name declared in ${schemaFile}. */`,
      "export type TokenName = keyof TokenTypes;",
      "",
    ].join("\n"),
    typeArgument: ", TokenTypes",
    functions: [
      "",
      "/**",
      " * One-off tokens (password resets, magic links): checks `data` with the token's schema and seals it",
      " * into URL-safe text for a link, valid for the token's `ttl`. Works anywhere on the server: server",
      " * actions, route handlers, Server Components.",
      " */",
      "export const sealToken = satchel.sealToken.bind(satchel);",
      "",
      "/**",
      " * Opens a token sealed by `sealToken`: its typed data, or `null` when it is expired, tampered, of",
      " * another kind, or (single use) opened before; `onInvalid` hears which. A single-use token is used",
      " * up here; pass `{ consume: false }` to check it without (a page showing the form it unlocks).",
      " */",
      "export const openToken = satchel.openToken.bind(satchel);",
      "",
    ].join("\n"),
  };
}
