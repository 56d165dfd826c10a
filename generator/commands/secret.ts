/** `satchel secret`: a fresh 256-bit random secret for `SESSION_SECRET`, base64url (43 characters). */
import { randomBytes } from "node:crypto";

/** 32 random bytes, base64url without padding. */
export function newSecret(): string {
  return randomBytes(32).toString("base64url");
}
