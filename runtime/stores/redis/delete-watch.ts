/**
 * The Redis store's delete watch: a subscriber connection (a duplicate of the client) on the store's
 * delete channel, which reports deletes and its own ups and downs. Pub/sub reaches every node of a
 * cluster, so caches in front of the store on other processes drop an ended session at once.
 */
import type { DeleteListener, DeleteWatch } from "../types.ts";
import { Cluster, type RedisClient } from "./connection.ts";

/** @param commandTimeout for a standalone client's subscriber: the command timeout it gets (the client has none). */
export async function subscribeToDeletes(
  client: RedisClient,
  channel: string,
  listener: DeleteListener,
  commandTimeout?: number,
): Promise<DeleteWatch> {
  const subscriber: RedisClient =
    client instanceof Cluster
      ? client.duplicate()
      : client.duplicate(commandTimeout === undefined ? undefined : { commandTimeout });
  subscriber.on("error", () => undefined); // reconnects by itself; the state goes through up/down
  let stopped = false;
  /** Subscribed on the current connection. */
  let listening = false;
  const listen = async () => {
    try {
      await subscriber.subscribe(channel);
      listening = true;
      if (!stopped) listener.up();
    } catch {
      listener.down(); // the next "ready" (after a reconnect) tries again
    }
  };
  subscriber.on("message", (heard: string, key: string) => {
    if (heard === channel) listener.deleted(key);
  });
  subscriber.on("close", () => {
    listening = false;
    listener.down();
  });
  // Every (re)connection subscribes explicitly, so up() comes only once deletes are heard again —
  // also when the first connection attempt failed.
  subscriber.on("ready", () => {
    if (!listening) void listen();
  });
  await listen();
  return {
    async stop() {
      stopped = true;
      subscriber.disconnect();
    },
  };
}
