/**
 * Shared outage scenario for network stores: write, pause the server (SIGSTOP), expect the typed
 * error within the timeout, resume and find everything; stop it, expect the typed error, start it
 * again and find everything written before.
 */
import { expect } from "vitest";
import { SessionStoreUnavailableError } from "../../errors.ts";
import type { SessionStore } from "../types.ts";
import type { ManagedServer } from "./servers.ts";

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

/**
 * Expect `run` to fail with SessionStoreUnavailableError(store, operation); returns how long it took,
 * for the report only (a busy machine stretches it, so it is never asserted).
 */
export async function expectUnavailable(
  run: () => Promise<unknown>,
  store: string,
  operation: string,
): Promise<number> {
  const started = performance.now();
  const error = await run().then(
    () => null,
    (e: unknown) => e,
  );
  const elapsed = performance.now() - started;
  expect(error).toBeInstanceOf(SessionStoreUnavailableError);
  expect(error).toMatchObject({ store, operation });
  return elapsed;
}

/** Retry `run` until it succeeds (bounded): the store reconnects in the background. */
export async function eventually<T>(run: () => Promise<T>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await run();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(100);
    }
  }
}

/** The whole pause / resume / stop / start scenario; returns timings for the report. */
export async function runOutageScenario(
  store: SessionStore,
  server: ManagedServer,
  prefix: string,
  options: { durable?: boolean } = {},
): Promise<string[]> {
  const durable = options.durable ?? true;
  const notes: string[] = [];
  const name = store.name;
  const later = () => Date.now() + 10 * 60_000;
  const before = `${prefix}:before`;
  await store.set(before, "written before the outage", { expiresAt: later() });
  expect((await store.get(before))?.value).toBe("written before the outage");

  // 1. Paused: the server holds the connection but answers nothing.
  await server.pause();
  try {
    const getMs = await expectUnavailable(() => store.get(before), name, "get");
    const casMs = await expectUnavailable(
      () => store.compareAndSet(before, "written during the pause", 1, { expiresAt: later() }),
      name,
      "compareAndSet",
    );
    await expectUnavailable(() => store.touch(before, later()), name, "touch");
    notes.push(
      `${name}: paused server → typed error after ${getMs.toFixed(0)} ms (get), ${casMs.toFixed(0)} ms (cas)`,
    );
  } finally {
    await server.resume();
  }
  // The write sent during the pause may still land once the server runs again; it lands whole or not at all.
  const afterPause = await eventually(() => store.get(before));
  expect(["written before the outage", "written during the pause"]).toContain(afterPause?.value);
  expect(afterPause?.version).toBe(afterPause?.value === "written before the outage" ? 1 : 2);
  const during = `${prefix}:after-pause`;
  // Retried: on a loaded machine the first write after a resume may still miss a tight budget.
  await eventually(() => store.set(during, "written after the pause", { expiresAt: later() }));
  expect((await store.get(during))?.value).toBe("written after the pause");

  // 2. Stopped: connections refused.
  await server.stop();
  const stoppedMs = await expectUnavailable(() => store.get(before), name, "get");
  await expectUnavailable(() => store.set(`${prefix}:lost`, "x", { expiresAt: later() }), name, "set");
  notes.push(`${name}: stopped server → typed error after ${stoppedMs.toFixed(0)} ms`);

  // 3. Started again: the store reconnects by itself and everything written before is there.
  const restarted = performance.now();
  await server.start();
  const back = await eventually(() => store.get(before));
  notes.push(`${name}: usable again ${(performance.now() - restarted).toFixed(0)} ms after restart began`);
  expect(await store.get(`${prefix}:lost`)).toBeNull();
  if (!durable) {
    // An in-memory server (memcached) loses its data on restart by design; the store must still work.
    expect(back).toBeNull();
    expect(await store.compareAndSet(before, "written after the restart", null, { expiresAt: later() })).toBe(
      1,
    );
    return notes;
  }
  expect(back?.value).toBe(afterPause?.value);
  expect((await store.get(during))?.value).toBe("written after the pause");
  const version = back?.version ?? 0;
  expect(
    await store.compareAndSet(before, "written after the restart", version, { expiresAt: later() }),
  ).toBe(version + 1);
  return notes;
}
