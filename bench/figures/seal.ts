/**
 * Figures 1 and 2: seal + unseal throughput and cookie bytes for a ~300-byte and a ~2 KB session.
 *
 * - satchel: its real cookie path: zod validation on write, superjson envelope, pack (deflate when
 *   it helps), AES-256-GCM seal with expiry header and AAD; then unseal, unpack, decode, validate
 *   on read. Default crypto backend ("auto": node:crypto here).
 * - iron-session: `sealData` + `unsealData` with its defaults.
 * - raw loops (the limit): JSON.stringify + AES-256-GCM + base64url and back, nothing else,
 *   once through node:crypto and once through WebCrypto. The node:crypto loop is the reference for
 *   the "≥ 0.5× raw" target because satchel runs on node:crypto here; comparing with the slower
 *   WebCrypto loop would flatter it.
 */
import { createCipheriv, createDecipheriv, createSecretKey, randomBytes } from "node:crypto";
import { sealData, unsealData } from "iron-session";
import type { z } from "zod";
import {
  decodeEnvelope,
  encodeEnvelope,
  packForCookie,
  unpackFromCookie,
  validateForRead,
  validateForWrite,
} from "../../runtime/codec.ts";
import { createSealer, type Sealer } from "../../runtime/seal.ts";
import { jsonBytes, largeSchema, largeSession, smallSchema, smallSession } from "../lib/payloads.ts";
import type { RowInput } from "../lib/result.ts";
import { exact, interleaved, opsPerSecond, type RoundOptions, type Sample } from "../lib/stats.ts";

const SECRET = "bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz";
const IRON = "iron-session";
const RAW_NODE = "raw AES-GCM+JSON (node:crypto)";
const RAW_WEB = "raw AES-GCM+JSON (WebCrypto)";

/** satchel's seal path for one session: returns the cookie value. */
async function satchelSeal(sealer: Sealer, schema: z.ZodType, data: unknown): Promise<string> {
  const valid = validateForWrite("bench", schema, data);
  const packed = await packForCookie(encodeEnvelope({ version: 1, data: valid }));
  const now = Math.floor(Date.now() / 1000);
  return sealer.seal("bench", packed, {
    createdAt: now,
    absoluteExpiresAt: now + 86_400,
    idleExpiresAt: now + 7200,
  });
}

/** satchel's unseal path: the validated data, or a thrown error (a benchmark must not read garbage). */
async function satchelUnseal(sealer: Sealer, schema: z.ZodType, token: string): Promise<unknown> {
  const result = await sealer.unseal("bench", token, Date.now());
  if (!result.ok) throw new Error(`bench: satchel unseal failed: ${result.reason}`);
  const envelope = decodeEnvelope(await unpackFromCookie(result.plaintext));
  const read = validateForRead(schema, envelope.data);
  if (!read.ok) throw new Error(`bench: satchel read validation failed: ${read.detail}`);
  return read.data;
}

const nodeKey = createSecretKey(randomBytes(32));

function rawNodeSeal(data: unknown): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", nodeKey, iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(data)), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]).toString("base64url");
}

function rawNodeUnseal(token: string): unknown {
  const raw = Buffer.from(token, "base64url");
  const decipher = createDecipheriv("aes-256-gcm", nodeKey, raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(raw.length - 16));
  const text = Buffer.concat([
    decipher.update(raw.subarray(12, raw.length - 16)),
    decipher.final(),
  ]).toString();
  return JSON.parse(text);
}

const webKey = crypto.subtle.importKey("raw", randomBytes(32), "AES-GCM", false, ["encrypt", "decrypt"]);

async function rawWebSeal(data: unknown): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = new Uint8Array(
    await crypto.subtle.encrypt(
      { name: "AES-GCM", iv },
      await webKey,
      new TextEncoder().encode(JSON.stringify(data)),
    ),
  );
  const out = new Uint8Array(12 + sealed.length);
  out.set(iv, 0);
  out.set(sealed, 12);
  return Buffer.from(out.buffer).toString("base64url");
}

async function rawWebUnseal(token: string): Promise<unknown> {
  const raw = new Uint8Array(Buffer.from(token, "base64url"));
  const plain = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: raw.subarray(0, 12) },
    await webKey,
    raw.subarray(12),
  );
  return JSON.parse(new TextDecoder().decode(plain));
}

interface Case {
  id: string;
  label: string;
  schema: z.ZodType;
  data: unknown;
}

const CASES: Case[] = [
  { id: "300b", label: "~300-byte session", schema: smallSchema, data: smallSession },
  { id: "2kb", label: "~2 KB session", schema: largeSchema, data: largeSession },
];

/** Figures 1 (throughput) and 2 (cookie bytes), one row per payload each. */
export async function sealFigures(options: RoundOptions): Promise<RowInput[]> {
  const sealer = createSealer([SECRET]);
  const webSealer = createSealer([SECRET], { backend: "webcrypto" });
  const iron = { password: SECRET, ttl: 86_400 };
  const rows: RowInput[] = [];
  const sizes: RowInput[] = [];
  for (const c of CASES) {
    // iron-session refuses a Date; peers get the plain-JSON form (dates as ISO strings), as their
    // users would have to write it.
    const plain = JSON.parse(JSON.stringify(c.data)) as Record<string, unknown>;
    // Round-trip once first: proves each path reads back what it wrote before anything is timed.
    const token = await satchelSeal(sealer, c.schema, c.data);
    await satchelUnseal(sealer, c.schema, token);
    const ironToken = await sealData(plain, iron);
    await unsealData(ironToken, iron);
    rawNodeUnseal(rawNodeSeal(plain));
    await rawWebUnseal(await rawWebSeal(plain));

    const samples = await interleaved(
      {
        satchel: async () => satchelUnseal(sealer, c.schema, await satchelSeal(sealer, c.schema, c.data)),
        [IRON]: async () => unsealData(await sealData(plain, iron), iron),
        [RAW_NODE]: async () => rawNodeUnseal(rawNodeSeal(plain)),
        [RAW_WEB]: async () => rawWebUnseal(await rawWebSeal(plain)),
        "satchel (WebCrypto backend)": async () =>
          satchelUnseal(webSealer, c.schema, await satchelSeal(webSealer, c.schema, c.data)),
      },
      options,
    );
    const web = samples["satchel (WebCrypto backend)"];
    const stages = await stageBreakdown(sealer, c.schema, c.data, Math.max(50, options.runMs / 2));
    rows.push({
      id: `seal-${c.id}`,
      figure: 1,
      description: `Seal + unseal, ${c.label}`,
      unit: "ops/s",
      higherIsBetter: true,
      satchel: samples.satchel ?? null,
      peers: {
        [IRON]: samples[IRON] as never,
        [RAW_NODE]: samples[RAW_NODE] as never,
        [RAW_WEB]: samples[RAW_WEB] as never,
      },
      reference: IRON,
      target: `≥ 15× ${IRON} and ≥ 0.5× ${RAW_NODE}`,
      checks: [
        { kind: "ratio", against: IRON, op: ">=", threshold: 15 },
        { kind: "ratio", against: RAW_NODE, op: ">=", threshold: 0.5 },
      ],
      notes: [
        `payload ${jsonBytes(c.data)} bytes of JSON; one op = seal then unseal, awaited back to back`,
        `satchel path: zod validate → superjson → pack (deflate when that is smaller) → AES-256-GCM (${sealer.backend.name}) and back, validated on read`,
        `the raw-loop target is taken against the node:crypto loop because satchel runs on node:crypto here; against the WebCrypto loop satchel is at ${ratioText(samples.satchel, samples[RAW_WEB])}`,
        `satchel on its WebCrypto backend (edge runtimes): ${web ? Math.round(web.median) : "?"} ops/s, ${ratioText(web, samples[RAW_WEB])} the WebCrypto loop`,
        `where satchel's time goes (µs per op, measured alone): ${stages}`,
      ],
    });
    sizes.push({
      id: `cookie-bytes-${c.id}`,
      figure: 2,
      description: `Cookie value bytes, ${c.label}`,
      unit: "bytes",
      higherIsBetter: false,
      satchel: exact(token.length),
      peers: { [IRON]: exact(ironToken.length), [RAW_NODE]: exact(rawNodeSeal(plain).length) },
      reference: IRON,
      target: `≤ 0.75× ${IRON}`,
      checks: [{ kind: "ratio", against: IRON, op: "<=", threshold: 0.75 }],
      notes: [
        `payload ${jsonBytes(c.data)} bytes of JSON; satchel's token also carries key id, expiry header and a format flag`,
      ],
    });
  }
  return [...rows, ...sizes];
}

/** `0.93×` from two samples' medians, or `?`. */
function ratioText(mine: Sample | undefined, theirs: Sample | undefined): string {
  return mine && theirs && theirs.median > 0 ? `${(mine.median / theirs.median).toFixed(2)}×` : "?";
}

/**
 * Times each stage of satchel's path on its own, so a missed target says where the time goes.
 * Returns e.g. `zod write 4.1, superjson encode 6.0, …`.
 */
async function stageBreakdown(sealer: Sealer, schema: z.ZodType, data: unknown, ms: number): Promise<string> {
  const valid = validateForWrite("bench", schema, data);
  const text = encodeEnvelope({ version: 1, data: valid });
  const packed = await packForCookie(text);
  const now = Math.floor(Date.now() / 1000);
  const times = { createdAt: now, absoluteExpiresAt: now + 86_400, idleExpiresAt: now + 7200 };
  const token = await sealer.seal("bench", packed, times);
  const opened = await sealer.unseal("bench", token, Date.now());
  if (!opened.ok) throw new Error(`bench: satchel unseal failed: ${opened.reason}`);
  const decoded = decodeEnvelope(await unpackFromCookie(opened.plaintext));
  const stages: [string, () => Promise<unknown>][] = [
    ["zod write", async () => validateForWrite("bench", schema, data)],
    ["superjson encode", async () => encodeEnvelope({ version: 1, data: valid })],
    ["pack", () => packForCookie(text)],
    ["AES-GCM seal", () => sealer.seal("bench", packed, times)],
    ["AES-GCM unseal", () => sealer.unseal("bench", token, Date.now())],
    ["unpack", () => unpackFromCookie(opened.plaintext)],
    ["superjson decode", async () => decodeEnvelope(text)],
    ["zod read", async () => validateForRead(schema, decoded.data)],
  ];
  const parts: string[] = [];
  for (const [name, op] of stages) {
    const perSecond = await opsPerSecond(op, ms);
    parts.push(`${name} ${(1e6 / perSecond).toFixed(1)}`);
  }
  return parts.join(", ");
}
