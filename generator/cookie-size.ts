/**
 * Build-time check that a cookie session can fit at all: seal the smallest data its schema accepts
 * and compare the resulting `Set-Cookie` bytes with the cookie cap. Mirrors the runtime's format
 * (superjson envelope, optional deflate, 13-byte time header, AES-GCM key id + IV + tag, base64url).
 */
import { deflateRawSync } from "node:zlib";
import superjson from "superjson";
import type { z } from "zod";
import type { JsonSchema } from "./json-schema.ts";

/** Bytes a browser accepts per cookie, name and attributes included. */
export const COOKIE_LIMIT = 4096;
/** key id (4) + IV (12) + GCM tag (16). */
const SEAL_OVERHEAD = 4 + 12 + 16;
/** Created/absolute/idle expiry times sealed in front of the data. */
const TIME_HEADER = 13;
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

/** Bytes of one `Set-Cookie` value for `data`, sealed the way the runtime seals it. */
export function sealedCookieBytes(data: unknown, version: number): number {
  const envelope = Buffer.from(superjson.stringify({ version, data }));
  // The runtime compresses only when it helps; one flag byte says which.
  const body = Math.min(envelope.length, deflateRawSync(envelope).length) + 1;
  const sealed = SEAL_OVERHEAD + TIME_HEADER + body;
  return Math.ceil((sealed * 4) / 3);
}

/** The smallest sealed cookie size of a session and its cap, or undefined when no valid data was found. */
export function smallestCookie(
  schema: z.ZodType,
  outputSchema: JsonSchema,
  options: { version: number; cookieName: string; maxChunks: number },
): { bytes: number; cap: number; fits: boolean } | undefined {
  const candidates = [minimalValue(outputSchema), {}];
  for (const candidate of candidates) {
    const parsed = schema.safeParse(candidate);
    if (!parsed.success) continue;
    const token = sealedCookieBytes(parsed.data, options.version);
    // Each chunk repeats the name (plus `.N`), `=` and the attributes.
    const overhead = options.cookieName.length + 3 + ATTRIBUTES;
    const chunks = Math.ceil(token / (COOKIE_LIMIT - overhead));
    const maxChunks = Math.max(1, options.maxChunks);
    return { bytes: token + chunks * overhead, cap: maxChunks * COOKIE_LIMIT, fits: chunks <= maxChunks };
  }
  return undefined;
}
