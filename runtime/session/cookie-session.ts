/**
 * Cookie sessions: the whole envelope is sealed into the cookie. Last write wins by nature (two
 * concurrent requests each send back their own cookie); use a store session when that matters.
 * Also the cookie helpers store sessions share (times, attributes, writing a possibly chunked cookie).
 * @internal not part of the public API; import from "satchel" instead.
 */

import { packForCookie, unpackFromCookie } from "../codec/compress.ts";
import { type ReadEnvelope, UnknownLayoutError } from "../codec/keyed-format.ts";
import { type ChunkProblems, planCookieWrites, readChunkedCookie } from "../cookies/chunking.ts";
import type { CookieAttributes } from "../cookies/header.ts";
import { sha256 } from "../crypto/backend.ts";
import type { SealTimes } from "../crypto/seal.ts";
import type { ResolvedSession } from "../define.ts";
import type { InvalidReason, SessionMetadata } from "../types.ts";
import { type SessionContext, SessionCore, validateForSave, validateOnRead } from "./core.ts";
import { migrateData } from "./migrate.ts";
import type { RequestIO, SatchelRuntime } from "./request-sessions.ts";

/** Times for a token written now: keeps createdAt/absolute of a live session, refreshes idle. */
export function sealTimesFor(
  session: ResolvedSession,
  nowMs: number,
  previous: SealTimes | null,
  withIdle: boolean,
): SealTimes {
  const now = Math.floor(nowMs / 1000);
  const createdAt = previous?.createdAt ?? now;
  const absoluteExpiresAt = previous?.absoluteExpiresAt ?? now + session.expiry.absolute;
  const idle = session.expiry.idle;
  const idleExpiresAt = withIdle && idle !== null ? Math.min(now + idle, absoluteExpiresAt) : null;
  return { createdAt, absoluteExpiresAt, idleExpiresAt };
}

/**
 * Whether a rolling idle expiry should be pushed forward now: only once `touchAfter` has passed since
 * it was last pushed, and never when the absolute limit caps it anyway.
 * @param idleEndsAt epoch ms when the session goes idle.
 */
export function touchIsDue(
  session: ResolvedSession,
  nowMs: number,
  idleEndsAt: number,
  absoluteEndsAt: number,
) {
  const idle = session.expiry.idle;
  if (idle === null || idleEndsAt >= absoluteEndsAt) return false;
  const lastTouch = idleEndsAt - idle * 1000;
  return nowMs - lastTouch >= session.expiry.touchAfter * 1000;
}

/**
 * The cookie attributes of a session, with Max-Age counted down to `expiresAt` (epoch s); none for a
 * browser-session cookie (`cookie.persistent: false`).
 */
export function cookieAttributes(
  session: ResolvedSession,
  nowMs: number,
  expiresAt: number | null,
): CookieAttributes {
  const c = session.cookie;
  const attributes: CookieAttributes = {
    path: c.path,
    httpOnly: c.httpOnly,
    secure: c.secure,
    sameSite: c.sameSite,
  };
  if (c.domain !== undefined) attributes.domain = c.domain;
  // A browser-session cookie carries no lifetime; its expiry is only the one sealed inside.
  if (expiresAt !== null && c.persistent)
    attributes.maxAge = Math.max(0, expiresAt - Math.floor(nowMs / 1000));
  return attributes;
}

/** Writes (or with `null`, deletes) a session cookie and its chunks into the jar. */
export function writeSessionCookie(
  session: ResolvedSession,
  io: RequestIO,
  value: string | null,
  attributes: CookieAttributes,
): void {
  const writes = planCookieWrites({
    session: session.name,
    name: session.cookie.name,
    value,
    attributes,
    jar: io.jar,
    maxChunks: session.cookie.maxChunks,
  });
  // A cookie under the name from before the __Host- prefix (and its chunks) goes: it was moved.
  const previous = session.cookie.previousName;
  if (previous !== undefined && readChunkedCookie(io.jar, previous) !== undefined) {
    writes.push(
      ...planCookieWrites({
        session: session.name,
        name: previous,
        value: null,
        attributes,
        jar: io.jar,
        maxChunks: session.cookie.maxChunks,
      }),
    );
  }
  for (const write of writes) io.jar.set(write);
}

/** A session's token as read from its cookies, and what to report about those cookies. */
export interface SessionCookieRead {
  token: string | undefined;
  /** The token came from the name before the __Host- prefix: write it back under the new name. */
  moved: boolean;
  /** Why no token could be read although satchel's chunks were sent (one is missing); else null. */
  failure: [InvalidReason, string] | null;
  /** Reports chunk-like cookies satchel did not write; call once the session loaded fine. */
  reportForeign(): void;
}

/**
 * Reads a session's (possibly chunked) cookie. One request gets one report per session: a missing
 * chunk or a failed unseal is the report; foreign chunk-like cookies are reported only otherwise.
 */
export function readSessionCookie(
  session: ResolvedSession,
  io: RequestIO,
  ctx: SessionContext,
): SessionCookieRead {
  const problems: ChunkProblems = { foreign: [] };
  let token = readChunkedCookie(io.jar, session.cookie.name, problems);
  // The plain name is read only while no prefixed cookie is sent, so a cookie a sibling subdomain
  // plants under it never wins over the real one.
  const previous = session.cookie.previousName;
  const moved = token === undefined && previous !== undefined && problems.missing === undefined;
  if (moved) token = readChunkedCookie(io.jar, previous);
  const failure: [InvalidReason, string] | null =
    problems.missing === undefined
      ? null
      : ["malformed", `cookie ${problems.missing} is missing: the session's chunks are incomplete`];
  return {
    token,
    moved: moved && token !== undefined,
    failure,
    reportForeign() {
      if (problems.foreign.length === 0) return;
      ctx.report({
        reason: "foreign-cookie",
        session: session.name,
        detail: `ignored cookies satchel did not write: ${problems.foreign.join(", ")}`,
      });
    },
  };
}

/**
 * Why a token did not unseal. The session name is bound as associated data, so another session's
 * token fails like a tampered one; trying the other sessions' keys (only on this failure path) tells
 * the two apart.
 */
export async function whyUnsealFailed(
  runtime: SatchelRuntime,
  session: ResolvedSession,
  token: string,
  reason: InvalidReason,
): Promise<InvalidReason> {
  if (reason !== "tampered") return reason;
  const sealer = await runtime.sealer();
  for (const other of Object.keys(runtime.config.sessions)) {
    if (other === session.name) continue;
    const attempt = await sealer.unseal(other, token, runtime.now());
    if (attempt.ok || attempt.reason === "expired") return "wrong-session";
  }
  return reason;
}

/**
 * The public id of a cookie session: a truncated SHA-256 of its current token. Safe to log (it cannot
 * be turned back into the token or presented as one); it changes whenever the cookie is rewritten.
 */
async function tokenFingerprint(session: string, token: string): Promise<string> {
  const digest = await sha256(new TextEncoder().encode(`satchel-cookie-id:${session}:${token}`));
  return Array.from(digest.subarray(0, 16), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** A session whose data is sealed in its cookie. */
export class CookieSession extends SessionCore {
  /** Sealed times of the current token; `null` until one exists. */
  private times: SealTimes | null = null;
  /** The current token (as received or last written): what the public id fingerprints. */
  private token: string | null = null;
  /** A cookie (valid or not) came with the request, so destroy/cleanup must clear it. */
  private hadCookie = false;
  /** The incoming cookie was unusable: clear it at commit unless a new one is written. */
  private clearInvalid = false;

  constructor(
    def: ResolvedSession,
    ctx: SessionContext,
    private readonly runtime: SatchelRuntime,
    private readonly io: RequestIO,
  ) {
    super(def, ctx);
  }

  async load(): Promise<void> {
    const cookie = readSessionCookie(this.def, this.io, this.ctx);
    const token = cookie.token;
    if (token === undefined || token === "") {
      if (cookie.failure !== null) return this.invalid(...cookie.failure);
      this.startFresh(null);
      cookie.reportForeign();
      return;
    }
    this.hadCookie = true;
    const sealer = await this.runtime.sealer();
    const unsealed = await sealer.unseal(this.def.name, token, this.ctx.now());
    if (!unsealed.ok)
      return this.invalid(await whyUnsealFailed(this.runtime, this.def, token, unsealed.reason));
    let text: string;
    let decoded: ReadEnvelope;
    try {
      text = await unpackFromCookie(unsealed.plaintext);
      decoded = this.runtime.codec(this.def).decode(text, true);
    } catch (error) {
      return this.invalid(
        "malformed",
        error instanceof UnknownLayoutError ? error.detail : "the sealed envelope could not be decoded",
      );
    }
    const envelope = decoded.envelope;
    // Data this schema version wrote (authenticated, structure checked by the codec) is final; other
    // data (older versions, other checks, older layouts or token formats) runs migrations and zod.
    const migrated = decoded.trusted
      ? { ok: true as const, data: envelope.data as Record<string, unknown>, migrated: false }
      : await migrateData(this.def, envelope.version, envelope.data, (data) =>
          validateOnRead(this.def, data),
        );
    if (!migrated.ok) {
      // A newer deploy's cookie is left alone, so rolling back and forth does not log anyone out.
      return this.invalid(migrated.reason, migrated.detail, migrated.reason !== "newer-version");
    }
    this.data = migrated.data;
    this.flash.load(envelope.flash);
    this.messages.load(envelope.messages);
    this.times = unsealed.times;
    this.token = token;
    this.isNew = false;
    // The text just unsealed is the snapshot when it is what encoding this state gives: no second encode.
    this.markSaved(decoded.canonical ? text : undefined);
    cookie.reportForeign();
    // Upgraded data, tokens of an old secret and a cookie under the pre-__Host- name are written
    // back on this request's commit.
    this.mustWrite = migrated.migrated || unsealed.staleKey || cookie.moved;
  }

  /**
   * Cookie sessions persist in their session's codec, generated (format 3) or runtime (format 2);
   * change detection compares its snapshot text, which any state of the data has.
   */
  protected override serialized(): string {
    return this.runtime.codec(this.def).snapshot(this.envelope());
  }

  private invalid(reason: Parameters<SessionCore["startFresh"]>[0], detail?: string, clear = true): void {
    this.startFresh(reason, detail);
    this.clearInvalid = clear;
  }

  async save(): Promise<void> {
    this.assertWritable("save()");
    await this.write();
  }

  private async write(): Promise<void> {
    this.data = validateForSave(this.def, this.data);
    const now = this.ctx.now();
    const times = sealTimesFor(this.def, now, this.times, true);
    const text = this.runtime.codec(this.def).encode(this.envelope());
    const plaintext = await packForCookie(text);
    const sealer = await this.runtime.sealer();
    const token = await sealer.seal(this.def.name, plaintext, times);
    writeSessionCookie(
      this.def,
      this.io,
      token,
      cookieAttributes(this.def, now, times.idleExpiresAt ?? times.absoluteExpiresAt),
    );
    this.times = times;
    this.token = token;
    this.hadCookie = true;
    this.clearInvalid = false;
    this.markSaved(text);
  }

  async update(fn: (data: Record<string, unknown>) => unknown): Promise<void> {
    this.assertWritable("update()");
    this.data = await this.applyUpdate(this.data, fn);
    await this.write();
  }

  async destroy(): Promise<void> {
    this.assertWritable("destroy()");
    this.flash.clear();
    this.messages.clear();
    this.destroyed = true;
    if (this.hadCookie)
      writeSessionCookie(this.def, this.io, null, cookieAttributes(this.def, this.ctx.now(), null));
    this.hadCookie = false;
  }

  async metadata(): Promise<SessionMetadata> {
    if (this.destroyed || this.times === null || this.token === null) {
      return { publicId: null, createdAt: null, lastAccessedAt: null, expiresAt: null };
    }
    const { createdAt, absoluteExpiresAt, idleExpiresAt } = this.times;
    const idle = this.def.expiry.idle;
    return {
      publicId: await tokenFingerprint(this.def.name, this.token),
      createdAt: new Date(createdAt * 1000),
      // The idle expiry is pushed to now + idle on every write or touch: it dates the last one.
      lastAccessedAt:
        idleExpiresAt === null || idle === null ? null : new Date((idleExpiresAt - idle) * 1000),
      expiresAt: new Date(Math.min(idleExpiresAt ?? absoluteExpiresAt, absoluteExpiresAt) * 1000),
    };
  }

  async regenerate(): Promise<void> {
    this.assertWritable("regenerate()");
    // A new createdAt gives a new token (and IV); the absolute limit restarts from now.
    this.times = null;
    await this.write();
  }

  async commit(): Promise<void> {
    if (this.destroyed) return;
    const now = this.ctx.now();
    const due =
      this.times !== null &&
      this.times.idleExpiresAt !== null &&
      touchIsDue(this.def, now, this.times.idleExpiresAt * 1000, this.times.absoluteExpiresAt * 1000);
    if (this.mustWrite || due || this.changed()) {
      await this.write();
    } else if (this.clearInvalid && this.hadCookie) {
      writeSessionCookie(this.def, this.io, null, cookieAttributes(this.def, now, null));
      this.clearInvalid = false;
      this.hadCookie = false;
    }
  }
}
