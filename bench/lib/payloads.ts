/**
 * The two sessions figures 1 and 2 seal: a ~300-byte sign-in session and a ~2 KB cart. Values are
 * fixed (no randomness) so every run seals the same bytes; SKUs are hex-like rather than repeated
 * text so deflate cannot flatter satchel's size.
 */
import { z } from "zod";

/** A signed-in user: ids, a name, roles, a date and a CSRF token. */
export const smallSchema = z.object({
  userId: z.string(),
  name: z.string(),
  email: z.string(),
  roles: z.array(z.enum(["admin", "member"])),
  locale: z.string(),
  signedInAt: z.date(),
  csrfToken: z.string(),
  theme: z.enum(["light", "dark"]),
});

/** A cart of items with SKUs, quantities and titles. */
export const largeSchema = z.object({
  userId: z.string(),
  items: z.array(z.object({ sku: z.string(), qty: z.number().int().min(1), title: z.string() })),
  coupon: z.string().nullable(),
  updatedAt: z.date(),
});

export type SmallSession = z.output<typeof smallSchema>;
export type LargeSession = z.output<typeof largeSchema>;

/** Deterministic pseudo-random hex, so SKUs look like real ids but are the same every run. */
export function hex(seed: number, length: number): string {
  let x = seed >>> 0 || 1;
  let out = "";
  while (out.length < length) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out += (x >>> 0).toString(16).padStart(8, "0");
  }
  return out.slice(0, length);
}

export const TITLES = [
  "Linen shirt",
  "Walnut desk lamp",
  "Espresso cups (set of 4)",
  "Wool socks",
  "Notebook A5",
];

export const smallSession: SmallSession = {
  userId: `usr_${hex(1, 26)}`,
  name: "Ada Lovelace",
  email: "ada.lovelace@analytical-engine.example",
  roles: ["admin", "member"],
  locale: "en-GB",
  signedInAt: new Date(Date.UTC(2026, 10, 22, 9, 30, 0)),
  csrfToken: hex(2, 64),
  theme: "dark",
};

export const largeSession: LargeSession = {
  userId: `usr_${hex(3, 26)}`,
  items: Array.from({ length: 32 }, (_, i) => ({
    sku: `SKU-${hex(100 + i, 12)}`,
    qty: (i % 3) + 1,
    title: TITLES[i % TITLES.length] as string,
  })),
  coupon: "WINTER-2026",
  updatedAt: new Date(Date.UTC(2026, 10, 22, 10, 0, 0)),
};

/** UTF-8 bytes of the session as plain JSON: the size the figures name. */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value));
}

/**
 * The signed-in session of `smallSchema` carrying two OAuth tokens: the common reason a cookie
 * session grows to kilobytes (and the case cookie chunking exists for). Figure 7 scales the tokens
 * to reach a given size, so every point of its byte series has the same fields.
 */
export const tokenSchema = smallSchema.extend({ accessToken: z.string(), idToken: z.string() });

export type TokenSession = z.output<typeof tokenSchema>;

/**
 * The ~300-byte session plus two base64url tokens (pseudo-random bytes, as real tokens are: deflate
 * cannot shrink them much) sized so the session's JSON is about `bytes` long.
 */
export function tokenSession(bytes: number): TokenSession {
  const base = { ...smallSession, accessToken: "", idToken: "" };
  const room = Math.max(0, bytes - jsonBytes(base));
  const token = (seed: number, length: number) =>
    Buffer.from(hex(seed, Math.ceil((length * 3) / 4) * 2), "hex")
      .toString("base64url")
      .slice(0, length);
  return { ...base, accessToken: token(11, Math.ceil(room / 2)), idToken: token(12, Math.floor(room / 2)) };
}
