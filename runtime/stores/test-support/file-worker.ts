/**
 * Child process for the two-process file store test: appends `count` items to one key with
 * compare-and-set, `concurrency` at a time, through its own file store on a shared directory.
 * Usage: node --import tsx file-worker.ts <dir> <key> <label> <count> <concurrency>
 */
import { appendWithRetry } from "../conformance.ts";
import { createFileStore } from "../file.ts";

const [dir, key, label, countText, concurrencyText] = process.argv.slice(2);
if (!dir || !key || !label) throw new Error("usage: file-worker <dir> <key> <label> <count> <concurrency>");
const count = Number(countText ?? "50");
const concurrency = Number(concurrencyText ?? "10");
const store = createFileStore({ dir, sweepIntervalMs: 0, lockTimeoutMs: 20_000 });
let next = 0;
const expiresAt = Date.now() + 10 * 60_000;
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < count) {
      const item = `${label}-${next++}`;
      await appendWithRetry(store, key, item, expiresAt, 5000);
    }
  }),
);
await store.close();
