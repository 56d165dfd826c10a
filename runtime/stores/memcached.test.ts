import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { type AddressInfo, createServer, Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SessionStoreUnavailableError } from "../errors.ts";
import { describeStoreConformance } from "./conformance.ts";
import { createMemcachedStore, type MemcachedStore } from "./memcached.ts";
import { OP, startHeldMemcached } from "./test-support/held-memcached.ts";
import { runOutageScenario } from "./test-support/outage.ts";
import { startMemcached } from "./test-support/servers.ts";

const report = (line: string) => console.info(`[measure] ${line}`);

describe("memcached (private server on a spare port)", () => {
  let memcached: Awaited<ReturnType<typeof startMemcached>>;
  beforeAll(async () => {
    memcached = await startMemcached();
  });
  afterAll(async () => {
    await memcached?.cleanup();
  });

  describeStoreConformance("memcached", () => createMemcachedStore({ url: memcached.url }), {
    userIndex: false,
    report,
  });

  it("keeps records due in more than 30 days (memcached's absolute-time threshold)", async () => {
    const store = createMemcachedStore({ url: memcached.url, prefix: "long:" });
    const expiresAt = Date.now() + 60 * 24 * 60 * 60 * 1000;
    await store.set("cart:long", "kept", { expiresAt });
    expect(await store.get("cart:long")).toEqual({ value: "kept", version: 1, expiresAt });
    await store.close();
  });

  it("a record over memcached's item limit is a clear error, not an outage, and the old record stays", async () => {
    const store = createMemcachedStore({ url: memcached.url, prefix: "big:" });
    await store.set("cart:big", "small", { expiresAt: Date.now() + 60_000 });
    const error = await store
      .set("cart:big", "x".repeat(2_000_000), { expiresAt: Date.now() + 60_000 })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "SatchelError" });
    expect(String(error)).toMatch(/item size limit/);
    expect(await store.get("cart:big")).toMatchObject({ value: "small", version: 1 });
    await store.close();
  });

  it("rejects keys memcached cannot hold with a clear error", async () => {
    const store = createMemcachedStore({ url: memcached.url });
    await expect(store.get(`cart:${"x".repeat(300)}`)).rejects.toThrow(/250 bytes/);
    await store.close();
  });
});

describe("memcached outages (private server)", () => {
  let memcached: Awaited<ReturnType<typeof startMemcached>>;
  let store: MemcachedStore;
  const timeoutMs = 1000;
  beforeAll(async () => {
    memcached = await startMemcached();
    store = createMemcachedStore({ url: memcached.url, timeoutMs, prefix: "outage:" });
  });
  afterAll(async () => {
    await store?.close();
    await memcached?.cleanup();
  });

  it("paused → typed error within the timeout; resumed → works with all old data", {
    timeout: 60_000,
  }, async () => {
    // memcached keeps data in memory only: a restart loses it by design, so this scenario checks
    // pause/resume with data kept, and stop/start with the store recovering (not the data).
    const notes = await runOutageScenario(store, memcached.server, "cart", { durable: false });
    for (const note of notes) report(note);
  });
});

describe("memcached: a connection memjs gave up on, closed by the server later", () => {
  it("does not keep the next connection from sending its requests", { timeout: 30_000 }, async () => {
    const stub = await startHeldMemcached();
    // memjs's sockets as it opens them, to wait for the old connection's close on the client's side.
    const sockets: Socket[] = [];
    const opened = (message: unknown) => {
      const { socket } = message as { socket?: unknown };
      if (socket instanceof Socket) sockets.push(socket);
    };
    subscribe("net.client.socket", opened);
    // With credentials memjs sends a new connection's requests only once the server accepted them,
    // which the stand-in does when the test says: a connection still opening, held open at will (a
    // plain connect opens within one event loop turn).
    const store = createMemcachedStore({
      url: `memcached://user:secret@127.0.0.1:${stub.port}`,
      // Generous: the steps after the second call must finish within it on a busy machine; the held
      // call before them waits this long.
      timeoutMs: 5000,
      prefix: "stale:",
    });
    try {
      expect(await store.get("cart:a")).toBeNull();
      // Paused: connection 0's GET gets no answer; memjs times out and ends that connection.
      stub.hold = (connection) => connection === 0;
      await expect(store.get("cart:a")).rejects.toBeInstanceOf(SessionStoreUnavailableError);
      await stub.connections[0]?.clientEnded;
      // The next call opens connection 1; its GET waits until the server accepts the credentials.
      stub.hold = (connection, opcode) => connection === 0 || opcode === OP.saslAuth;
      const next = store.get("cart:b");
      await stub.until(() => (stub.connections[1]?.received ?? 0) === 2);
      // Resumed: the server answers connection 0's GET and closes it while connection 1 is opening.
      const oldClosed = new Promise((done) => sockets[0]?.once("close", done));
      stub.release(0, { close: true });
      await oldClosed;
      stub.hold = () => false;
      stub.release(1, { close: false });
      expect(await next).toBeNull();
      expect(await store.get("cart:c")).toBeNull();
      expect(sockets).toHaveLength(2);
    } finally {
      unsubscribe("net.client.socket", opened);
      await store.close();
      await stub.close();
    }
  });
});

describe("memcached: credentials in the URL", () => {
  it("never show in an outage's message: it names the host and port only", { timeout: 30_000 }, async () => {
    // A port nothing listens on: the call fails at once with "connection refused".
    const spare = createServer();
    await new Promise<void>((listening) => spare.listen(0, "127.0.0.1", listening));
    const { port } = spare.address() as AddressInfo;
    await new Promise((closed) => spare.close(closed));
    const store = createMemcachedStore({ url: `memcached://satchel-user:hunter2-secret@127.0.0.1:${port}` });
    try {
      const failure = await store.get("cart:a").then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(SessionStoreUnavailableError);
      const message = (failure as Error).message;
      expect(message).toContain(`127.0.0.1:${port}`);
      expect(message).not.toContain("hunter2-secret");
      expect(message).not.toContain("satchel-user");
    } finally {
      await store.close();
    }
  });
});
