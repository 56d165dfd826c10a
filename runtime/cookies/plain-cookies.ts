/**
 * Ordinary cookies next to the sessions, as in the seeds: set and delete one before a Response exists
 * (the adapter copies the writes onto it), and signed cookies — readable by anyone, but tamper-proof.
 */

import type { Signer } from "../crypto/sign.ts";
import type { CookieAttributes, CookieJar } from "./header.ts";
import { resolveSecure, type TransportOf } from "./transport.ts";

/**
 * Attributes of a plain cookie; defaults: Path=/, HttpOnly, SameSite=Lax, Secure outside development.
 * `secure: "auto"`: Secure when the request came over HTTPS.
 */
export type PlainCookieOptions = Omit<CookieAttributes, "secure"> & { secure?: boolean | "auto" | undefined };

/** Plain and signed cookies of one request. */
export interface PlainCookies {
  /** The cookie's value as sent (or as set earlier in this request). */
  get(name: string): string | undefined;
  /** Sets a cookie on the response. */
  set(name: string, value: string, options?: PlainCookieOptions): void;
  /** Expires a cookie (pass the same path/domain it was set with). */
  delete(name: string, options?: PlainCookieOptions): void;
  /** The value of a signed cookie, or `undefined` when missing or tampered with. */
  getSigned(name: string): Promise<string | undefined>;
  /** Sets a cookie whose value is readable but carries an HMAC, so changes are detected. */
  setSigned(name: string, value: string, options?: PlainCookieOptions): Promise<void>;
}

function withDefaults(
  options: PlainCookieOptions | undefined,
  transport: TransportOf | undefined,
): CookieAttributes {
  const secureByDefault = globalThis.process?.env?.NODE_ENV !== "development";
  const secure = resolveSecure(options?.secure ?? secureByDefault, transport, secureByDefault);
  return { path: "/", httpOnly: true, sameSite: "lax", ...options, secure };
}

/**
 * Plain cookie helpers over a request's jar. `signer` is resolved on first signed use (secrets are
 * lazy); `transport` (how the request came, when known) decides `secure: "auto"`.
 */
export function createPlainCookies(
  jar: CookieJar,
  signer: () => Signer,
  transport?: TransportOf,
): PlainCookies {
  return {
    get: (name) => jar.get(name),
    set(name, value, options) {
      jar.set({ name, value, attributes: withDefaults(options, transport) });
    },
    delete(name, options) {
      jar.set({
        name,
        value: "",
        attributes: { ...withDefaults(options, transport), maxAge: 0, expires: new Date(0) },
      });
    },
    async getSigned(name) {
      const raw = jar.get(name);
      if (raw === undefined) return undefined;
      // The cookie name is the signing context: a signed value cannot be moved to another cookie.
      return (await signer().verify(raw, name)) ?? undefined;
    },
    async setSigned(name, value, options) {
      jar.set({
        name,
        value: await signer().sign(value, name),
        attributes: withDefaults(options, transport),
      });
    },
  };
}
