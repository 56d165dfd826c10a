/**
 * The flash (and leveled messages) hand-off from `proxy.ts` to the render of the same request.
 *
 * A Server Component cannot set cookies, so it cannot remove a flash it shows. The proxy runs first
 * and can: it reads (consumes) the pending flash and messages of each session, writes the session
 * back without them, and forwards the values to the render in one request header. The render's
 * `getSession()` puts them back as this-request-only values (`flash.<channel>.now()`, injected
 * messages), so `read()` shows them in this response only; a reload finds nothing.
 *
 * The header is only the proxy's to make, and only for the request it runs for:
 * - sealed (AES-256-GCM) under its own key, derived from the session secrets with HKDF under a name
 *   no session can have, so it is unreadable in transit and in logs, and no session token or signed
 *   plain cookie can stand in for it;
 * - bound to the request: it carries a SHA-256 of the `Cookie` header the proxy forwards, so a copy
 *   replayed with other cookies (another visitor, another session) shows nothing;
 * - valid for a few seconds and never from the future (the proxy and the render of one request run
 *   on the same server, a moment apart).
 * The proxy also deletes any copy the client sent before adding its own, also from the request a
 * rewrite of your proxy function forwards; where no proxy runs, a client copy fails the checks above.
 * @internal
 */
import superjson from "superjson";
import { base64urlEncode, sha256, utf8 } from "../crypto/backend.ts";
import type { Sealer } from "../crypto/seal.ts";

/** Request header carrying the handed-off flash (lower case, as `Headers` reports it). */
export const FLASH_HANDOFF_HEADER = "x-satchel-flash";

/** Handed-off flash: session name → channel name → values, oldest first. */
type HandedOffFlash = Record<string, Record<string, unknown[]>>;

/** Handed-off leveled messages: session name → messages (`{ level, body, title?, life? }`), oldest first. */
type HandedOffMessages = Record<string, unknown[]>;

/** Everything the proxy hands to the render. */
export interface Handoff {
  flash: HandedOffFlash;
  messages: HandedOffMessages;
}

/** A hand-off with nothing in it. */
export function emptyHandoff(): Handoff {
  return { flash: {}, messages: {} };
}

/** How long a hand-off stays valid: it only has to reach the render of the same request. */
const HANDOFF_MAX_AGE_MS = 5_000;

/** Larger hand-offs are not attempted: request headers are limited (Node: 16 KiB in all). */
export const MAX_HANDOFF_BYTES = 8 * 1024;

/**
 * The name the hand-off key is derived under (HKDF info `satchel/v1/<name>`, also bound as associated
 * data). Session names are identifiers, so none can ever share this key.
 */
const HANDOFF_KEY_NAME = "next/flash-handoff";

/** Seals and opens hand-off bodies under the hand-off key. */
export interface HandoffSealer {
  seal(plaintext: Uint8Array, nowMs: number): Promise<string>;
  /** The plaintext, or `null` for anything forged, foreign, expired or malformed. */
  open(token: string, nowMs: number): Promise<Uint8Array | null>;
}

/** The hand-off sealer over the app's sealer (resolved on first use: secrets are lazy). */
export function handoffSealer(sealer: () => Promise<Sealer>): HandoffSealer {
  return {
    async seal(plaintext, nowMs) {
      const createdAt = Math.floor(nowMs / 1000);
      // The sealed deadline backs up the millisecond check in decodeHandoff.
      const times = { createdAt, absoluteExpiresAt: createdAt + 10, idleExpiresAt: null };
      return (await sealer()).seal(HANDOFF_KEY_NAME, plaintext, times);
    },
    async open(token, nowMs) {
      const result = await (await sealer()).unseal(HANDOFF_KEY_NAME, token, nowMs);
      return result.ok ? result.plaintext : null;
    },
  };
}

/** What a hand-off is bound to: a hash of the `Cookie` header the render receives. */
async function bindingOf(cookieHeader: string | null | undefined): Promise<string> {
  return base64urlEncode(await sha256(utf8(cookieHeader ?? "")));
}

/**
 * Seals a hand-off for the request whose render receives `cookieHeader`.
 * @returns the header value, or `null` when there is nothing to hand off.
 */
export async function encodeHandoff(
  handoff: Handoff,
  cookieHeader: string | null | undefined,
  sealer: HandoffSealer,
  nowMs: number,
): Promise<string | null> {
  const { flash, messages } = handoff;
  if (Object.keys(flash).length === 0 && Object.keys(messages).length === 0) return null;
  const body: { t: number; b: string; f: HandedOffFlash; m?: HandedOffMessages } = {
    t: nowMs,
    b: await bindingOf(cookieHeader),
    f: flash,
  };
  if (Object.keys(messages).length > 0) body.m = messages;
  return sealer.seal(utf8(superjson.stringify(body)), nowMs);
}

/**
 * Opens a hand-off header for a request whose `Cookie` header is `cookieHeader`. Anything forged,
 * made for other cookies, older than a few seconds, from the future or malformed yields an empty
 * hand-off: a bad header can only cost the flash, never the request.
 */
export async function decodeHandoff(
  value: string | null | undefined,
  cookieHeader: string | null | undefined,
  sealer: HandoffSealer,
  nowMs: number,
): Promise<Handoff> {
  if (typeof value !== "string" || value === "" || value.length > MAX_HANDOFF_BYTES * 2)
    return emptyHandoff();
  const bytes = await sealer.open(value, nowMs).catch(() => null);
  if (bytes === null) return emptyHandoff();
  try {
    const parsed = superjson.parse<{ t?: unknown; b?: unknown; f?: unknown; m?: unknown }>(
      new TextDecoder().decode(bytes),
    );
    const age = typeof parsed?.t === "number" ? nowMs - parsed.t : Number.NaN;
    if (!(age >= 0 && age <= HANDOFF_MAX_AGE_MS)) return emptyHandoff();
    if (parsed.b !== (await bindingOf(cookieHeader))) return emptyHandoff();
    return {
      flash: isHandedOffFlash(parsed.f) ? parsed.f : {},
      messages: isHandedOffMessages(parsed.m) ? parsed.m : {},
    };
  } catch {
    return emptyHandoff();
  }
}

/**
 * The hand-off a request carries, bound to its own Cookie header; `undefined` when it carries no
 * hand-off header, so there is nothing to decode or wait for.
 */
export function readHandoff(headers: Headers, sealer: HandoffSealer): Promise<Handoff> | undefined {
  if (!headers.has(FLASH_HANDOFF_HEADER)) return undefined;
  return decodeHandoff(headers.get(FLASH_HANDOFF_HEADER), headers.get("cookie"), sealer, Date.now());
}

function isHandedOffMessages(value: unknown): value is HandedOffMessages {
  if (value === null || typeof value !== "object") return false;
  return Object.values(value).every((v) => Array.isArray(v));
}

function isHandedOffFlash(value: unknown): value is HandedOffFlash {
  if (value === null || typeof value !== "object") return false;
  return Object.values(value).every(
    (channels) =>
      channels !== null &&
      typeof channels === "object" &&
      Object.values(channels).every((v) => Array.isArray(v)),
  );
}
