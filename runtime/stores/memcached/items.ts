/**
 * The memcached store's items and their CAS. memjs 1.3 speaks the binary protocol but exposes no CAS
 * calls, so this file builds GET / SET-with-CAS / ADD / DELETE requests itself and sends them with
 * memjs's `perform` (connection handling, timeouts and server selection stay memjs's). A SET that
 * carries the CAS token from the GET fails with "exists" if anyone wrote the item in between, which
 * is what makes compareAndSet atomic.
 */
import type memjs from "memjs";
import { SatchelError } from "../../errors.ts";

/** What an item holds: the record's value, version, expiry (epoch ms) and user id. */
export interface Item {
  v: string;
  ver: number;
  exp: number;
  uid?: string;
}

/** Binary protocol opcodes and statuses used here. */
const OP = { get: 0x00, set: 0x01, add: 0x02, delete: 0x04 } as const;
const STATUS = { ok: 0, notFound: 1, exists: 2, tooLarge: 3, notStored: 5 } as const;
/** memcached reads an expiry above 30 days as an absolute unix time. */
const RELATIVE_LIMIT_S = 60 * 60 * 24 * 30;

interface Response {
  header: { status: number; cas: Buffer };
  val: Buffer;
}

function request(
  opcode: number,
  key: Buffer,
  extras: Buffer,
  value: Buffer,
  seq: number,
  cas?: Buffer,
): Buffer {
  const buf = Buffer.alloc(24 + extras.length + key.length + value.length);
  buf.writeUInt8(0x80, 0); // request magic
  buf.writeUInt8(opcode, 1);
  buf.writeUInt16BE(key.length, 2);
  buf.writeUInt8(extras.length, 4);
  buf.writeUInt32BE(extras.length + key.length + value.length, 8);
  buf.writeUInt32BE(seq, 12);
  cas?.copy(buf, 16);
  extras.copy(buf, 24);
  key.copy(buf, 24 + extras.length);
  value.copy(buf, 24 + extras.length + key.length);
  return buf;
}

function parseItem(val: Buffer | null | undefined): Item | null {
  if (!val) return null;
  try {
    const data = JSON.parse(val.toString("utf8")) as Partial<Item>;
    if (typeof data.v !== "string" || typeof data.ver !== "number" || typeof data.exp !== "number")
      return null;
    return data as Item;
  } catch {
    return null;
  }
}

/** The item operations the store is made of. */
export interface Items {
  /** The item and its CAS token; `item` null when the stored bytes are not ours (overwritten like a missing one). */
  read(key: Buffer): Promise<{ item: Item | null; cas: Buffer } | null>;
  /** SET (with `cas`: only if unchanged) or ADD (`cas` "add": only if absent). Returns false on a lost race. */
  store(key: Buffer, item: Item, cas: Buffer | "add" | null): Promise<boolean>;
  remove(key: Buffer): Promise<void>;
}

/**
 * Items on `client`; records over `maxItemBytes` are refused before they reach the server. `failed`
 * hears of each memjs server that a request failed on (a timeout, a connection error).
 */
export function createItems(
  client: memjs.Client,
  maxItemBytes: number,
  now: () => number,
  failed?: (server: memjs.Server) => void,
): Items {
  function send(opcode: number, key: Buffer, extras: Buffer, value: Buffer, cas?: Buffer): Promise<Response> {
    return new Promise((resolve, reject) => {
      client.incrSeq();
      const seq = client.seq;
      const name = key.toString("utf8");
      // The server `perform` picks for this key (it picks it the same way), looked up before the
      // request can fail: a failure may replace it in the client's list.
      const server = failed === undefined ? undefined : client.server(name);
      client.perform(name, request(opcode, key, extras, value, seq, cas), seq, (error, response) => {
        if (error) {
          if (server) failed?.(server);
          reject(error);
        } else resolve(response as Response);
      });
    });
  }

  /** memcached expiry for an epoch-ms deadline: relative seconds, or a unix time past 30 days. Never 0 (= forever). */
  function expiry(expiresAt: number): number {
    const seconds = Math.ceil((expiresAt - now()) / 1000);
    if (seconds <= 0) return -1; // negative: already expired (and the record is filtered by `exp` anyway)
    return seconds > RELATIVE_LIMIT_S ? Math.ceil(expiresAt / 1000) : seconds;
  }

  const tooLarge = (bytes: number) =>
    new SatchelError(
      `satchel: a session record of ${bytes} bytes is over the memcached store's item size limit (${maxItemBytes} bytes); ` +
        "store less in the session, raise memcached's -I limit and maxItemBytes, or use the Redis or Postgres store.",
    );

  return {
    async read(key) {
      const response = await send(OP.get, key, Buffer.alloc(0), Buffer.alloc(0));
      if (response.header.status === STATUS.notFound) return null;
      if (response.header.status !== STATUS.ok)
        throw new Error(`memcached GET status ${response.header.status}`);
      return { item: parseItem(response.val), cas: Buffer.from(response.header.cas) };
    },
    async store(key, item, cas) {
      const extras = Buffer.alloc(8);
      extras.writeInt32BE(expiry(item.exp), 4);
      const body = Buffer.from(JSON.stringify(item), "utf8");
      if (body.length > maxItemBytes) throw tooLarge(body.length);
      const response =
        cas === "add"
          ? await send(OP.add, key, extras, body)
          : await send(OP.set, key, extras, body, cas ?? undefined);
      const status = response.header.status;
      if (status === STATUS.ok) return true;
      if (status === STATUS.tooLarge) throw tooLarge(body.length);
      if (status === STATUS.exists || status === STATUS.notFound || status === STATUS.notStored) return false;
      throw new Error(`memcached ${cas === "add" ? "ADD" : "SET"} status ${status}`);
    },
    async remove(key) {
      const response = await send(OP.delete, key, Buffer.alloc(0), Buffer.alloc(0));
      const status = response.header.status;
      if (status !== STATUS.ok && status !== STATUS.notFound)
        throw new Error(`memcached DELETE status ${status}`);
    },
  };
}
