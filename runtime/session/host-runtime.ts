/**
 * What a host adapter (fetch/, next/, a later hono/) gets from a satchel. The public face
 * (`HostSatchel`, which the public `Satchel` extends) opens a request's sessions; the rest a host
 * needs — the sealer (flash hand-off, CSRF generations, the inspector), the signer (CSRF secrets)
 * and each session's codec (the inspector) — is the satchel's `HostRuntime`, which `createSatchel()`
 * registers here under the satchel object it returns. So the public type carries no internal
 * members, and hosts never reach back up to the root face for them.
 * @internal
 */

import type { SessionCodec } from "../codec/session-codec.ts";
import type { CookieJar } from "../cookies/header.ts";
import type { Sealer } from "../crypto/seal.ts";
import type { Signer } from "../crypto/sign.ts";
import type { ResolvedSession, SessionsConfig } from "../define.ts";
import { SatchelConfigError } from "../errors.ts";
import type { RequestSessions } from "./request-sessions.ts";

/** How a request is opened. */
export interface OpenInit {
  /** Request headers, for store sessions that may travel in a header. */
  headers?: Headers;
  /**
   * The request's URL: its scheme decides `secure: "auto"` cookies, and whether a store session's new
   * Secure cookie would reach the browser at all. Absent: unknown (hosts without it, e.g. a Server
   * Component), then "auto" means the `secure` default and new records are written as usual.
   */
  url?: string;
  /** Refuse every write, saying why (e.g. `"a Server Component cannot set cookies"`). Reads and `peek` work. */
  readOnly?: string;
}

/** A satchel as every host receives it: the schema's config and the sessions of one request. */
export interface HostSatchel<Types> {
  readonly config: SessionsConfig;
  /** The sessions of one request, over any cookie jar (the Next.js adapter brings its own). */
  open(jar: CookieJar, init?: OpenInit): RequestSessions<Types>;
}

/** What hosts need of a satchel beyond its public face; secrets resolve on first use. */
export interface HostRuntime {
  readonly config: SessionsConfig;
  /** The sealer of the app's secrets; rejects with a clear error when they are missing. */
  sealer(): Promise<Sealer>;
  /** The signer of the app's secrets, the one signed plain cookies use; throws when they are missing. */
  signer(): Signer;
  /**
   * A session's codec as this satchel resolved it: the generated one (format 4, or 3) when it is up to
   * date with the schema, else the runtime codec (format 2).
   */
  codec(session: ResolvedSession): SessionCodec;
}

/** Keyed by the satchel object, so a satchel that is dropped takes its runtime with it. */
const runtimes = new WeakMap<object, HostRuntime>();

/** Called once by `createSatchel()` with the object it returns. */
export function registerHostRuntime(satchel: object, runtime: HostRuntime): void {
  runtimes.set(satchel, runtime);
}

/**
 * The host runtime of a satchel made by `createSatchel()`.
 * @throws SatchelConfigError for any other object (a copy or a hand-made stand-in has none).
 */
export function hostRuntimeOf(satchel: object): HostRuntime {
  const runtime = runtimes.get(satchel);
  if (runtime === undefined) {
    throw new SatchelConfigError(
      "satchel: this is not a satchel made by createSatchel() (a copy or a stand-in has no secrets or codecs); " +
        "pass the satchel your generated sessions module exports.",
    );
  }
  return runtime;
}
