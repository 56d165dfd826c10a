/**
 * What a run checks before it writes anything, session by session, in schema order: the session has
 * a schema; its fields and flash payloads can be stored; its cookie name and its generated type name
 * are its own; its schema has a JSON Schema (what the snapshot keeps); and a cookie session's smallest
 * valid data fits in its cookies.
 */
import type { z } from "zod";
import { pascalName } from "../emit/declarations.ts";
import type { AnalysedSession } from "../schema/analyse.ts";
import { smallestCookie } from "../schema/cookie-size.ts";
import { type JsonSchema, toJsonSchema } from "../schema/json-schema.ts";
import type { LoadedSession } from "../schema/load-schema.ts";
import type { SchemaLocations } from "../schema/locations.ts";
import { missingSchema, type ReadSchema } from "../schema/read-schema.ts";
import { findUnserializable } from "../schema/serializable.ts";

/** A session with what the snapshot comparison needs: its zod schema, printed types and JSON Schemas. */
export interface CheckedSession {
  loaded: LoadedSession;
  schema: z.ZodType;
  types: AnalysedSession;
  /** What the session's data is (what stored sessions hold). */
  output: JsonSchema;
  /** What its schema accepts on read. */
  input: JsonSchema;
}

/** The failed checks as complete messages, and the sessions that have JSON Schemas. */
interface Checks {
  errors: string[];
  checked: CheckedSession[];
}

/** Checks every loaded session of `schema`. */
export async function checkSessions(sessions: readonly LoadedSession[], schema: ReadSchema): Promise<Checks> {
  const errors: string[] = [];
  const checked: CheckedSession[] = [];
  const names = new TakenNames();
  for (const session of sessions) {
    const types = schema.types.get(session.name);
    if (!types || !session.schema) {
      errors.push(missingSchema(session.name, schema.locations));
      continue;
    }
    const at = schema.locations.session(session.name);
    errors.push(...unserializable(session, session.schema, schema.locations), ...names.take(session, at));
    const json = jsonSchemas(session, session.schema, at);
    if (typeof json === "string") {
      errors.push(json);
      continue;
    }
    if (session.storage === "cookie") {
      errors.push(...(await cookieTooSmall(session, session.schema, json.output, at)));
    }
    checked.push({ loaded: session, schema: session.schema, types, ...json });
  }
  return { errors, checked };
}

/** Fields and flash payloads that cannot be stored. */
function unserializable(session: LoadedSession, schema: z.ZodType, locations: SchemaLocations): string[] {
  const errors: string[] = [];
  for (const problem of findUnserializable(schema)) {
    errors.push(
      `satchel: ${locations.field(session.name, problem.path)}: session "${session.name}" field "${problem.path}" is a ${problem.kind}: ${problem.why}. ` +
        `Store plain data (strings, numbers, booleans, arrays, objects, Date, Map, Set, BigInt) instead.`,
    );
  }
  const at = locations.session(session.name);
  for (const [channel, payload] of Object.entries(session.flash)) {
    for (const problem of findUnserializable(payload)) {
      const field = problem.path ? `${channel}.${problem.path}` : channel;
      errors.push(
        `satchel: ${at}: session "${session.name}" flash channel "${field}" is a ${problem.kind}: ${problem.why}. Flash plain data instead.`,
      );
    }
  }
  return errors;
}

/** A cookie session whose smallest valid data, sealed as the runtime seals it, can never fit. */
async function cookieTooSmall(
  session: LoadedSession,
  schema: z.ZodType,
  output: JsonSchema,
  at: string,
): Promise<string[]> {
  const size = await smallestCookie(schema, output, {
    session: session.name,
    version: session.version,
    cookieName: session.cookieName,
    maxChunks: session.maxChunks,
  });
  if (!size || size.fits) return [];
  return [
    `satchel: ${at}: session "${session.name}" can never fit in its cookie: its smallest valid data seals to about ` +
      `${size.bytes} bytes of Set-Cookie, over the ${size.cap}-byte cap (${session.maxChunks} × 4096). ` +
      `Use storage: "store", raise cookie.maxChunks, or shrink the schema's minimum sizes.`,
  ];
}

/** Cookie names and generated type names of the sessions checked so far: no two sessions share one. */
class TakenNames {
  readonly #cookies = new Map<string, string>();
  readonly #types = new Map<string, string>();

  /** Takes the session's names; a message for each one an earlier session has. */
  take(session: LoadedSession, at: string): string[] {
    const errors: string[] = [];
    const cookieOwner = this.#cookies.get(session.cookieName);
    if (cookieOwner) {
      errors.push(
        `satchel: ${at}: sessions "${cookieOwner}" and "${session.name}" both use the cookie name "${session.cookieName}"; give one of them another cookie.name.`,
      );
    }
    this.#cookies.set(session.cookieName, session.name);
    const typeName = pascalName(session.name);
    const typeOwner = this.#types.get(typeName);
    if (typeOwner) {
      errors.push(
        `satchel: ${at}: sessions "${typeOwner}" and "${session.name}" would both generate ${typeName}Data; rename one of them.`,
      );
    }
    this.#types.set(typeName, session.name);
    return errors;
  }
}

/** Both JSON Schemas of the session's data, or the message saying why zod could not write them. */
function jsonSchemas(
  session: LoadedSession,
  schema: z.ZodType,
  at: string,
): { output: JsonSchema; input: JsonSchema } | string {
  try {
    return { output: toJsonSchema(schema, "output"), input: toJsonSchema(schema, "input") };
  } catch (cause) {
    return `satchel: ${at}: session "${session.name}": its schema cannot be described as JSON Schema (${(cause as Error).message}); use plain zod types.`;
  }
}
