/**
 * Secrets that seal and sign: the first one seals, every one unseals (rotation).
 */
import { SatchelConfigError } from "../errors.ts";

/** Shortest secret accepted, in characters. 32 base64url characters carry 192 bits. */
const MIN_SECRET_LENGTH = 32;

const HOW_TO_MAKE =
  "Run `npx satchel secret` to print a fresh one (or: node -e \"console.log(require('crypto').randomBytes(32).toString('base64url'))\").";

/**
 * The secrets to use, first one first.
 * @param input secrets passed in code: a comma-separated string or a list. When absent,
 *   `process.env.SESSION_SECRET` (comma-separated) is read.
 * @throws SatchelConfigError when there is no secret, one is shorter than 32 characters, or (in
 *   production; development only warns) one is obviously made up: a repeated character or word.
 *   The message names the secret by position, never by value.
 */
export function resolveSecrets(input?: string | readonly string[]): string[] {
  const fromEnv = input === undefined;
  const raw = fromEnv ? readEnvSecret() : input;
  const list = (typeof raw === "string" ? raw.split(",") : (raw ?? []))
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (list.length === 0) {
    throw new SatchelConfigError(
      fromEnv
        ? "satchel: no session secret. Set SESSION_SECRET to a random string of at least 32 characters " +
            "(several, comma-separated, to rotate: the first seals, all unseal). " +
            HOW_TO_MAKE
        : `satchel: the secrets option is empty. Pass at least one secret of at least ${MIN_SECRET_LENGTH} characters. ${HOW_TO_MAKE}`,
    );
  }
  list.forEach((secret, index) => {
    if (secret.length < MIN_SECRET_LENGTH) {
      const which = fromEnv ? `SESSION_SECRET entry #${index + 1}` : `secret #${index + 1}`;
      throw new SatchelConfigError(
        `satchel: ${which} is ${secret.length} characters long; secrets need at least ${MIN_SECRET_LENGTH}. ${HOW_TO_MAKE}`,
      );
    }
  });
  list.forEach((secret, index) => {
    if (!isPredictable(secret)) return;
    const which = fromEnv ? `SESSION_SECRET entry #${index + 1}` : `secret #${index + 1}`;
    const message =
      `satchel: ${which} is too predictable (${new Set(secret).size} different characters in ${secret.length}); ` +
      `use a random one. ${HOW_TO_MAKE}`;
    const env = globalThis.process?.env?.NODE_ENV;
    if (env === "production") throw new SatchelConfigError(message);
    if (env === "development") console.warn(message);
  });
  return list;
}

/**
 * Fewest different characters a secret must use. 32 random base64url characters use about 25 on
 * average and hex about 15; fewer than 10 means a repeated character or a short repeated word, not
 * a random secret. Not a strength meter: it only catches the obviously made-up ones.
 */
const MIN_DISTINCT_CHARACTERS = 10;

function isPredictable(secret: string): boolean {
  return new Set(secret).size < MIN_DISTINCT_CHARACTERS;
}

/** A fresh random secret: 32 random bytes, base64url (43 characters). */
export function generateSecret(): string {
  const bytes = new Uint8Array(32);
  globalThis.crypto.getRandomValues(bytes);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function readEnvSecret(): string | undefined {
  // Edge runtimes may lack `process`; there the secret must be passed in code.
  return globalThis.process?.env?.SESSION_SECRET;
}
