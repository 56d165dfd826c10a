/**
 * `sealToken()` / `openToken()`: one-off tokens (password resets, magic links) of the kinds the
 * schema file declares. Sealing checks the data with the kind's schema and seals it
 * (`token-text.ts`); opening unseals, checks the schema again and, for a `singleUse` kind, records
 * the token as used (`single-use.ts`). A refused token is `null` plus an `onInvalid` report saying
 * which kind and why; only a store outage rejects.
 */
import { formatPath, validateForRead } from "../codec/validate.ts";
import type { Sealer } from "../crypto/seal.ts";
import type { SessionsConfig } from "../define.ts";
import type { ResolvedToken } from "../define-tokens.ts";
import { SatchelConfigError, SatchelError, SessionValidationError } from "../errors.ts";
import type { SessionStore } from "../stores/types.ts";
import { closestKey } from "../suggest.ts";
import type { InvalidReport, TokenInvalidReason } from "../types.ts";
import { markUsed, usedKey, wasUsed } from "./single-use.ts";
import { openTokenText, sealTokenText } from "./token-text.ts";

/** What tokens need of a satchel: its config and clock, and its sealer, store and `onInvalid`, resolved on first use. */
export interface TokenRuntime {
  readonly config: SessionsConfig;
  now(): number;
  sealer(): Sealer | Promise<Sealer>;
  /** The app's store (the runtime-wide one): where single-use tokens are recorded. */
  store(): Promise<SessionStore>;
  onInvalid(report: InvalidReport): void;
}

/** Options of `openToken()`. */
export interface OpenTokenOptions {
  /**
   * `false`: check a `singleUse` token without using it up. A page that shows a password-reset form
   * checks the link this way; the server action that sets the password opens it for good. A token
   * already used is refused either way. No effect on kinds without `singleUse`.
   * @default true
   */
  consume?: boolean;
}

/** The untyped token functions; `Satchel` types them per token name. */
export interface TokenFunctions {
  sealToken(name: string, data: unknown): Promise<string>;
  openToken(name: string, text: string | null | undefined, options?: OpenTokenOptions): Promise<unknown>;
}

/** The token functions of one satchel. */
export function createTokens(runtime: TokenRuntime): TokenFunctions {
  const kinds = runtime.config.tokens ?? {};
  const others = { tokens: Object.keys(kinds), sessions: Object.keys(runtime.config.sessions) };
  const kindOf = (name: string): ResolvedToken => {
    const kind = typeof name === "string" && Object.hasOwn(kinds, name) ? kinds[name] : undefined;
    if (kind !== undefined) return kind;
    throw unknownKind(String(name), others.tokens);
  };

  return {
    async sealToken(name, data) {
      const kind = kindOf(name);
      const checked = checkForSeal(kind, data);
      return sealTokenText(await runtime.sealer(), name, checked, kind.ttl, runtime.now());
    },
    async openToken(name, text, options = {}) {
      const kind = kindOf(name);
      // No token at all (a link without one, an empty form field) is not a refused token.
      if (text === undefined || text === null || text === "") return null;
      const refuse = (reason: TokenInvalidReason, detail: string): null => {
        runtime.onInvalid({ reason, token: name, session: name, detail });
        return null;
      };
      if (typeof text !== "string") return refuse("malformed", `not text but ${typeof text}`);
      const sealer = await runtime.sealer();
      const now = runtime.now();
      const opened = await openTokenText(sealer, name, text, now, others);
      if (!opened.ok) return refuse(opened.reason, opened.detail);
      const checked = validateForRead(kind.schema, opened.data);
      if (!checked.ok) return refuse("schema-mismatch", checked.detail);
      if (kind.singleUse) {
        const store = await runtime.store();
        const key = await usedKey(name, opened.id, sealer.backend);
        const fresh =
          options.consume === false
            ? !(await wasUsed(store, key))
            : await markUsed(store, key, opened.expiresAt, now);
        if (!fresh) return refuse("used", "opened before; the token is single-use");
      }
      return checked.data;
    },
  };
}

/**
 * The data a token of `kind` seals: zod's output (defaults applied, unknown keys stripped).
 * @throws SessionValidationError naming the first invalid field.
 */
function checkForSeal(kind: ResolvedToken, data: unknown): unknown {
  let result: ReturnType<ResolvedToken["schema"]["safeParse"]>;
  try {
    result = kind.schema.safeParse(data);
  } catch (cause) {
    // Async refinements throw in a sync parse: a schema problem, not a data problem.
    throw new SatchelError(
      `satchel: token "${kind.name}" schema could not validate synchronously; token schemas must not use async refinements.`,
      { cause },
    );
  }
  if (result.success) {
    // The output is sealed and checked again when opened: a schema that refuses its own output
    // (a transform) would make every token of the kind unopenable. Sealing is rare; say so here.
    if (!kind.schema.safeParse(result.data).success) {
      throw new SatchelConfigError(
        `satchel: token "${kind.name}" schema does not accept its own output (a .transform()?), so openToken() ` +
          "would refuse every token of it; give the token a schema describing the data as sealed, without transforms.",
      );
    }
    return result.data;
  }
  const issue = result.error.issues[0];
  throw new SessionValidationError(
    kind.name,
    formatPath(issue?.path ?? []),
    issue?.message ?? "invalid value",
    "token",
  );
}

function unknownKind(name: string, declared: readonly string[]): SatchelConfigError {
  const closest = closestKey(name, declared);
  const known =
    closest !== undefined
      ? ` (did you mean "${closest}"?)`
      : declared.length > 0
        ? ` (declared: ${declared.join(", ")})`
        : "";
  return new SatchelConfigError(
    `satchel: there is no token "${name}"${known}; declare it in sessions.schema.ts with ` +
      `defineSessions({ ... }, { tokens: { ${name}: { schema, ttl } } }) and run npm run gen.`,
  );
}
