/**
 * Hostile cookies: random strings and bytes as cookie values, a 100 KB cookie header, 1,000 cookies,
 * malformed and duplicate cookies, huge flash payloads, a decompression bomb. Each must give a fresh
 * session (or a clear satchel error for the app's own oversize writes), never a crash, and cost time
 * and memory bounded relative to a normal request measured in the same run.
 */

import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { deflateRawSync } from "node:zlib";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { encodeEnvelope } from "../codec/envelope.ts";
import { memoryCookieJar } from "../cookies/header.ts";
import { base64urlDecode, base64urlEncode } from "../crypto/backend.ts";
import { createSealer } from "../crypto/seal.ts";
import { SessionTooLargeError } from "../errors.ts";
import { createCountingStore } from "../stores/counting.ts";
import { createMemoryStore } from "../stores/memory.ts";
import { CookieClient, SECRET_A, testClock, testSatchel } from "../test-support/harness.ts";
import { FUZZ_RUNS, fuzzCasesSoFar, fuzzParameters, fuzzTimeout, reportFuzz } from "./fuzz-config.ts";
import { type FuzzTypes, fuzzConfig } from "./fuzz-schema.ts";

afterAll(() => {
  console.info(`[fuzz] cookie-abuse: ${fuzzCasesSoFar()} cases in total (SATCHEL_FUZZ_RUNS=${FUZZ_RUNS})`);
});

/** An app that reads both sessions and reports what it saw; `/write` also changes both. */
function abuseApp() {
  const clock = testClock();
  const store = createCountingStore(createMemoryStore({ now: clock.now }));
  const setup = testSatchel<FuzzTypes>(fuzzConfig, { clock, store });
  const handler = setup.satchel.handle(async (request, sessions) => {
    const blob = await sessions.get("blob");
    const vault = await sessions.get("vault");
    const body = { blobNew: blob.$isNew, vaultNew: vault.$isNew, blob: blob.value, vault: vault.value };
    if (new URL(request.url).pathname === "/write") {
      blob.value = "written";
      vault.value = "written";
    }
    return Response.json(body);
  });
  return { ...setup, store, handler };
}

type App = ReturnType<typeof abuseApp>;

async function send(app: App, cookie: string, path = "/"): Promise<Response> {
  return app.handler(new Request(`http://localhost${path}`, { headers: { cookie } }));
}

/** A valid `blob` + `vault` cookie pair, as a browser would hold it after one write. */
async function validCookies(app: App): Promise<string> {
  const client = new CookieClient(app.handler);
  await client.fetch("/write");
  return client.cookieHeader();
}

/** Headers can hold any Latin-1 text except NUL, CR and LF. */
const headerSafe = (text: string) =>
  Array.from(text, (ch) => {
    const code = ch.charCodeAt(0);
    return code === 0 || code === 10 || code === 13 ? "" : code > 255 ? "?" : ch;
  }).join("");

describe("random cookie values never throw and give a fresh session", () => {
  it(
    "any string as the value of a session cookie (full Unicode, through a cookie jar)",
    async () => {
      const app = abuseApp();
      const started = performance.now();
      const params = fuzzParameters<[string, string]>();
      await fc.assert(
        fc.asyncProperty(
          fc.string({ unit: "binary", maxLength: 300 }),
          fc.constantFrom("blob", "blob.0", "vault", "vault.0"),
          async (value, name) => {
            fc.pre(value !== "");
            const jar = memoryCookieJar(new Map([[name, value]]));
            const sessions = app.satchel.open(jar);
            const blob = await sessions.get("blob");
            const vault = await sessions.get("vault");
            expect(blob.$isNew && vault.$isNew).toBe(true);
            await sessions.commit();
          },
        ),
        params,
      );
      // Garbage never reached the store: the seal is checked before any store round trip.
      expect(app.store.counts().get).toBe(0);
      reportFuzz("random strings as cookie values", params.numRuns ?? FUZZ_RUNS, started);
    },
    fuzzTimeout(30),
  );

  it(
    "any Cookie header a Request can carry (random text) gives 200 and fresh sessions",
    async () => {
      const app = abuseApp();
      const started = performance.now();
      const params = fuzzParameters<[string]>();
      const header = fc
        .oneof(
          fc.string({ unit: "binary", maxLength: 400 }),
          fc
            .array(
              fc.tuple(
                fc.constantFrom("blob", "blob.0", "blob.1", "vault", "vault.0", "x", ""),
                fc.string({ unit: "binary", maxLength: 60 }),
              ),
              { maxLength: 10 },
            )
            .map((pairs) => pairs.map(([n, v]) => `${n}=${v}`).join("; ")),
        )
        .map(headerSafe);
      await fc.assert(
        fc.asyncProperty(header, async (cookie) => {
          const response = await send(app, cookie, "/write");
          expect(response.status).toBe(200);
          expect(await response.json()).toMatchObject({ blobNew: true, vaultNew: true });
        }),
        params,
      );
      reportFuzz("random Cookie headers via Fetch", params.numRuns ?? FUZZ_RUNS, started);
    },
    fuzzTimeout(15),
  );

  it(
    "random bytes shaped like a token (even with a valid key id) give a fresh session",
    async () => {
      const app = abuseApp();
      const sealer = createSealer([SECRET_A]);
      const times = { createdAt: 0, absoluteExpiresAt: 2 ** 32 - 1, idleExpiresAt: null };
      const realKeyId = (
        base64urlDecode(await sealer.seal("blob", new Uint8Array(1), times)) as Uint8Array
      ).slice(0, 4);
      const started = performance.now();
      const params = fuzzParameters<[Uint8Array, boolean, boolean]>();
      await fc.assert(
        fc.asyncProperty(
          fc.uint8Array({ minLength: 0, maxLength: 2000 }),
          fc.boolean(),
          fc.boolean(),
          async (bytes, withKeyId, chunked) => {
            const raw =
              withKeyId && bytes.length >= 4 ? Uint8Array.from([...realKeyId, ...bytes.subarray(4)]) : bytes;
            const token = base64urlEncode(raw);
            fc.pre(token !== "");
            const cookie = chunked
              ? `blob.0=${token.slice(0, token.length >> 1)}; blob.1=${token.slice(token.length >> 1)}; vault=${token}`
              : `blob=${token}; vault=${token}`;
            const response = await send(app, cookie);
            expect(response.status).toBe(200);
            expect(await response.json()).toMatchObject({ blobNew: true, vaultNew: true });
          },
        ),
        params,
      );
      expect(app.store.counts().get).toBe(0);
      reportFuzz("random token-shaped bytes via Fetch", params.numRuns ?? FUZZ_RUNS, started);
    },
    fuzzTimeout(15),
  );
});

/** Median wall time of `runs` calls, in ms. */
async function medianMs(runs: number, fn: () => Promise<unknown>): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  return samples[runs >> 1] as number;
}

/**
 * Ceiling for an abusive request's median time, as a multiple of a normal request's median in the
 * same run (plus 2 ms for timer noise on a shared 2-core machine). A hostile header may cost some
 * parsing, but never time that grows with what the attacker sends past the parser's bounds.
 */
const TIME_RATIO = 25;

async function expectBoundedTime(app: App, normalCookie: string, abusiveCookie: string, label: string) {
  // Warm both paths first, so the comparison is of steady state, not of JIT.
  for (let i = 0; i < 5; i++) {
    await send(app, normalCookie);
    await send(app, abusiveCookie);
  }
  const normal = await medianMs(15, () => send(app, normalCookie).then((r) => r.arrayBuffer()));
  const abusive = await medianMs(15, () => send(app, abusiveCookie).then((r) => r.arrayBuffer()));
  console.info(
    `[measure] ${label}: ${abusive.toFixed(2)} ms vs normal ${normal.toFixed(2)} ms (×${(abusive / normal).toFixed(1)})`,
  );
  expect(abusive).toBeLessThan(normal * TIME_RATIO + 2);
}

describe("abusive Cookie headers: clear handling, bounded time", () => {
  it("a 100 KB Cookie header: the first 64 KiB are read, the rest ignored, in bounded time", async () => {
    const app = abuseApp();
    const valid = await validCookies(app);
    let junk = "";
    for (let i = 0; junk.length < 100_000; i++) junk += `junk${i}=${"j".repeat(90)}; `;
    // Session cookies first: read as usual.
    const before = await (await send(app, `${valid}; ${junk}`)).json();
    expect(before).toMatchObject({ blobNew: false, vaultNew: false, blob: "written", vault: "written" });
    // Session cookies after 100 KB of junk: past the 64 KiB parse limit, so a fresh session.
    const after = await (await send(app, `${junk}${valid}`)).json();
    expect(after).toMatchObject({ blobNew: true, vaultNew: true });
    expect(app.reports).toEqual([]); // not "invalid": the cookie was simply not looked at
    await expectBoundedTime(app, valid, `${junk}${valid}`, "100 KB cookie header");
  });

  it("1,000 cookies: at most 512 are kept; 1,000 fake chunks give a fresh session and a bounded cleanup", async () => {
    const app = abuseApp();
    const valid = await validCookies(app);
    const many = Array.from({ length: 1000 }, (_, i) => `c${i}=v${i}`).join("; ");
    expect(await (await send(app, `${valid}; ${many}`)).json()).toMatchObject({ blobNew: false });
    expect(await (await send(app, `${many}; ${valid}`)).json()).toMatchObject({ blobNew: true });

    // 1,000 chunk cookies of the session itself: never glued together, and the write that follows
    // expires only the chunk names the parser kept (bounded by its 512-cookie limit).
    const chunks = Array.from({ length: 1000 }, (_, i) => `blob.${i}=AAAA`).join("; ");
    const response = await send(app, chunks, "/write");
    expect(await response.json()).toMatchObject({ blobNew: true });
    const setCookies = response.headers.getSetCookie();
    expect(setCookies.filter((line) => /^blob=/.test(line))).toHaveLength(1);
    expect(setCookies.length).toBeLessThanOrEqual(2 + 512);
    await expectBoundedTime(app, valid, chunks, "1,000 chunk cookies");
  });

  it("malformed cookies never throw; unreadable session values start fresh and are reported", async () => {
    const app = abuseApp();
    const valid = await validCookies(app);
    const token = /blob=([^;]+)/.exec(valid)?.[1] as string;
    const cases: [cookie: string, blobNew: boolean][] = [
      ["blob", true],
      ["=value", true],
      [";;;;;", true],
      ["blob=", true],
      ['blob="unterminated', true],
      ["blob=%zz%", true],
      ["blob=a=b=c", true],
      ["blob=\u00ff\u00fe", true],
      [`blob="${token}"`, false], // one pair of quotes is allowed by RFC 6265
      [`  blob  =  ${token}  `, false], // whitespace around the pair is trimmed
      [`blob=${token.slice(0, -1)}`, true],
      [`blob=${token}${token}`, true],
      [`blob.0=${token}; blob.2=${token}`, true], // a gap in the chunks
      [`blob.00=${token}`, true], // leading zeros are not chunk indices
    ];
    for (const [cookie, blobNew] of cases) {
      const response = await send(app, cookie);
      expect(response.status, cookie).toBe(200);
      expect((await response.json()).blobNew, cookie).toBe(blobNew);
    }
  });

  it("duplicate cookies: the first occurrence wins (RFC 6265 sends the most specific path first)", async () => {
    const app = abuseApp();
    const valid = await validCookies(app);
    const blob = /blob=[^;]+/.exec(valid)?.[0] as string;
    expect(await (await send(app, `${blob}; blob=garbage`)).json()).toMatchObject({ blobNew: false });
    expect(await (await send(app, `blob=garbage; ${blob}`)).json()).toMatchObject({ blobNew: true });
    expect(await (await send(app, `${blob}; ${blob}; ${blob}`)).json()).toMatchObject({ blobNew: false });
    // A plain cookie and chunks of the same session: the plain one is read, chunks are ignored.
    expect(await (await send(app, `blob.0=garbage; ${blob}`)).json()).toMatchObject({ blobNew: false });
  });
});

describe("huge payloads", () => {
  it("a huge flash on a cookie session fails the write with SessionTooLargeError naming the session", async () => {
    const app = abuseApp();
    const random = Buffer.from(crypto.getRandomValues(new Uint8Array(60_000))).toString("base64");
    const handler = app.satchel.handle(async (_request, sessions) => {
      (await sessions.get("blob")).flash.said.add(random);
      return new Response("ok");
    });
    const error = await handler(new Request("http://localhost/")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SessionTooLargeError);
    expect(error).toMatchObject({ session: "blob" });
    expect((error as Error).message).toMatch(/^satchel: session "blob" needs \d+ bytes/);
  });

  it("a huge but compressible flash fits in the cookie; on a store session any size round-trips", async () => {
    const app = abuseApp();
    const big = "x".repeat(200_000);
    const handler = app.satchel.handle(async (request, sessions) => {
      const blob = await sessions.get("blob");
      const vault = await sessions.get("vault");
      if (request.method === "POST") {
        blob.flash.said.add(big);
        vault.flash.said.add(big);
        return new Response("ok");
      }
      return Response.json({
        blob: blob.flash.said.read()[0]?.length,
        vault: vault.flash.said.read()[0]?.length,
      });
    });
    const client = new CookieClient(handler);
    await client.fetch("/", { method: "POST" });
    expect(client.cookieHeader().length).toBeLessThan(2000);
    expect(await (await client.fetch("/")).json()).toEqual({ blob: 200_000, vault: 200_000 });
    expect(await (await client.fetch("/")).json()).toEqual({}); // read once, then gone
  });

  it("a sealed decompression bomb (needs the secret) is refused at 1 MiB and starts fresh", async () => {
    const app = abuseApp();
    const sealer = createSealer([SECRET_A]);
    const text = encodeEnvelope({ version: 1, data: { value: "z".repeat(8 * 1024 * 1024), note: "" } });
    const deflated = deflateRawSync(Buffer.from(text));
    const packed = new Uint8Array(deflated.length + 1);
    packed[0] = 1; // the deflate flag of packForCookie
    packed.set(deflated, 1);
    const nowS = Math.floor(app.clock.now() / 1000);
    const token = await sealer.seal("blob", packed, {
      createdAt: nowS,
      absoluteExpiresAt: nowS + 3600,
      idleExpiresAt: nowS + 600,
    });
    expect(token.length).toBeLessThan(16_000); // it fits in the session's chunks
    const cookie = token.length > 3500 ? chunkCookie("blob", token) : `blob=${token}`;
    const t = performance.now();
    const response = await send(app, cookie);
    const elapsed = performance.now() - t;
    expect(await response.json()).toMatchObject({ blobNew: true });
    expect(app.reports).toEqual([expect.objectContaining({ session: "blob", reason: "malformed" })]);
    console.info(`[measure] sealed 8 MiB deflate bomb rejected in ${elapsed.toFixed(1)} ms`);
  });
});

/** Chunks as satchel writes them: the first one starts with the chunk count (`"3~"`). */
function chunkCookie(name: string, token: string): string {
  const parts: string[] = [];
  for (let at = 0; at < token.length; at += 3500) parts.push(token.slice(at, at + 3500));
  return parts.map((part, i) => `${name}.${i}=${i === 0 ? `${parts.length}~` : ""}${part}`).join("; ");
}

describe("memory under abuse", () => {
  it("200 abusive requests leave the heap near where it started", async () => {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const app = abuseApp();
    const valid = await validCookies(app);
    let junk = "";
    for (let i = 0; junk.length < 100_000; i++) junk += `junk${i}=${"j".repeat(90)}; `;
    const chunks = Array.from({ length: 1000 }, (_, i) => `blob.${i}=AAAA`).join("; ");
    const abusive = [`${junk}${valid}`, chunks, `blob=${"A".repeat(60_000)}`, `${valid}; ${junk}`];
    for (const cookie of abusive) await (await send(app, cookie)).arrayBuffer(); // warm up
    gc();
    const baseline = process.memoryUsage().heapUsed;
    for (let i = 0; i < 200; i++)
      await (await send(app, abusive[i % abusive.length] as string)).arrayBuffer();
    gc();
    const after = process.memoryUsage().heapUsed;
    console.info(
      `[measure] heap after 200 abusive requests: ${(after / 1e6).toFixed(1)} MB vs ${(baseline / 1e6).toFixed(1)} MB`,
    );
    expect(after / baseline).toBeLessThan(1.5);
  });
});
