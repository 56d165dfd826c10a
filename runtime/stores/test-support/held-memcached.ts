/**
 * A memcached stand-in on 127.0.0.1 that speaks just enough of the binary protocol for the memcached
 * store's reads (GET: always "not found") and for SASL PLAIN (any user), and that can hold its replies
 * as a paused memcached does: a request `hold` picks is read but not answered until `release(i)` sends
 * connection i what it held (and, with `close`, closes it: a memcached resumed after a pause answers
 * the requests it read, then sees the client's FIN). Holding the SASL step lets a test decide when a
 * new connection is ready for requests (memjs queues them until the server accepts the credentials).
 */
import { createServer, type Server, type Socket } from "node:net";

export const OP = { get: 0x00, saslList: 0x20, saslAuth: 0x21 } as const;

export interface HeldConnection {
  readonly socket: Socket;
  /** Requests read so far (answered or held). */
  readonly received: number;
  /** Resolves once the client has ended its side (memjs gave up on the connection). */
  readonly clientEnded: Promise<void>;
}

export interface HeldMemcached {
  readonly port: number;
  /** Connections in the order they were accepted. */
  readonly connections: readonly HeldConnection[];
  /** Which requests get no answer until released: by connection index and opcode. None by default. */
  hold: (connection: number, opcode: number) => boolean;
  /** Resolves once `condition` holds, checked as connections and requests arrive. */
  until(condition: () => boolean): Promise<void>;
  /** Sends connection `index` its held replies; `close` then ends it. */
  release(index: number, options: { close: boolean }): void;
  close(): Promise<void>;
}

function reply(opcode: number, opaque: number, status: number, body: string): Buffer {
  const value = Buffer.from(body, "utf8");
  const frame = Buffer.alloc(24 + value.length);
  frame.writeUInt8(0x81, 0); // response magic
  frame.writeUInt8(opcode, 1);
  frame.writeUInt16BE(status, 6);
  frame.writeUInt32BE(value.length, 8);
  frame.writeUInt32BE(opaque, 12);
  value.copy(frame, 24);
  return frame;
}

function answer(opcode: number, opaque: number): Buffer {
  if (opcode === OP.saslList) return reply(opcode, opaque, 0, "PLAIN");
  if (opcode === OP.saslAuth) return reply(opcode, opaque, 0, "Authenticated");
  if (opcode === OP.get) return reply(opcode, opaque, 1, "Not found");
  return reply(opcode, opaque, 0x81, "Unknown command");
}

export async function startHeldMemcached(): Promise<HeldMemcached> {
  interface Entry extends HeldConnection {
    held: Buffer[];
    received: number;
  }
  const entries: Entry[] = [];
  let hold: HeldMemcached["hold"] = () => false;
  let waiters: { condition: () => boolean; done: () => void }[] = [];
  const check = () => {
    const due = waiters.filter((waiter) => waiter.condition());
    waiters = waiters.filter((waiter) => !due.includes(waiter));
    for (const waiter of due) waiter.done();
  };
  // Half-open allowed: a client's FIN must not close the connection before `release` does (a paused
  // memcached has not read it yet).
  const server: Server = createServer({ allowHalfOpen: true }, (socket) => {
    const index = entries.length;
    const entry: Entry = {
      socket,
      clientEnded: new Promise((done) => socket.once("end", () => done())),
      held: [],
      received: 0,
    };
    entries.push(entry);
    let pending = Buffer.alloc(0);
    socket.on("error", () => socket.destroy());
    socket.on("data", (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 24 && pending.length >= 24 + pending.readUInt32BE(8)) {
        const opcode = pending.readUInt8(1);
        const frame = answer(opcode, pending.readUInt32BE(12));
        pending = pending.subarray(24 + pending.readUInt32BE(8));
        if (hold(index, opcode)) entry.held.push(frame);
        else socket.write(frame);
        entry.received++;
        check();
      }
    });
    check();
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("held-memcached: no port");
  return {
    port: address.port,
    connections: entries,
    get hold() {
      return hold;
    },
    set hold(picks) {
      hold = picks;
    },
    until(condition) {
      if (condition()) return Promise.resolve();
      return new Promise((done) => waiters.push({ condition, done }));
    },
    release(index, { close }) {
      const entry = entries[index];
      if (entry === undefined) throw new Error(`held-memcached: no connection ${index}`);
      const held = Buffer.concat(entry.held.splice(0));
      if (close) entry.socket.end(held);
      else entry.socket.write(held);
    },
    close() {
      for (const entry of entries) entry.socket.destroy();
      return new Promise<void>((done) => server.close(() => done()));
    },
  };
}
