/**
 * The `tokens` option of `defineSessions()`: one-off token kinds (password resets, magic links),
 * checked and resolved once, at import time, like the sessions beside them. Every mistake names the
 * token and the key, as `satchel: defineSessions() option "tokens.<name>.<key>" ...`.
 */
import type { z } from "zod";
import { parseDuration } from "./duration.ts";
import { SatchelConfigError } from "./errors.ts";
import { closestKey } from "./suggest.ts";
import type { TokenDefinition } from "./types.ts";

/** One token kind, checked, with its lifetime in seconds. */
export interface ResolvedToken {
  name: string;
  /** Exactly what the schema file declared (the generator reads it). */
  definition: TokenDefinition;
  schema: z.ZodType;
  /** Lifetime in whole seconds, at least 1. */
  ttl: number;
  singleUse: boolean;
}

const TOKEN_KEYS = ["schema", "ttl", "singleUse"] as const satisfies readonly (keyof TokenDefinition)[];
/** Token names name generated types (`PasswordResetTokenData`) and store keys, as session names do. */
const TOKEN_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function fail(where: string, message: string): never {
  throw new SatchelConfigError(`satchel: defineSessions() option "${where}" ${message}`);
}

/** A zod 4 type, recognised structurally so two copies of zod in node_modules still work. */
function isZodType(value: unknown): value is z.ZodType {
  return typeof value === "object" && value !== null && "_zod" in value && "safeParse" in value;
}

/**
 * Checks the `tokens` option and resolves every token kind.
 * @throws SatchelConfigError naming the token and key when a definition is wrong.
 */
export function resolveTokens(tokens: unknown): Readonly<Record<string, ResolvedToken>> {
  if (tokens === undefined) return Object.freeze({});
  if (tokens === null || typeof tokens !== "object" || Array.isArray(tokens)) {
    fail("tokens", "must map token names to { schema, ttl, singleUse? }.");
  }
  const resolved: Record<string, ResolvedToken> = {};
  for (const [name, definition] of Object.entries(tokens)) {
    resolved[name] = Object.freeze(resolveToken(name, definition));
  }
  return Object.freeze(resolved);
}

function resolveToken(name: string, definition: unknown): ResolvedToken {
  const where = `tokens.${name}`;
  if (!TOKEN_NAME.test(name)) {
    fail(where, "needs a name that is an identifier (letters, digits, _), because it names generated types.");
  }
  if (definition === null || typeof definition !== "object" || Array.isArray(definition)) {
    fail(where, 'must be an object like { schema: z.object({ ... }), ttl: "15m" }.');
  }
  for (const key of Object.keys(definition)) {
    if (!(TOKEN_KEYS as readonly string[]).includes(key)) {
      const closest = closestKey(key, TOKEN_KEYS);
      fail(
        `${where}.${key}`,
        `is unknown${closest === undefined ? `; known keys: ${TOKEN_KEYS.join(", ")}.` : ` (did you mean "${closest}"?).`}`,
      );
    }
  }
  const { schema, ttl, singleUse } = definition as Partial<TokenDefinition>;
  if (!isZodType(schema))
    fail(
      `${where}.schema`,
      "needs a zod schema for the token's data, e.g. z.object({ userId: z.string() }).",
    );
  if (ttl === undefined) fail(`${where}.ttl`, 'is required: how long a token stays valid, e.g. "15m".');
  const seconds = parseDuration(ttl, `defineSessions() option "${where}.ttl"`);
  if (seconds < 1) fail(`${where}.ttl`, "must be at least one second.");
  if (singleUse !== undefined && typeof singleUse !== "boolean")
    fail(`${where}.singleUse`, "must be true or false.");
  return {
    name,
    definition: definition as TokenDefinition,
    schema,
    ttl: seconds,
    singleUse: singleUse ?? false,
  };
}
