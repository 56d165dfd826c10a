/**
 * What users pay on the public path, one process per variant so callgrind can count it:
 *
 *   npx tsx bench/micro/public-path.ts <variant> <ops> [small|large]
 *   valgrind --tool=callgrind --callgrind-out-file=/dev/null node --import tsx bench/micro/public-path.ts satchel 2000
 *
 * Variants: `satchel` (Fetch adapter: Request with the cookie → getSession → set a field → commit →
 * Set-Cookie; one unseal + one seal per op), `satchel-open` (createSatchel's `open()` over a cookie
 * jar, no Request/Response), `raw` (JSON + node:crypto AES-256-GCM + base64url and back), `iron`
 * (iron-session sealData + unsealData). Instructions per op = (count at N ops − count at 0 ops) / N;
 * `bench/lib/callgrind.ts` does that arithmetic.
 */
import { createCipheriv, createDecipheriv, createSecretKey, randomBytes } from "node:crypto";
import { sealData, unsealData } from "iron-session";
import { memoryCookieJar } from "../../runtime/cookies.ts";
import { defineSessions } from "../../runtime/define.ts";
import { createSatchel } from "../../runtime/satchel.ts";
import type { SessionHandle } from "../../runtime/types.ts";
import { largeSchema, largeSession, smallSchema, smallSession } from "../lib/payloads.ts";

const SECRET = "bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz";
const [variant = "satchel", opsText = "1000", size = "small"] = process.argv.slice(2);
const ops = Number(opsText);
const schema = size === "large" ? largeSchema : smallSchema;
const data: Record<string, unknown> = size === "large" ? { ...largeSession } : { ...smallSession };
const plain = JSON.parse(JSON.stringify(data)) as Record<string, unknown>;

const config = defineSessions({
  bench: {
    storage: "cookie",
    schema,
    expiry: { absolute: "1d", idle: "2h", touchAfter: "1h" },
    cookie: { name: "bench", secure: false },
  },
});
type Types = { bench: SessionHandle<Record<string, unknown>> };

async function runSatchel(useFetch: boolean): Promise<number> {
  const satchel = createSatchel<Types>(config, { secrets: [SECRET] });
  let cookie = "";
  let bytes = 0;
  const field = Object.keys(data)[0] as string;
  // One request: read the session from the cookie, change one field, commit (re-seal).
  const request = async (value: unknown) => {
    if (useFetch) {
      const sessions = satchel.fromRequest(new Request("http://x/", { headers: { cookie } }));
      const s = await sessions.get("bench");
      if (cookie === "") Object.assign(s, data);
      else s.set(field, value);
      await sessions.commit();
      const set = sessions.apply(new Response("ok")).headers.getSetCookie()[0] ?? "";
      cookie = set.slice(0, set.indexOf(";"));
    } else {
      const jar = memoryCookieJar(cookie);
      const sessions = satchel.open(jar);
      const s = await sessions.get("bench");
      if (cookie === "") Object.assign(s, data);
      else s.set(field, value);
      await sessions.commit();
      const set = jar.setCookieHeaders()[0] ?? "";
      cookie = set.slice(0, set.indexOf(";"));
    }
    bytes = cookie.length - "bench=".length;
  };
  await request(undefined);
  const base = data[field] as string;
  for (let i = 0; i < ops; i++) await request(`${base.slice(0, -1)}${i % 10}`);
  return bytes;
}

const nodeKey = createSecretKey(randomBytes(32));
function rawSeal(value: unknown): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", nodeKey, iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(value)), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]).toString("base64url");
}
function rawUnseal(token: string): unknown {
  const raw = Buffer.from(token, "base64url");
  const decipher = createDecipheriv("aes-256-gcm", nodeKey, raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(raw.length - 16));
  return JSON.parse(
    Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString(),
  );
}

async function main(): Promise<void> {
  let bytes = 0;
  if (variant === "satchel" || variant === "satchel-open") {
    bytes = await runSatchel(variant === "satchel");
  } else if (variant === "raw") {
    let token = rawSeal(plain);
    for (let i = 0; i < ops; i++) token = rawSeal(rawUnseal(token));
    bytes = token.length;
  } else if (variant === "iron") {
    const iron = { password: SECRET, ttl: 86_400 };
    let token = await sealData(plain, iron);
    for (let i = 0; i < ops; i++) token = await sealData(await unsealData(token, iron), iron);
    bytes = token.length;
  } else {
    throw new Error(`unknown variant ${variant}`);
  }
  process.stdout.write(`${JSON.stringify({ variant, ops, size, bytes })}\n`);
}

await main();
