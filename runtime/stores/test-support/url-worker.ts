/**
 * Child process for url.test.ts: resolves a store URL, then prints which drivers Node has loaded,
 * proving `resolveStore` imports only the driver its URL needs.
 */
import { createRequire } from "node:module";
import { resolveStore } from "../url.ts";

const require = createRequire(import.meta.url);
const store = await resolveStore(process.argv[2] ?? "memory:");
const loaded = ["ioredis", "pg", "memjs"].filter((name) =>
  Object.keys(require.cache).some((path) => path.includes(`/node_modules/${name}/`)),
);
await store.close?.();
process.stdout.write(JSON.stringify({ name: store.name, loaded }));
