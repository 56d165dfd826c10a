/**
 * The Postgres store's delete watch: a dedicated pool connection that LISTENs on the store's delete
 * channel (every delete notifies it in the same statement), reconnecting — and saying down/up —
 * until stopped.
 */
import type pg from "pg";
import type { DeleteListener, DeleteWatch } from "../types.ts";

/** Wait between attempts to get the LISTEN connection back (ms). */
const RECONNECT_MS = 500;

export async function listenForDeletes(
  pool: pg.Pool,
  channel: string,
  listener: DeleteListener,
): Promise<DeleteWatch> {
  let stopped = false;
  let current: pg.PoolClient | null = null;
  let retry: NodeJS.Timeout | null = null;
  const connect = async (): Promise<void> => {
    let connection: pg.PoolClient | null = null;
    try {
      connection = await pool.connect();
      const held = connection;
      let lost = false;
      const onLost = () => {
        if (lost) return;
        lost = true;
        held.release(true);
        if (current === held) current = null;
        listener.down();
        if (!stopped) retry = setTimeout(() => void connect(), RECONNECT_MS).unref();
      };
      held.on("error", onLost);
      held.on("end", onLost);
      held.on("notification", (message) => {
        if (message.channel === channel && message.payload !== undefined) listener.deleted(message.payload);
      });
      await held.query(`LISTEN "${channel}"`);
      if (stopped) {
        held.release();
        return;
      }
      current = held;
      listener.up();
    } catch {
      connection?.release(true);
      listener.down();
      if (!stopped) retry = setTimeout(() => void connect(), RECONNECT_MS).unref();
    }
  };
  await connect();
  return {
    async stop() {
      stopped = true;
      if (retry) clearTimeout(retry);
      const held = current;
      current = null;
      if (held) {
        held.removeAllListeners("end");
        held.removeAllListeners("error");
        held.on("error", () => undefined);
        held.release(true);
      }
    },
  };
}
