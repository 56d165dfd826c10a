/**
 * What users pay, through satchel's public API, and the hand-rolled equivalent it is compared with.
 *
 * - `satchelRoundTrip`: one request = `createSatchel().open(jar)` over the previous response's cookie
 *   → `get` (unseal, decode) → set one field → `commit` (validate, encode, seal, Set-Cookie). One
 *   unseal and one seal per op, like the raw loop's seal + unseal. With `fetch: true` the request
 *   goes through the Fetch adapter (`Request` in, `Response` with Set-Cookie out). The satchel is
 *   built as a generated module builds it: with the session's generated codec (format 4) from
 *   payload-codecs.ts, which the generator's emitter writes (see gen-payload-codecs.ts);
 *   `codec: "runtime"` leaves it out for comparison: over the memory store, which keeps no layouts,
 *   the runtime writes format 2 (keyed); with `recordLayout` it runs over a file store (as an app
 *   with no store configured) and the round trip starts once the runtime has recorded the layout
 *   there and writes format 4 through the plan interpreter (runtime/session/layout-history.ts).
 * - `rawFetchSession`: the hand-rolled session a user could write instead: cookie header → base64url
 *   → node:crypto AES-256-GCM → JSON, and back, through the same `Request`/`Response` objects.
 */
import { createCipheriv, createDecipheriv, createSecretKey, randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import type { z } from "zod";
import { unpackFromCookie } from "../../runtime/codec/compress.ts";
import type { GeneratedCodec } from "../../runtime/codec/plan.ts";
import { memoryCookieJar } from "../../runtime/cookies/header.ts";
import { createSealer } from "../../runtime/crypto/seal.ts";
import { defineSessions } from "../../runtime/define.ts";
import { createSatchel } from "../../runtime/satchel.ts";
import { createFileStore } from "../../runtime/stores/file.ts";
import { createMemoryStore } from "../../runtime/stores/memory.ts";
import type { SessionHandle } from "../../runtime/types.ts";
import { LARGE_CODEC, SMALL_CODEC, TOKEN_CODEC } from "./payload-codecs.ts";
import { largeSchema, smallSchema, tokenSchema } from "./payloads.ts";

export const PUBLIC_SECRET = "bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz";

type Types = { bench: SessionHandle<Record<string, unknown>> };

/** A request through satchel's public API; `write` decides whether it changes a field. */
export interface RoundTrip {
  /** One request: read the session from the last cookie, change a field when `write`, commit. */
  request(write: boolean): Promise<void>;
  /** Length of the cookie value last written. */
  cookieBytes(): number;
}

/** Changes the first string field to one of ten values, so every write really changes the data. */
export function nextValue(data: Record<string, unknown>): [string, () => string] {
  const field = Object.keys(data).find((key) => typeof data[key] === "string");
  if (field === undefined) throw new Error("bench: the session needs a string field");
  const base = (data[field] as string).slice(0, -1);
  let i = 0;
  return [field, () => `${base}${i++ % 10}`];
}

/** The generated codec of each payload schema (bench/lib/payloads.ts). */
const GENERATED = new Map<z.ZodType, GeneratedCodec>([
  [smallSchema, SMALL_CODEC],
  [largeSchema, LARGE_CODEC],
  [tokenSchema, TOKEN_CODEC],
]);

/** satchel's public path for a cookie session of `schema`, starting from `data`. */
export async function satchelRoundTrip(
  schema: z.ZodObject,
  data: Record<string, unknown>,
  options: { fetch: boolean; codec?: "generated" | "runtime"; recordLayout?: boolean },
): Promise<RoundTrip> {
  const config = defineSessions({
    bench: {
      storage: "cookie",
      schema,
      expiry: { absolute: "1d", idle: "2h", touchAfter: "1h" },
      cookie: { name: "bench", secure: false },
    },
  });
  const generated = GENERATED.get(schema);
  if (options.codec !== "runtime" && generated === undefined) {
    throw new Error("bench: no generated codec for this schema; add it to gen-payload-codecs.ts");
  }
  const runtime = options.codec === "runtime" || generated === undefined;
  const satchel = createSatchel<Types>(config, {
    secrets: [PUBLIC_SECRET],
    ...(runtime ? {} : { codecs: { bench: generated } }),
    // Cookie sessions use a store only for their layouts (runtime codec): none kept in memory.
    store:
      runtime && options.recordLayout === true
        ? createFileStore({ dir: fileURLToPath(new URL("../.tmp/layouts", import.meta.url)) })
        : createMemoryStore(),
  });
  const [field, next] = nextValue(data);
  let cookie = "";
  const remember = (setCookie: string | undefined) => {
    if (setCookie !== undefined) cookie = setCookie.slice(0, setCookie.indexOf(";"));
  };
  const request = async (write: boolean): Promise<void> => {
    if (options.fetch) {
      const sessions = satchel.fromRequest(new Request("http://bench/", { headers: { cookie } }));
      const session = await sessions.get("bench");
      if (cookie === "") Object.assign(session, data);
      else if (write) session.set(field, next());
      else if (session[field] === undefined) throw new Error("bench: satchel read lost the session");
      await sessions.commit();
      remember(sessions.apply(new Response("ok")).headers.getSetCookie()[0]);
    } else {
      const jar = memoryCookieJar(cookie);
      const sessions = satchel.open(jar);
      const session = await sessions.get("bench");
      if (cookie === "") Object.assign(session, data);
      else if (write) session.set(field, next());
      else if (session[field] === undefined) throw new Error("bench: satchel read lost the session");
      await sessions.commit();
      remember(jar.setCookieHeaders()[0]);
    }
  };
  await request(true); // the first request creates the session and its cookie
  if (runtime && options.recordLayout === true) {
    // The layout is recorded in the background; requests that await no I/O never let it land.
    for (let i = 0; !(await positional(cookie)); i++) {
      if (i === 500) throw new Error("bench: the runtime never recorded the session's layout");
      await new Promise((done) => setTimeout(done, 10));
      await request(true);
    }
  }
  cookie = asReceived(cookie);
  return { request, cookieBytes: () => cookie.length - "bench=".length };
}

/** The bench cookie (`bench=<token>`) holds a format-4 text (positional, one key). */
async function positional(cookie: string): Promise<boolean> {
  const opened = await createSealer([PUBLIC_SECRET]).unseal(
    "bench",
    cookie.slice("bench=".length),
    Date.now(),
  );
  if (!opened.ok) throw new Error(`bench: the cookie does not open (${opened.reason})`);
  return (await unpackFromCookie(opened.plaintext)).startsWith("[4,");
}

/**
 * The first cookie of a comparison as a request carries it: a flat string, as a server reads a header
 * off the wire. Cut out of a Set-Cookie line (satchel's) or concatenated (the hand-rolled one's) it is
 * not flat, and undici's Request constructor checks a header value character by character, at a cost
 * that depends on the string's shape: on the small session's cookie about 6k instructions more per
 * request for the cut-out one, which read-only runs kept paying on every request. Written cookies
 * (read + write runs) are cut out of the Set-Cookie line the same way on both sides, as before.
 */
function asReceived(cookie: string): string {
  return JSON.parse(JSON.stringify(cookie)) as string;
}

const rawKey = createSecretKey(randomBytes(32));

/** JSON + AES-256-GCM (node:crypto) + base64url: the raw loop of figure 1. */
export function rawSeal(value: unknown): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", rawKey, iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(value)), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]).toString("base64url");
}

/** The inverse of `rawSeal`; throws on a bad token. */
export function rawUnseal(token: string): unknown {
  const raw = Buffer.from(token, "base64url");
  const decipher = createDecipheriv("aes-256-gcm", rawKey, raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(raw.length - 16));
  const text = Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]);
  return JSON.parse(text.toString());
}

/** The hand-rolled cookie session through `Request`/`Response`, for the Fetch adapter rows. */
export function rawFetchSession(data: Record<string, unknown>): RoundTrip {
  const plain = JSON.parse(JSON.stringify(data)) as Record<string, unknown>;
  const [field, next] = nextValue(plain);
  let cookie = asReceived(`bench=${rawSeal(plain)}`);
  return {
    async request(write) {
      const request = new Request("http://bench/", { headers: { cookie } });
      const header = request.headers.get("cookie") ?? "";
      const start = header.indexOf("bench=");
      const end = header.indexOf(";", start);
      const token = header.slice(start + 6, end < 0 ? undefined : end);
      const session = rawUnseal(token) as Record<string, unknown>;
      const response = new Response("ok");
      if (write) {
        session[field] = next();
        response.headers.append("set-cookie", `bench=${rawSeal(session)}; Path=/; HttpOnly; SameSite=Lax`);
        const set = response.headers.getSetCookie()[0] as string;
        cookie = set.slice(0, set.indexOf(";"));
      } else if (session[field] === undefined) throw new Error("bench: raw read lost the session");
    },
    cookieBytes: () => cookie.length - "bench=".length,
  };
}
