/**
 * Decodes this browser's sessions for the inspector, read-only: the cookies (or header) of one
 * request are unsealed and, for store sessions, the record is read, without loading the sessions
 * through the core, so looking never consumes flash, touches expiry or writes anything.
 * @internal
 */

import { unpackFromCookie } from "../../codec/compress.ts";
import type { Envelope } from "../../codec/envelope.ts";
import { codecFor, type SessionCodec } from "../../codec/session-codec.ts";
import { byteLength } from "../../cookies/chunking.ts";
import { memoryCookieJar } from "../../cookies/header.ts";
import type { Sealer, SealTimes } from "../../crypto/seal.ts";
import type { ResolvedSession, SessionsConfig } from "../../define.ts";
import { storeKey } from "../../session/store-keys.ts";
import { idleLimitOf, trustedCookieToken } from "../../session/token.ts";
import type { SessionStore, StoredRecord } from "../../stores/types.ts";
import type { Message, SessionLifetime } from "../../types.ts";
import { fieldTypeName } from "./describe-type.ts";
import { showValue, typeName } from "./describe-value.ts";

/** What the inspector needs from the runtime around it. */
interface DecodeDeps {
  sealer(): Promise<Sealer>;
  /** The store a store session lives in. */
  store(session: ResolvedSession): Promise<SessionStore>;
  /** Epoch milliseconds. */
  now: number;
  /** The codec a cookie session seals with (its generated codec knows older layouts). Default: the runtime codec. */
  codec?(session: ResolvedSession): SessionCodec;
}

/** One cookie (or chunk) and its size on the wire (`name=value`, bytes). */
interface CookiePart {
  name: string;
  bytes: number;
}

/** Expiry clocks, epoch milliseconds. */
export interface SessionClocks {
  createdAt: number;
  absoluteEndsAt: number;
  /** `null`: no rolling idle limit. */
  idleEndsAt: number | null;
  /** When the next request pushes the idle expiry forward (a write); `null`: never. */
  nextTouchAt: number | null;
  /** The lifetime `$expire()` chose (sealed with the session), else the definition's. */
  lifetime: SessionLifetime;
}

/** How a session of this request decoded. */
type DecodeStatus =
  | "none"
  | "ok"
  | "malformed"
  | "tampered"
  | "expired"
  | "unknown-key"
  | "missing-record"
  | "undecodable";

interface InspectedField {
  name: string;
  /** Declared fields: the schema's type (`"en" | "de"`, `Date?`); others: the stored value's. */
  type: string;
  /** False for a declared field the data holds no value for (an unset optional field). */
  set: boolean;
  value: string;
  /** False for a stored field the schema no longer declares. */
  declared: boolean;
}

export interface InspectedSession {
  name: string;
  storage: "cookie" | "store";
  /** The store's name (`file`, `redis`…) for store sessions. */
  store: string | null;
  /** Where this request carried it. */
  transport: "cookie" | "header";
  cookieName: string;
  cookies: CookiePart[];
  status: DecodeStatus;
  /** Sealed with an older secret: re-sealed on the next write. */
  staleKey: boolean;
  /** The data version stored; migrations run on read when it is below `currentVersion`. */
  storedVersion: number | null;
  currentVersion: number;
  fields: InspectedField[];
  /** Every declared channel, with its pending values. */
  flash: { channel: string; values: string[] }[];
  /** `null` when the session has no messages channel. */
  messages: Message[] | null;
  clocks: SessionClocks | null;
  /** The store record's compare-and-set version. */
  recordVersion: number | null;
}

/** Decodes every session of `config` that `request` carries. */
export async function inspectSessions(
  config: SessionsConfig,
  request: Request,
  deps: DecodeDeps,
): Promise<InspectedSession[]> {
  const jar = memoryCookieJar(request.headers.get("cookie"));
  const names = jar.names();
  return Promise.all(
    Object.values(config.sessions).map(async (def) => {
      const cookieName = def.cookie.name;
      const cookies = names
        .filter(
          (name) => name === cookieName || new RegExp(`^${escapeRegExp(cookieName)}\\.\\d{1,3}$`).test(name),
        )
        .map((name) => ({ name, bytes: byteLength(`${name}=${jar.get(name) ?? ""}`) }));
      const header = def.header === undefined ? null : request.headers.get(def.header);
      const transport = header !== null && header !== "" ? "header" : "cookie";
      const token =
        transport === "header"
          ? (header as string)
          : await trustedCookieToken(() => deps.sealer(), def, jar, deps.now);
      const base: InspectedSession = {
        name: def.name,
        storage: def.storage,
        store: def.storage === "store" ? (await deps.store(def)).name : null,
        transport,
        cookieName,
        cookies,
        status: "none",
        staleKey: false,
        storedVersion: null,
        currentVersion: def.version,
        fields: fieldsOf(def, undefined),
        flash: Object.keys(def.flash).map((channel) => ({ channel, values: [] })),
        messages: def.messages ? [] : null,
        clocks: null,
        recordVersion: null,
      };
      if (token === undefined || token === "") return base;
      return { ...base, ...(await decodeToken(def, token, deps)) };
    }),
  );
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

async function decodeToken(
  def: ResolvedSession,
  token: string,
  deps: DecodeDeps,
): Promise<Partial<InspectedSession>> {
  const sealer = await deps.sealer();
  const unsealed = await sealer.unseal(def.name, token, deps.now);
  if (!unsealed.ok) return { status: unsealed.reason };
  let record: StoredRecord | null = null;
  let envelope: Envelope;
  try {
    // A session's codec reads every format: its own, older ones and superjson envelopes.
    const codec = deps.codec?.(def) ?? codecFor(def);
    if (def.storage === "cookie") {
      envelope = codec.decode(await unpackFromCookie(unsealed.plaintext), true).envelope;
    } else {
      const store = await deps.store(def);
      record = await store.get(await storeKey(def.name, unsealed.plaintext, sealer.backend));
      if (record === null) return { status: "missing-record", staleKey: unsealed.staleKey };
      envelope = codec.decode(record.value).envelope;
    }
  } catch {
    return { status: "undecodable", staleKey: unsealed.staleKey };
  }
  return {
    status: "ok",
    staleKey: unsealed.staleKey,
    storedVersion: envelope.version,
    fields: fieldsOf(def, envelope.data),
    flash: Object.keys(def.flash).map((channel) => ({
      channel,
      values: (envelope.flash?.[channel] ?? []).map((value) => showValue(value)),
    })),
    messages: def.messages ? (envelope.messages ?? []) : null,
    clocks: clocksOf(def, unsealed.times, record),
    recordVersion: record?.version ?? null,
  };
}

/** Declared fields first (in schema order), then stored fields the schema no longer declares. */
function fieldsOf(def: ResolvedSession, data: unknown): InspectedField[] {
  const stored = data !== null && typeof data === "object" ? (data as Record<string, unknown>) : {};
  const declared = Object.keys(def.schema.shape);
  const extra = Object.keys(stored).filter((name) => !declared.includes(name));
  return [...declared, ...extra].map((name) => {
    const present = Object.hasOwn(stored, name);
    const value = stored[name];
    const isDeclared = Object.hasOwn(def.schema.shape, name);
    return {
      name,
      type: isDeclared ? fieldTypeName(def.schema.shape[name]) : typeName(value),
      set: present,
      value: present ? showValue(value) : "",
      declared: isDeclared,
    };
  });
}

/**
 * The clocks as the core applies them: a cookie carries its idle end sealed inside, a store record
 * its own expiry; the idle end moves forward on a request once `touchAfter` has passed since the
 * last push, and never past the absolute end.
 */
function clocksOf(def: ResolvedSession, times: SealTimes, record: StoredRecord | null): SessionClocks {
  const absoluteEndsAt = times.absoluteExpiresAt * 1000;
  const idle = idleLimitOf(def, times.lifetime);
  let idleEndsAt: number | null = null;
  if (idle !== null) {
    if (record !== null) idleEndsAt = record.expiresAt;
    else if (times.idleExpiresAt !== null) idleEndsAt = times.idleExpiresAt * 1000;
  }
  let nextTouchAt: number | null = null;
  if (idle !== null && idleEndsAt !== null && idleEndsAt < absoluteEndsAt) {
    nextTouchAt = idleEndsAt - idle * 1000 + def.expiry.touchAfter * 1000;
  }
  const lifetime: SessionLifetime =
    times.lifetime === undefined
      ? { absolute: def.expiry.absolute, idle, persistent: def.cookie.persistent, chosen: false }
      : { ...times.lifetime, chosen: true };
  return { createdAt: times.createdAt * 1000, absoluteEndsAt, idleEndsAt, nextTouchAt, lifetime };
}
