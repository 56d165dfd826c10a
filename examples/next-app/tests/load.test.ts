/**
 * Load against the built example app on loopback: 1,000 concurrent requests spread over 50 carts
 * (store sessions, atomic `update()`), each adding a distinct product. No request may fail, no update
 * may be lost, and the server's resident memory (VmRSS from /proc) must settle back near where it was
 * before the burst (after a warm-up burst). Bounded: 1,000 requests per burst, each with a 120 s abort, the test 5 min.
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUILD_AND_START_MS, cookieOf, type RunningApp, startApp } from "./app-server.ts";
import { CookieJar } from "./cookie-jar.ts";

const CARTS = 50;
const ADDS_PER_CART = 20; // 50 × 20 = 1,000 concurrent requests
const REQUEST_TIMEOUT_MS = 120_000;

let app: RunningApp;
let pid: number;

/**
 * The server's old-generation heap is capped for this test. Without a cap V8 grows its heap lazily
 * under load and keeps it (RSS climbs burst after burst with or without a leak, up to a limit set by
 * the machine's RAM), so RSS would say nothing about leaks. With the cap, retained garbage is
 * collected and a real leak shows as growing RSS, then as failed requests once the heap is full.
 */
const SERVER_HEAP_MB = 192;

beforeAll(async () => {
  app = await startApp({ serverNodeOptions: `--max-old-space-size=${SERVER_HEAP_MB}` });
  pid = listenerPid(Number(new URL(app.url).port));
}, BUILD_AND_START_MS);

afterAll(async () => {
  await app?.stop();
});

/** The process listening on a TCP port of 127.0.0.1 (via /proc/net/tcp and the fd table). */
function listenerPid(port: number): number {
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  const inodes = new Set<string>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      // local_address is ADDR:PORT; state 0A is LISTEN; inode is the 10th field.
      if (fields[1]?.endsWith(`:${hexPort}`) && fields[3] === "0A" && fields[9]) inodes.add(fields[9]);
    }
  }
  const wanted = new Set([...inodes].map((inode) => `socket:[${inode}]`));
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue; // gone, or not ours to read
    }
    for (const fd of fds) {
      try {
        if (wanted.has(readlinkSync(`/proc/${entry}/fd/${fd}`))) return Number(entry);
      } catch {}
    }
  }
  throw new Error(`no process listens on port ${port}`);
}

/** Resident memory of `pid` in bytes, from /proc/PID/status. */
function rss(processId: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${processId}/status`, "utf8"));
  if (!match) throw new Error(`no VmRSS for pid ${processId}`);
  return Number(match[1]) * 1024;
}

/**
 * GET over a fresh connection (no keep-alive pool): a pooled socket the server closes while idle
 * can meet a new request and reset it, which would be the client's artefact, not the app's.
 */
function get(url: string, cookie: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      url,
      { agent: false, headers: { cookie }, timeout: REQUEST_TIMEOUT_MS },
      (response) => {
        let body = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => {
          body += chunk;
        });
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
        response.on("error", reject);
      },
    );
    request.on("timeout", () => request.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    request.on("error", reject);
    request.end();
  });
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

interface Cart {
  cookie: string;
  products: string[];
}

/** 50 carts, each seeded with one product so it has a cookie. */
async function newCarts(label: string): Promise<Cart[]> {
  return Promise.all(
    Array.from({ length: CARTS }, async (_, c) => {
      const jar = new CookieJar();
      const seed = `${label}-c${c}-seed`;
      const response = await jar.fetch(`${app.url}/api/cart?add-product=${seed}`);
      expect(response.status).toBe(200);
      await response.arrayBuffer();
      expect(jar.get(cookieOf("cart"))).toBeTruthy();
      return { cookie: jar.header(), products: [seed] };
    }),
  );
}

/** Fires CARTS × ADDS_PER_CART adds at once; returns statuses, timings and the peak RSS seen. */
async function burst(label: string, carts: Cart[]) {
  let peak = rss(pid);
  const sampler = setInterval(() => {
    peak = Math.max(peak, rss(pid));
  }, 50);
  const started = performance.now();
  const latencies: number[] = [];
  const statuses = await Promise.all(
    carts.flatMap((cart, c) =>
      Array.from({ length: ADDS_PER_CART }, async (_, i) => {
        const product = `${label}-c${c}-p${i}`;
        cart.products.push(product);
        const t = performance.now();
        const response = await get(`${app.url}/api/cart?add-product=${product}`, cart.cookie).catch(
          (error: Error) => ({ status: 0, body: error.message }),
        );
        latencies.push(performance.now() - t);
        return response.status;
      }),
    ),
  );
  const elapsed = performance.now() - started;
  clearInterval(sampler);
  latencies.sort((a, b) => a - b);
  return {
    statuses,
    elapsed,
    peak,
    p50: latencies[latencies.length >> 1] as number,
    p99: latencies[Math.floor(latencies.length * 0.99)] as number,
  };
}

/** What each cart holds now, as the app lists it. */
async function listed(cart: Cart): Promise<string[]> {
  const response = await get(`${app.url}/api/cart`, cart.cookie);
  expect(response.status).toBe(200);
  return response.body.replace("Products in cart: ", "").split(", ");
}

/** Median of RSS readings taken every 250 ms for `forMs`. */
async function medianRss(forMs: number): Promise<number> {
  const readings: number[] = [];
  for (let waited = 0; waited < forMs; waited += 250) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    readings.push(rss(pid));
  }
  readings.sort((a, b) => a - b);
  return readings[Math.floor(readings.length / 2)] ?? rss(pid);
}

/** Polls RSS until it is at most `limit` (or `withinMs` passes); returns the last reading. */
async function settle(limit: number, withinMs: number): Promise<number> {
  const deadline = Date.now() + withinMs;
  let current = rss(pid);
  while (current > limit && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    current = rss(pid);
  }
  return current;
}

describe("1,000 concurrent requests over 50 store sessions", () => {
  it("no errors, no lost updates, and memory back near the baseline afterwards", {
    timeout: 300_000,
  }, async () => {
    const cold = rss(pid);
    // Warm-up: one full-size burst compiles the route and lets V8 grow its heap to what this load
    // needs. V8 keeps that heap afterwards, so the baseline is the warmed-up server, settled.
    // Two bursts, then the median of readings over three seconds: one reading taken right after a
    // major GC was seen at 0.7x the usual level, which made the ratio below fail with no leak.
    // The baseline is also never below the warm-up bursts' own peak: a settled reading taken after a
    // major GC was seen at 178 MB on a busy machine while every burst before and after peaked and
    // stayed at 242 MB (flat, no leak), which read as 1.36x. What a leak does is climb past the
    // level the same load already reached, burst after burst.
    let warmPeak = 0;
    for (const round of ["warm", "warm2"]) {
      const warm = await burst(round, await newCarts(round));
      expect(warm.statuses.filter((status) => status !== 200)).toEqual([]);
      warmPeak = Math.max(warmPeak, warm.peak);
    }
    const baseline = Math.max(await medianRss(3000), warmPeak);

    const carts = await newCarts("load");
    const result = await burst("load", carts);
    const errors = result.statuses.filter((status) => status !== 200);
    console.info(
      `[measure] load: ${result.statuses.length} concurrent requests in ${result.elapsed.toFixed(0)} ms ` +
        `(${((result.statuses.length / result.elapsed) * 1000).toFixed(0)} req/s; p50 ${result.p50.toFixed(0)} ms, ` +
        `p99 ${result.p99.toFixed(0)} ms), ${errors.length} errors`,
    );
    expect(result.statuses).toHaveLength(CARTS * ADDS_PER_CART);
    expect(errors).toEqual([]);

    // Every update of every cart is there, exactly once, and no cart got another's products.
    for (const cart of carts) {
      const products = await listed(cart);
      expect(products[0]).toBe(cart.products[0]);
      expect(products).toHaveLength(1 + ADDS_PER_CART);
      expect(new Set(products)).toEqual(new Set(cart.products));
    }

    // Memory: after the measured burst and a second identical one, RSS settles back to within 1.3×
    // of the warmed-up baseline; a leak would ratchet it up burst after burst.
    const after = await settle(baseline * 1.3, 30_000);
    const again = await burst("again", await newCarts("again"));
    expect(again.statuses.filter((status) => status !== 200)).toEqual([]);
    const afterAgain = await settle(baseline * 1.3, 30_000);
    console.info(
      `[measure] server RSS (old space capped at ${SERVER_HEAP_MB} MB): cold ${mb(cold)}, ` +
        `warmed-up baseline ${mb(baseline)}, peak ${mb(Math.max(result.peak, again.peak))}, ` +
        `after burst ${mb(after)}, after a second burst ${mb(afterAgain)} (×${(afterAgain / baseline).toFixed(2)})`,
    );
    // A leak keeps both readings high, burst after burst. One reading alone is not evidence: on a busy
    // machine a reading can land before V8's next major GC (seen: 1.37× after the first burst, 0.99×
    // after the second), so the lower of the two must be back near the baseline.
    expect(Math.min(after, afterAgain) / baseline).toBeLessThan(1.3);
  });
});
