/**
 * A TCP relay in front of a real server that can hold back what the server says to one connection and
 * hand it over later in a single write, so the client reads several of the server's messages in one
 * chunk: how a connection's last startup message and a termination notice arrive together when a
 * server restarts while a client connects.
 */
import { createServer, connect as dial, type Server, type Socket } from "node:net";

export interface HeldReplies {
  /** The port the relay listens on (127.0.0.1). */
  port: number;
  /** Hold the server's replies to the next connection made through the relay. */
  holdNext(): void;
  /** Resolves once the server of the held connection has closed its side. */
  serverClosed(): Promise<void>;
  /** Sends everything held to the client in one write, then closes the client's side. */
  release(): void;
  close(): Promise<void>;
}

export async function relayWithHeldReplies(target: { host: string; port: number }): Promise<HeldReplies> {
  let holdNext = false;
  let held: { chunks: Buffer[]; client: Socket; closed: Promise<void> } | undefined;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = dial(target.port, target.host);
    sockets.add(client).add(upstream);
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
    client.on("data", (chunk) => upstream.write(chunk));
    client.on("end", () => upstream.end());
    if (!holdNext) {
      upstream.on("data", (chunk) => client.write(chunk));
      upstream.on("end", () => client.end());
      return;
    }
    holdNext = false;
    const chunks: Buffer[] = [];
    upstream.on("data", (chunk) => chunks.push(chunk));
    held = { chunks, client, closed: new Promise((done) => upstream.on("close", () => done())) };
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("relay: no port");
  return {
    port: address.port,
    holdNext() {
      holdNext = true;
    },
    async serverClosed() {
      if (held === undefined) throw new Error("relay: no held connection");
      await held.closed;
    },
    release() {
      if (held === undefined) throw new Error("relay: no held connection");
      held.client.end(Buffer.concat(held.chunks));
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}
