/**
 * A one-off token's text: its data sealed under a key of its own kind.
 *
 * text    = the sealer's output (`crypto/seal.ts`): base64url(keyId ‖ iv ‖ AES-256-GCM(times ‖ payload) ‖ tag),
 *           sealed under the key name `token/<kind>`
 * payload = format[1] ‖ id[16] ‖ superjson text of the data
 *
 * - The key name is the HKDF info of the key and part of the associated data, so a token opens only
 *   as its own kind. Session names are identifiers, so no session key (and no other satchel key,
 *   such as the Next.js flash hand-off's `next/flash-handoff`) is ever `token/…`: a session cookie
 *   never opens as a token, and a token never opens as a session cookie.
 * - The expiry is the sealer's absolute expiry: checked after the tag, before anything is read.
 * - The id (16 random bytes) names the token for single use (`single-use.ts`). It is inside the
 *   sealed payload: another encoding of the same text cannot make another id, and the stricter
 *   base64url decoding refuses such encodings anyway.
 * - base64url is URL-safe as is: `A-Z a-z 0-9 - _`, nothing to escape in a link.
 */
import superjson from "superjson";
import type { Sealer } from "../crypto/seal.ts";
import { SatchelError } from "../errors.ts";
import type { TokenInvalidReason } from "../types.ts";

/** The payload layout written by this build; another first byte is refused as malformed. */
const PAYLOAD_FORMAT = 1;
const ID_LENGTH = 16;

/**
 * Longest token text sealed or opened, in characters. Links longer than this break in mail clients
 * and server logs; a token carries an id, not a record. Longer input is refused before any crypto.
 */
export const MAX_TOKEN_TEXT = 4096;

/** The name a token kind's key is derived under and bound to. */
function keyNameOf(kind: string): string {
  return `token/${kind}`;
}

/** A token that opened: its id and data (not yet checked against the schema) and when it expires. */
export interface OpenedTokenText {
  ok: true;
  /** The token's random id, for single use. */
  id: Uint8Array;
  data: unknown;
  /** Epoch milliseconds. */
  expiresAt: number;
}

/** Why a text did not open, with a detail for `onInvalid` (never the text itself). */
export interface RefusedTokenText {
  ok: false;
  reason: TokenInvalidReason;
  detail: string;
}

/** The names a text could have been sealed under, to tell another kind from a forgery. */
export interface OtherKinds {
  /** Every declared token kind. */
  tokens: readonly string[];
  /** Every declared session (their cookies and sealed ids). */
  sessions: readonly string[];
}

/**
 * Seals `data` (already checked by the token's schema) as a token of `kind` valid for `ttl` seconds.
 * @throws SatchelError when the data cannot be serialized or the text would be too long for a link.
 */
export async function sealTokenText(
  sealer: Sealer,
  kind: string,
  data: unknown,
  ttl: number,
  nowMs: number,
): Promise<string> {
  let json: Uint8Array;
  try {
    json = new TextEncoder().encode(superjson.stringify(data));
  } catch (cause) {
    throw new SatchelError(
      `satchel: token "${kind}" data cannot be serialized (${cause instanceof Error ? cause.message : String(cause)}); ` +
        "seal plain data (strings, numbers, booleans, arrays, objects, Date, Map, Set, BigInt).",
      { cause },
    );
  }
  const payload = new Uint8Array(1 + ID_LENGTH + json.length);
  payload[0] = PAYLOAD_FORMAT;
  payload.set(sealer.backend.randomBytes(ID_LENGTH), 1);
  payload.set(json, 1 + ID_LENGTH);
  const createdAt = Math.floor(nowMs / 1000);
  const times = { createdAt, absoluteExpiresAt: createdAt + ttl, idleExpiresAt: null };
  const text = await sealer.seal(keyNameOf(kind), payload, times);
  if (text.length > MAX_TOKEN_TEXT) {
    throw new SatchelError(
      `satchel: token "${kind}" is ${text.length} characters, over the ${MAX_TOKEN_TEXT} a link can safely carry; ` +
        "seal an id and look the rest up when the token is opened.",
    );
  }
  return text;
}

/** Opens `text` as a token of `kind`. Never throws for bad input: a refusal says why. */
export async function openTokenText(
  sealer: Sealer,
  kind: string,
  text: string,
  nowMs: number,
  others: OtherKinds,
): Promise<OpenedTokenText | RefusedTokenText> {
  if (text.length > MAX_TOKEN_TEXT) {
    return { ok: false, reason: "malformed", detail: `longer than ${MAX_TOKEN_TEXT} characters` };
  }
  const result = await sealer.unseal(keyNameOf(kind), text, nowMs);
  if (!result.ok) {
    if (result.reason === "tampered") return whyTampered(sealer, kind, text, nowMs, others);
    return { ok: false, reason: result.reason, detail: describeFailure(result.reason) };
  }
  const payload = result.plaintext;
  if (payload.length < 1 + ID_LENGTH || payload[0] !== PAYLOAD_FORMAT) {
    return { ok: false, reason: "malformed", detail: "an unknown payload format" };
  }
  let data: unknown;
  try {
    data = superjson.parse(new TextDecoder("utf-8", { fatal: true }).decode(payload.subarray(1 + ID_LENGTH)));
  } catch {
    return { ok: false, reason: "malformed", detail: "its data is not readable" };
  }
  return {
    ok: true,
    id: payload.slice(1, 1 + ID_LENGTH),
    data,
    expiresAt: result.times.absoluteExpiresAt * 1000,
  };
}

function describeFailure(reason: "malformed" | "expired" | "unknown-key"): string {
  if (reason === "expired") return "its ttl has passed";
  if (reason === "unknown-key") return "sealed with a secret that is no longer listed";
  return "not a token (cut short or changed in transit?)";
}

/**
 * A text that fails the tag under its kind's key: sealed for another kind or session (`wrong-kind`),
 * or forged (`tampered`). Trying the other keys costs one AES-GCM call each, on this failure path only.
 */
async function whyTampered(
  sealer: Sealer,
  kind: string,
  text: string,
  nowMs: number,
  others: OtherKinds,
): Promise<RefusedTokenText> {
  const candidates = [
    ...others.tokens.filter((other) => other !== kind).map((other) => [keyNameOf(other), `token "${other}"`]),
    ...others.sessions.map((session) => [session, `a cookie of session "${session}"`]),
  ];
  for (const [keyName, what] of candidates as [string, string][]) {
    const attempt = await sealer.unseal(keyName, text, nowMs);
    if (attempt.ok || attempt.reason === "expired") {
      return { ok: false, reason: "wrong-kind", detail: `sealed as ${what}, not as token "${kind}"` };
    }
  }
  return { ok: false, reason: "tampered", detail: "its seal does not verify" };
}
