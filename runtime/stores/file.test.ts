import { spawn } from "node:child_process";
import { readdir, readFile, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeStoreConformance } from "./conformance.ts";
import { createFileStore, type FileStore } from "./file.ts";
import { tempDir } from "./test-support/servers.ts";

const dirs: Array<() => Promise<void>> = [];
async function freshDir(): Promise<string> {
  const dir = await tempDir("file-store");
  dirs.push(dir.cleanup);
  return dir.path;
}
afterAll(async () => {
  await Promise.all(dirs.map((cleanup) => cleanup()));
});

const report = (line: string) => console.info(`[measure] ${line}`);
describeStoreConformance("file", async () => createFileStore({ dir: await freshDir() }), {
  userIndex: true,
  report,
});

const worker = fileURLToPath(new URL("./test-support/file-worker.ts", import.meta.url));
function runWorker(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", worker, ...args], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once("error", reject);
    child.once("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`worker exited ${code}: ${stderr}`)),
    );
  });
}

describe("file store specifics", () => {
  let dir: string;
  let store: FileStore;
  beforeAll(async () => {
    dir = await freshDir();
    store = createFileStore({ dir, sweepIntervalMs: 0, staleLockMs: 500 });
  });
  afterAll(async () => {
    await store.close();
  });
  const later = () => Date.now() + 60_000;

  it("two processes hammering one key with compare-and-set lose nothing", { timeout: 120_000 }, async () => {
    const key = "cart:two-processes";
    const started = performance.now();
    await Promise.all([runWorker([dir, key, "a", "50", "10"]), runWorker([dir, key, "b", "50", "10"])]);
    const record = await store.get(key);
    const items = JSON.parse(record?.value ?? "[]") as string[];
    console.info(
      `[measure] file: 2 processes x 50 CAS appends in ${(performance.now() - started).toFixed(0)} ms`,
    );
    expect(items).toHaveLength(100);
    expect(new Set(items).size).toBe(100);
    expect(record?.version).toBe(100);
    const leftovers = (await readdir(dir)).filter((name) => !name.endsWith(".json"));
    expect(leftovers).toEqual([]);
  });

  it("stores one file per key with a filesystem-safe name and never the raw key in the name", async () => {
    await store.set("cart:../../etc/passwd", "v", { expiresAt: later() });
    const names = await readdir(dir);
    expect(names.every((name) => /^[kh]-[0-9a-f]+\.json$/.test(name))).toBe(true);
    expect((await store.get("cart:../../etc/passwd"))?.value).toBe("v");
    const long = `cart:${"x".repeat(500)}`;
    await store.set(long, "long", { expiresAt: later() });
    expect((await store.get(long))?.value).toBe("long");
  });

  it("breaks a lock left by a dead process instead of waiting for it", async () => {
    // Locks here never go stale and a writer would wait a whole minute: only the dead-owner rule
    // lets this write through (without it, the write fails as unavailable after that minute).
    const patient = createFileStore({
      dir,
      sweepIntervalMs: 0,
      staleLockMs: 3_600_000,
      lockTimeoutMs: 60_000,
    });
    const dead = spawn(process.execPath, ["-e", ""]);
    const deadPid = await new Promise<number>((resolve) => dead.once("exit", () => resolve(dead.pid ?? 0)));
    await store.set("cart:locked", "before", { expiresAt: later() });
    const lock = join(dir, `k-${Buffer.from("cart:locked").toString("hex")}.lock`);
    await writeFile(lock, `${deadPid}:deadbeef`);
    expect(await patient.set("cart:locked", "after", { expiresAt: later() })).toBe(2);
    expect((await store.get("cart:locked"))?.value).toBe("after");
    await patient.close();
  });

  it("breaks a lock older than staleLockMs even when its pid is alive", async () => {
    const lock = join(dir, `k-${Buffer.from("cart:old-lock").toString("hex")}.lock`);
    await writeFile(lock, `${process.pid}:cafebabe`);
    const past = new Date(Date.now() - 5_000);
    await utimes(lock, past, past);
    expect(await store.compareAndSet("cart:old-lock", "v", null, { expiresAt: later() })).toBe(1);
  });

  it("a fresh lock held by a live writer makes others wait, then time out with the typed error", async () => {
    const impatient = createFileStore({ dir, sweepIntervalMs: 0, lockTimeoutMs: 300, staleLockMs: 60_000 });
    const lock = join(dir, `k-${Buffer.from("cart:busy").toString("hex")}.lock`);
    await writeFile(lock, `${process.pid}:held-by-test`);
    await expect(impatient.set("cart:busy", "v", { expiresAt: later() })).rejects.toMatchObject({
      name: "SessionStoreUnavailableError",
      store: "file",
      operation: "set",
    });
    await impatient.close();
  });

  it("readers never see a half-written record while a writer rewrites it", async () => {
    const key = "cart:torn";
    const values = ["a", "b", "c", "d"].map((c) => c.repeat(200_000));
    await store.set(key, values[0] ?? "", { expiresAt: later() });
    let writing = true;
    const writer = (async () => {
      for (let i = 1; i < 40; i++)
        await store.set(key, values[i % values.length] ?? "", { expiresAt: later() });
      writing = false;
    })();
    let reads = 0;
    while (writing && reads < 2000) {
      const record = await store.get(key);
      expect(values).toContain(record?.value);
      reads++;
      // Reads are synchronous underneath: let the writer's fsync callbacks run between them.
      await new Promise((done) => setImmediate(done));
    }
    await writer;
    expect(reads).toBeGreaterThan(0);
  });

  it("a crashed writer's temp file changes nothing and is swept later", async () => {
    const key = "cart:crash";
    await store.set(key, "intact", { expiresAt: later() });
    const base = `k-${Buffer.from(key).toString("hex")}`;
    const temp = join(dir, `${base}.json.99999.abc.tmp`);
    await writeFile(temp, '{"key":"cart:crash","value":"half');
    expect((await store.get(key))?.value).toBe("intact");
    const old = new Date(Date.now() - 120_000);
    await utimes(temp, old, old);
    await store.sweep();
    expect(await readdir(dir)).not.toContain(`${base}.json.99999.abc.tmp`);
    expect((await store.get(key))?.value).toBe("intact");
  });

  it("sweep deletes expired record files and keeps live ones", async () => {
    const sweepDir = await freshDir();
    const swept = createFileStore({ dir: sweepDir, sweepIntervalMs: 0 });
    await swept.set("cart:live", "live", { expiresAt: later() });
    await swept.set("cart:dead-1", "dead", { expiresAt: Date.now() - 1 });
    await swept.set("cart:dead-2", "dead", { expiresAt: Date.now() - 1 });
    expect(await swept.sweep()).toBe(2);
    const names = await readdir(sweepDir);
    expect(names).toHaveLength(1);
    const kept = JSON.parse(await readFile(join(sweepDir, names[0] ?? ""), "utf8")) as { key: string };
    expect(kept.key).toBe("cart:live");
    await swept.close();
  });

  it("sweeps on its interval without keeping the process alive", async () => {
    const sweepDir = await freshDir();
    const swept = createFileStore({ dir: sweepDir, sweepIntervalMs: 100 });
    await swept.set("cart:soon", "x", { expiresAt: Date.now() + 50 });
    await new Promise((done) => setTimeout(done, 400));
    expect(await readdir(sweepDir)).toEqual([]);
    await swept.close();
  });
});
