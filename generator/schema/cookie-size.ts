/**
 * Build-time check that a cookie session can fit at all: seal the smallest data its schema accepts
 * the way the runtime seals it with the session's generated codec (format 4: positional data after
 * version and the key of layout and checks; deflate when smaller; time header, AES-GCM, base64url) and
 * compare the resulting `Set-Cookie` bytes with the cookie cap.
 */

import {
  checksHash,
  createSealer,
  layoutHash,
  packForCookie,
  planCodec,
  planOf,
  positionalKey,
  type Sealer,
} from "satchel/internal";
import superjson from "superjson";
import type { z } from "zod";
import type { JsonSchema } from "./json-schema.ts";

/** Bytes a browser accepts per cookie, name and attributes included. */
const COOKIE_LIMIT = 4096;
/** Generous attributes: `; Path=/; Expires=...; Max-Age=...; HttpOnly; Secure; SameSite=Lax` and a domain. */
const ATTRIBUTES = 160;

/** The smallest value a JSON Schema (with satchel's `x-satchel` marks) accepts, as a best guess. */
export function minimalValue(schema: JsonSchema | boolean, depth = 0): unknown {
  if (typeof schema === "boolean" || depth > 20) return null;
  if ("const" in schema) return schema.const;
  if (Array.isArray(schema.enum)) {
    return [...schema.enum].sort((a, b) => JSON.stringify(a).length - JSON.stringify(b).length)[0];
  }
  if ("default" in schema) return schema.default;
  const branches = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (branches?.length) {
    return branches
      .map((branch) => minimalValue(branch, depth + 1))
      .sort((a, b) => (superjson.stringify(a)?.length ?? 0) - (superjson.stringify(b)?.length ?? 0))[0];
  }
  switch (schema["x-satchel"]) {
    case "date":
      return new Date(0);
    case "map":
      return new Map();
    case "set":
      return new Set();
    case "bigint":
      return 0n;
    case "undefined":
    case "void":
      return undefined;
  }
  const type = Array.isArray(schema.type)
    ? schema.type.includes("null")
      ? "null"
      : schema.type[0]
    : schema.type;
  switch (type) {
    case "null":
      return null;
    case "boolean":
      return false;
    case "integer":
    case "number": {
      const minimum = typeof schema.minimum === "number" ? schema.minimum : undefined;
      return minimum !== undefined && minimum > 0 ? Math.ceil(minimum) : 0;
    }
    case "string":
      return "a".repeat(typeof schema.minLength === "number" ? schema.minLength : 0);
    case "array": {
      const prefix = (schema.prefixItems as JsonSchema[] | undefined) ?? [];
      const items = prefix.map((item) => minimalValue(item, depth + 1));
      const minItems = typeof schema.minItems === "number" ? schema.minItems : 0;
      while (items.length < minItems) items.push(minimalValue((schema.items as JsonSchema) ?? {}, depth + 1));
      return items;
    }
    case "object": {
      const value: Record<string, unknown> = {};
      const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
      for (const key of (schema.required as string[] | undefined) ?? []) {
        value[key] = minimalValue(properties[key] ?? {}, depth + 1);
      }
      return value;
    }
  }
  return null;
}

let sealer: Sealer | undefined;

/** The format tag of a token written by an up-to-date generated codec. */
const GENERATED_FORMAT = 4;

/**
 * The envelope text the runtime writes for `data` with the session's up-to-date generated codec,
 * without flash or messages: `[4, version, key, wire]` (key: `positionalKey` of layout and checks).
 */
export function generatedEnvelope(schema: z.ZodType, data: unknown, version: number): string {
  const plan = planOf(schema);
  const wire = JSON.stringify(planCodec(plan).encode(data));
  const key = positionalKey(layoutHash(plan), checksHash(schema));
  return `[${GENERATED_FORMAT},${version},${JSON.stringify(key)},${wire}]`;
}

/** Characters of the sealed cookie value for envelope `text`, sealed exactly as the runtime seals it. */
async function sealedCookieBytes(session: string, text: string): Promise<number> {
  // Only the length matters: a throwaway key, and times with an idle expiry (the longest header).
  sealer ??= createSealer(["satchel generator: size estimate only, never used to protect data"]);
  const packed = await packForCookie(text);
  const token = await sealer.seal(session, packed, { createdAt: 1, absoluteExpiresAt: 2, idleExpiresAt: 2 });
  return token.length;
}

/** The smallest sealed cookie size of a session and its cap, or undefined when no valid data was found. */
export async function smallestCookie(
  schema: z.ZodType,
  outputSchema: JsonSchema,
  options: { session: string; version: number; cookieName: string; maxChunks: number },
): Promise<{ bytes: number; cap: number; fits: boolean } | undefined> {
  const candidates = [minimalValue(outputSchema), {}];
  for (const candidate of candidates) {
    const parsed = schema.safeParse(candidate);
    if (!parsed.success) continue;
    let text: string;
    try {
      text = generatedEnvelope(schema, parsed.data, options.version);
    } catch {
      // A schema the codec cannot lay out (e.g. a promise) is reported by the serializability check.
      return undefined;
    }
    const token = await sealedCookieBytes(options.session, text);
    // Each chunk repeats the name (plus `.N`), `=` and the attributes.
    const overhead = options.cookieName.length + 3 + ATTRIBUTES;
    const chunks = Math.ceil(token / (COOKIE_LIMIT - overhead));
    const maxChunks = Math.max(1, options.maxChunks);
    return { bytes: token + chunks * overhead, cap: maxChunks * COOKIE_LIMIT, fits: chunks <= maxChunks };
  }
  return undefined;
}
