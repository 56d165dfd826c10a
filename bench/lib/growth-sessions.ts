/**
 * Figure 7's two request handlers. Each serves one request through a Fetch `Request` and `Response`
 * that touches every one of `names` cookie sessions (all holding the same data): reads it, and on a
 * write changes a field and sends the sealed result back.
 *
 * - satchel: `fromRequest` → `get` each session → (set a field) → `commit` → `apply(Response)`, with
 *   the session's generated codec, as the generated module builds it.
 * - hand-rolled: the Cookie header parsed once; per session its token (joined from `name.0 …` when
 *   chunked) → base64url → AES-256-GCM → JSON, and back; a token whose `Set-Cookie` would pass 4096
 *   bytes is split over `name.0 …` and the old shape's cookies are expired, as satchel does.
 *
 * Both keep their cookies in a `CookieMemory`, as a browser would between requests.
 */
import type { z } from "zod";
import {
  createSatchel,
  defineSessions,
  type GeneratedCodec,
  type SessionHandle,
} from "../../runtime/index.ts";
import { CookieMemory } from "./cookie-memory.ts";
import { SMALL_CODEC, TOKEN_CODEC } from "./payload-codecs.ts";
import { smallSchema, smallSession, tokenSchema, tokenSession } from "./payloads.ts";
import { nextValue, PUBLIC_SECRET, rawSeal, rawUnseal } from "./public-session.ts";

/** What a handler serves: `names` cookie sessions of `schema`, each starting as `data`. */
export interface GrowthCase {
  names: readonly string[];
  schema: z.ZodObject;
  data: Record<string, unknown>;
  /** The schema's generated codec (bench/lib/payload-codecs.ts). */
  codec: GeneratedCodec;
}

/**
 * A micro's case by its argument: `sessions=N` serves N ~300-byte sessions (figure 7's sessions
 * series), a number a token session of that many bytes of JSON (its bytes series).
 */
export function growthCaseAt(point: string): GrowthCase {
  if (point.startsWith("sessions=")) {
    const n = Number(point.slice("sessions=".length));
    const names = Array.from({ length: n }, (_, i) => `s${i + 1}`);
    return { names, schema: smallSchema, data: { ...smallSession }, codec: SMALL_CODEC };
  }
  return { names: ["bench"], schema: tokenSchema, data: tokenSession(Number(point)), codec: TOKEN_CODEC };
}

/** One handler under test. */
export interface GrowthHandler {
  /** One request: read every session, change a field of each when `write`. */
  request(write: boolean): Promise<void>;
  /** The cookies the browser holds now: how many and their values' total length. */
  cookies(): { count: number; bytes: number };
}

/** Largest serialized `Set-Cookie` value browsers keep (RFC 6265 §6.1), what satchel measures against. */
const COOKIE_LIMIT = 4096;
const ATTRIBUTES = "; Path=/; HttpOnly; SameSite=Lax";
const EXPIRED = "; Path=/; Max-Age=0";

/** satchel through its Fetch adapter. The first request creates the sessions. */
export async function satchelGrowth(c: GrowthCase): Promise<GrowthHandler> {
  const config = defineSessions(
    Object.fromEntries(
      c.names.map((name) => [
        name,
        {
          storage: "cookie" as const,
          schema: c.schema,
          expiry: { absolute: "1d", idle: "2h", touchAfter: "1h" },
          cookie: { name, secure: false },
        },
      ]),
    ),
  );
  const satchel = createSatchel<Record<string, SessionHandle<Record<string, unknown>>>>(config, {
    secrets: [PUBLIC_SECRET],
    codecs: Object.fromEntries(c.names.map((name) => [name, c.codec])),
  });
  const memory = new CookieMemory();
  const [field, next] = nextValue(c.data);
  let created = false;
  const request = async (write: boolean): Promise<void> => {
    const sessions = satchel.fromRequest(
      new Request("http://bench/", { headers: { cookie: memory.header() } }),
    );
    for (const name of c.names) {
      const session = await sessions.get(name);
      if (!created) Object.assign(session, c.data);
      else if (write) session.set(field, next());
      else if (session[field] === undefined) throw new Error(`bench: satchel lost the session ${name}`);
    }
    await sessions.commit();
    memory.apply(sessions.apply(new Response("ok")).headers.getSetCookie());
    created = true;
  };
  await request(true);
  return { request, cookies: () => memory.size() };
}

/** `name=value` pairs of a Cookie header. */
function parseCookieHeader(header: string): Map<string, string> {
  const jar = new Map<string, string>();
  for (const pair of header.split("; ")) {
    const eq = pair.indexOf("=");
    if (eq > 0) jar.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  return jar;
}

/** The session's token: the plain cookie, else its chunks joined in order; `undefined` when absent. */
function readToken(jar: Map<string, string>, name: string): string | undefined {
  const whole = jar.get(name);
  if (whole !== undefined) return whole;
  let token = "";
  for (let i = 0; jar.has(`${name}.${i}`); i++) token += jar.get(`${name}.${i}`);
  return token === "" ? undefined : token;
}

/** The Set-Cookie lines that store `token` under `name` (whole or chunked) and expire the old shape. */
function writeToken(jar: Map<string, string>, name: string, token: string): string[] {
  const lines: string[] = [];
  let chunks = 0;
  if (name.length + 1 + token.length + ATTRIBUTES.length <= COOKIE_LIMIT) {
    lines.push(`${name}=${token}${ATTRIBUTES}`);
  } else {
    const room = COOKIE_LIMIT - ATTRIBUTES.length - `${name}.99=`.length;
    for (let at = 0; at < token.length; at += room, chunks++)
      lines.push(`${name}.${chunks}=${token.slice(at, at + room)}${ATTRIBUTES}`);
    if (jar.has(name)) lines.push(`${name}=${EXPIRED}`);
  }
  for (let i = chunks; jar.has(`${name}.${i}`); i++) lines.push(`${name}.${i}=${EXPIRED}`);
  return lines;
}

/** The hand-rolled AES-256-GCM + JSON cookie sessions, through the same `Request`/`Response`. */
export function handRolledGrowth(c: GrowthCase): GrowthHandler {
  const plain = JSON.parse(JSON.stringify(c.data)) as Record<string, unknown>;
  const memory = new CookieMemory();
  memory.apply(c.names.flatMap((name) => writeToken(new Map(), name, rawSeal(plain))));
  const [field, next] = nextValue(plain);
  return {
    async request(write) {
      const request = new Request("http://bench/", { headers: { cookie: memory.header() } });
      const jar = parseCookieHeader(request.headers.get("cookie") ?? "");
      const response = new Response("ok");
      for (const name of c.names) {
        const token = readToken(jar, name);
        if (token === undefined) throw new Error(`bench: the hand-rolled session ${name} has no cookie`);
        const session = rawUnseal(token) as Record<string, unknown>;
        if (write) {
          session[field] = next();
          for (const line of writeToken(jar, name, rawSeal(session)))
            response.headers.append("set-cookie", line);
        } else if (session[field] === undefined) throw new Error(`bench: the hand-rolled read lost ${name}`);
      }
      memory.apply(response.headers.getSetCookie());
    },
    cookies: () => memory.size(),
  };
}
