/**
 * The flash (and leveled messages) hand-off from `proxy.ts` to the render of the same request.
 *
 * A Server Component cannot set cookies, so it cannot remove a flash it shows. The proxy runs first
 * and can: it reads (consumes) the pending flash and messages of each session, writes the session
 * back without them, and forwards the values to the render in one request header. The render's
 * `getSession()` puts them back as this-request-only values (`flash.<channel>.now()`, injected
 * messages), so `read()` shows them in this response only; a reload finds nothing.
 *
 * The header is signed with the session secrets and carries its issue time, and the proxy deletes
 * any copy the client sent before adding its own: a client can neither inject nor replay flash.
 * @internal
 */
import superjson from "superjson";

/** Request header carrying the handed-off flash (lower case, as `Headers` reports it). */
export const FLASH_HANDOFF_HEADER = "x-satchel-flash";

/** Handed-off flash: session name → channel name → values, oldest first. */
export type HandedOffFlash = Record<string, Record<string, unknown[]>>;

/** Handed-off leveled messages: session name → messages (`{ level, body, title?, life? }`), oldest first. */
export type HandedOffMessages = Record<string, unknown[]>;

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
const MAX_AGE_MS = 60_000;

/** Larger hand-offs are not attempted: request headers are limited (Node: 16 KiB in all). */
export const MAX_HANDOFF_BYTES = 8 * 1024;

const encoder = new TextEncoder();

/**
 * Signs and verifies hand-off values with the app's session secrets (the first signs, all verify).
 * `createNextSessions` builds it from satchel's signed-cookie helpers, so no second key exists.
 */
export interface HandoffSigner {
  sign(value: string): Promise<string>;
  /** The value, or `undefined` when the signature does not match any secret. */
  verify(signed: string): Promise<string | undefined>;
}

function toBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
  try {
    const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  } catch {
    return null;
  }
}

/**
 * Encodes and signs a hand-off.
 * @returns the header value, or `null` when there is nothing to hand off.
 */
export async function encodeHandoff(
  handoff: Handoff,
  signer: HandoffSigner,
  nowMs: number,
): Promise<string | null> {
  const { flash, messages } = handoff;
  if (Object.keys(flash).length === 0 && Object.keys(messages).length === 0) return null;
  const body: { t: number; f: HandedOffFlash; m?: HandedOffMessages } = { t: nowMs, f: flash };
  if (Object.keys(messages).length > 0) body.m = messages;
  return signer.sign(toBase64Url(encoder.encode(superjson.stringify(body))));
}

/**
 * Verifies and decodes a hand-off header. Anything forged, stale or malformed yields an empty
 * hand-off: a bad header can only cost the flash, never the request.
 */
export async function decodeHandoff(
  value: string | null | undefined,
  signer: HandoffSigner,
  nowMs: number,
): Promise<Handoff> {
  if (typeof value !== "string" || value === "" || value.length > MAX_HANDOFF_BYTES * 2)
    return emptyHandoff();
  const body = await signer.verify(value).catch(() => undefined);
  if (body === undefined) return emptyHandoff();
  const bytes = fromBase64Url(body);
  if (bytes === null) return emptyHandoff();
  try {
    const parsed = superjson.parse<{ t?: unknown; f?: unknown; m?: unknown }>(
      new TextDecoder().decode(bytes),
    );
    if (typeof parsed?.t !== "number" || Math.abs(nowMs - parsed.t) > MAX_AGE_MS) return emptyHandoff();
    return {
      flash: isHandedOffFlash(parsed.f) ? parsed.f : {},
      messages: isHandedOffMessages(parsed.m) ? parsed.m : {},
    };
  } catch {
    return emptyHandoff();
  }
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
