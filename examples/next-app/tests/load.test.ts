/**
 * Load against the built example app on loopback: 1,000 concurrent requests spread over 50 carts
 * (store sessions, atomic `update()`), each adding a distinct product. No request may fail, no update
 * may be lost, and the server's resident memory (VmRSS from /proc) must settle back near where it was
 * before the burst. Bounded: 1,000 requests per burst, each with a 60 s abort, the whole file 5 min.
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUILD_AND_START_MS, type RunningApp, startApp } from "./app-server.ts";
import { CookieJar } from "./cookie-jar.ts";

const CARTS = 50;
const ADDS_PER_CART = 20; // 50 × 20 = 1,000 concurrent requests
const REQUEST_TIMEOUT_MS = 60_000;

let app: RunningApp;
let pid: number;

beforeAll(async () => {
  app = await startApp();
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
      const response = await jar.fetch(`${app.url}/session-test?add-product=${seed}`);
      expect(response.status).toBe(200);
      await response.arrayBuffer();
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
        const response = await fetch(`${app.url}/session-test?add-product=${product}`, {
          headers: { cookie: cart.cookie },
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        await response.arrayBuffer();
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
  const response = await fetch(`${app.url}/session-test`, { headers: { cookie: cart.cookie } });
  expect(response.status).toBe(200);
  const text = await response.text();
  return text.replace("Products in cart: ", "").split(", ");
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
  it("no errors, no lost updates, and memory back near the baseline afterwards", { timeout: 300_000 }, async () => {
    // Warm-up: compile the route and fill the caches, so the baseline is steady-state memory.
    const warm = await newCarts("warm");
    await burst("warm", warm.slice(0, 10));
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const baseline = rss(pid);

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

    // Memory: a second identical burst must not keep growing it (a leak would), and after the
    // bursts RSS settles to within 1.5× of the warmed-up baseline.
    const afterFirst = await settle(baseline * 1.5, 15_000);
    const second = await burst("again", await newCarts("again"));
    expect(second.statuses.filter((status) => status !== 200)).toEqual([]);
    const afterSecond = await settle(baseline * 1.5, 30_000);
    console.info(
      `[measure] server RSS: baseline ${mb(baseline)}, peak ${mb(Math.max(result.peak, second.peak))}, ` +
        `after burst 1 ${mb(afterFirst)}, after burst 2 ${mb(afterSecond)} ` +
        `(×${(afterSecond / baseline).toFixed(2)} of baseline)`,
    );
    expect(afterSecond / baseline).toBeLessThan(1.5);
    expect(afterSecond / afterFirst).toBeLessThan(1.25);
  });
});
