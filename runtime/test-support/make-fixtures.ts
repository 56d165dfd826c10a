/**
 * Writes `runtime/fixtures/v1-sessions.json`: a sealed v1 cookie session and a v1 store session
 * (its id cookie and its store record), produced by the real v1 code.
 * Run: `npx tsx runtime/test-support/make-fixtures.ts` (only when the fixture format must change).
 */
import { writeFileSync } from "node:fs";
import { createSatchel } from "../satchel.ts";
import { createCountingStore } from "../stores/counting.ts";
import { createMemoryStore } from "../stores/memory.ts";
import { CookieClient } from "./harness.ts";
import { FIXTURE_SECRET, FIXTURE_TIME, type V1Types, v1Config } from "./versioned-schema.ts";

const now = () => FIXTURE_TIME;
const store = createCountingStore(createMemoryStore({ now }));
const satchel = createSatchel<V1Types>(v1Config, { secrets: [FIXTURE_SECRET], store, now });
const client = new CookieClient(
  satchel.handle(async (_req, sessions) => {
    (await sessions.get("basket")).products = ["apple", "pear"];
    (await sessions.get("cart")).products = ["plum"];
    return new Response("ok");
  }),
);
await client.fetch("/");
const key = store
  .log()
  .map((entry) => entry.split(" ")[1] as string)
  .find((k) => k.startsWith("cart:")) as string;
const record = await store.get(key);
const fixture = {
  note: "Written by runtime/test-support/make-fixtures.ts with the v1 schema of versioned-schema.ts.",
  time: FIXTURE_TIME,
  cookies: Object.fromEntries(client.cookies),
  record: { key, ...record },
};
writeFileSync(
  new URL("../fixtures/v1-sessions.json", import.meta.url),
  `${JSON.stringify(fixture, null, 2)}\n`,
);
console.log("wrote runtime/fixtures/v1-sessions.json");
