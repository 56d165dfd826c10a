import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMemcached, tempDir } from "./test-support/servers.ts";
import type { SessionStore } from "./types.ts";
import { resolveStore } from "./url.ts";

const run = randomBytes(4).toString("hex");
const later = () => Date.now() + 60_000;
const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function roundTrip(store: SessionStore): Promise<void> {
  cleanups.push(async () => store.close?.());
  const key = `cart:url-${run}`;
  expect(await store.set(key, "through the url", { expiresAt: later() })).toBe(1);
  expect((await store.get(key))?.value).toBe("through the url");
}

describe("resolveStore", () => {
  let memcachedUrl: string;
  beforeAll(async () => {
    const memcached = await startMemcached();
    cleanups.push(memcached.cleanup);
    memcachedUrl = memcached.url;
  });

  it("memory:", async () => {
    const store = await resolveStore("memory:");
    expect(store.name).toBe("memory");
    await roundTrip(store);
  });

  it("file: with a relative dir, an absolute path and a file:/// URL", async () => {
    const dir = await tempDir("url");
    cleanups.push(dir.cleanup);
    for (const url of [`file:${join(dir.path, "a")}`, pathToFileURL(join(dir.path, "b")).href]) {
      const store = await resolveStore(url);
      expect(store.name).toBe("file");
      await roundTrip(store);
    }
    expect((await readdir(dir.path)).sort()).toEqual(["a", "b"]);
    const relative = (await resolveStore("file:.data/sessions")) as SessionStore & { dir: string };
    expect(relative.dir).toBe(join(process.cwd(), ".data/sessions"));
    const plain = (await resolveStore("file:")) as SessionStore & { dir: string };
    expect(plain.dir).toBe(join(process.cwd(), ".data/sessions"));
  });

  it("redis:// with satchel's prefix and timeoutMs taken out of the URL", async () => {
    const store = await resolveStore(`redis://127.0.0.1:6379/0?prefix=satchel-url-${run}:&timeoutMs=700`);
    expect(store.name).toBe("redis");
    await roundTrip(store);
    const { Redis } = await import("ioredis");
    const raw = new Redis("redis://127.0.0.1:6379");
    expect(await raw.exists(`satchel-url-${run}:s:cart:url-${run}`)).toBe(1);
    await raw.del(`satchel-url-${run}:s:cart:url-${run}`);
    raw.disconnect();
  });

  it("postgres:// and postgresql:// with the table name in the query string", async () => {
    const table = `satchel_test_url_${run}`;
    cleanups.push(async () => {
      const client = new pg.Client({ connectionString: "postgres://postgres@127.0.0.1:5432/test" });
      await client.connect();
      await client.query(`DROP TABLE IF EXISTS "${table}"`);
      await client.end();
    });
    const store = await resolveStore(`postgres://postgres@127.0.0.1:5432/test?table=${table}&timeoutMs=1500`);
    expect(store.name).toBe("postgres");
    await roundTrip(store);
    const again = await resolveStore(`postgresql://postgres@127.0.0.1:5432/test?table=${table}`);
    expect((await again.get(`cart:url-${run}`))?.value).toBe("through the url");
    await again.close?.();
  });

  it("memcached://host:port", async () => {
    const store = await resolveStore(`${memcachedUrl}?timeoutMs=500`);
    expect(store.name).toBe("memcached");
    await roundTrip(store);
  });

  it("an unknown scheme is a satchel: error listing the supported ones, without echoing the URL", async () => {
    const error = await resolveStore("mongodb://admin:hunter2@db:27017").catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "SatchelConfigError" });
    const message = (error as Error).message;
    expect(message).toMatch(/^satchel: /);
    for (const scheme of ["memory:", "file:", "redis://", "postgres://", "memcached://"]) {
      expect(message).toContain(scheme);
    }
    expect(message).not.toContain("hunter2");
    await expect(resolveStore("redis://127.0.0.1:6379?timeoutMs=soon")).rejects.toThrow(/timeoutMs=soon/);
  });

  it("loads only the driver the URL needs", { timeout: 60_000 }, async () => {
    const worker = fileURLToPath(new URL("./test-support/url-worker.ts", import.meta.url));
    const exec = promisify(execFile);
    const check = async (url: string) =>
      JSON.parse((await exec(process.execPath, ["--import", "tsx", worker, url])).stdout) as {
        name: string;
        loaded: string[];
      };
    const dir = await tempDir("url-lazy");
    cleanups.push(dir.cleanup);
    expect(await check(`file:${dir.path}`)).toEqual({ name: "file", loaded: [] });
    expect(await check("memory:")).toEqual({ name: "memory", loaded: [] });
    expect(await check("redis://127.0.0.1:6379")).toEqual({ name: "redis", loaded: ["ioredis"] });
  });
});
