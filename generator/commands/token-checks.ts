/**
 * What a run checks of the `tokens` option before it writes anything, kind by kind: the type checker
 * saw the kind, its data can be sealed, and its generated type names are its own.
 */
import { pascalName } from "../emit/declarations.ts";
import type { EmitToken } from "../emit/emit-tokens.ts";
import { docOf, fieldDocs } from "../schema/docs.ts";
import type { LoadedSession, LoadedToken } from "../schema/load-schema.ts";
import type { ReadSchema } from "../schema/read-schema.ts";
import { findUnserializable } from "../schema/serializable.ts";

/** Checks every token kind of `schema`; `sessions` are the schema's sessions, whose type names are taken. */
export function checkTokens(
  tokens: readonly LoadedToken[],
  sessions: readonly LoadedSession[],
  schema: ReadSchema,
): { errors: string[]; checked: EmitToken[] } {
  const errors: string[] = [];
  const checked: EmitToken[] = [];
  // `<Name>TokenData` of a token is `<Name>Token` + `Data`: the same as a session named `<name>Token`.
  const typeOwners = new Map(
    sessions.map((session) => [pascalName(session.name), `session "${session.name}"`]),
  );
  for (const token of tokens) {
    const at = schema.locations.token(token.name);
    const types = schema.tokens.get(token.name);
    if (types === undefined) {
      errors.push(
        `satchel: ${at}: token "${token.name}": the type checker cannot see its schema; ` +
          "write the tokens option as an object in the defineSessions() call, or in a variable it names.",
      );
      continue;
    }
    for (const problem of findUnserializable(token.schema)) {
      const field = problem.path ? ` field "${problem.path}"` : "";
      errors.push(
        `satchel: ${at}: token "${token.name}"${field} is a ${problem.kind}: ${problem.why}. ` +
          "Seal plain data (strings, numbers, booleans, arrays, objects, Date, Map, Set, BigInt) instead.",
      );
    }
    const typeName = `${pascalName(token.name)}Token`;
    const owner = typeOwners.get(typeName);
    if (owner !== undefined) {
      errors.push(
        `satchel: ${at}: ${owner} and token "${token.name}" would both generate ${typeName}Data; rename one of them.`,
      );
    }
    typeOwners.set(typeName, `token "${token.name}"`);
    checked.push({
      types,
      ttl: token.ttl,
      singleUse: token.singleUse,
      docs: { token: docOf(token.schema), fields: fieldDocs(token.schema) },
    });
  }
  return { errors, checked };
}
