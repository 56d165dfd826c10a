/**
 * What users pay on the public path, one process per variant so callgrind can count it:
 *
 *   npx tsx bench/lib/callgrind.ts bench/micro/public-path.ts 1000 satchel small
 *   npx tsx bench/micro/public-path.ts satchel 10 small      # plain run: prints the cookie bytes
 *
 * Variants: `satchel` (Fetch adapter), `satchel-open` (createSatchel's `open()` over a cookie jar),
 * `satchel-runtime` (Fetch adapter without the generated codec, once the runtime recorded the layout in
 * its file store: format 4 through the plan interpreter), `satchel-runtime-keyed` (the same over the
 * memory store, which keeps no layouts: format 2, keyed),
 * `satchel-read` (Fetch adapter, read only), `raw-fetch` / `raw-fetch-read` (the hand-rolled
 * node:crypto GCM + JSON session through the same Request/Response), `raw` (JSON + node:crypto
 * AES-256-GCM + base64url and back), `iron` (iron-session sealData + unsealData). Each op is one
 * seal + one unseal (read variants: one unseal). See bench/lib/public-session.ts. The ops run after
 * `BENCH_WARMUP_OPS` unmeasured ones, between callgrind's marks (bench/lib/steady-section.ts).
 */
import { sealData, unsealData } from "iron-session";
import { largeSchema, largeSession, smallSchema, smallSession } from "../lib/payloads.ts";
import {
  PUBLIC_SECRET,
  rawFetchSession,
  rawSeal,
  rawUnseal,
  satchelRoundTrip,
} from "../lib/public-session.ts";
import { steadySection } from "../lib/steady-section.ts";

const [variant = "satchel", opsText = "1000", size = "small"] = process.argv.slice(2);
const ops = Number(opsText);
const schema = size === "large" ? largeSchema : smallSchema;
const data: Record<string, unknown> = size === "large" ? { ...largeSession } : { ...smallSession };
const plain = JSON.parse(JSON.stringify(data)) as Record<string, unknown>;

async function main(): Promise<number> {
  switch (variant) {
    case "satchel":
    case "satchel-read":
    case "satchel-open":
    case "satchel-runtime":
    case "satchel-runtime-keyed": {
      const runtime = variant.startsWith("satchel-runtime");
      const trip = await satchelRoundTrip(schema, data, {
        fetch: variant !== "satchel-open",
        codec: runtime ? "runtime" : "generated",
        recordLayout: variant === "satchel-runtime",
      });
      const write = variant !== "satchel-read";
      await steadySection(ops, () => trip.request(write));
      return trip.cookieBytes();
    }
    case "raw-fetch":
    case "raw-fetch-read": {
      const trip = rawFetchSession(data);
      const write = variant === "raw-fetch";
      await steadySection(ops, () => trip.request(write));
      return trip.cookieBytes();
    }
    case "raw": {
      let token = rawSeal(plain);
      await steadySection(ops, () => {
        token = rawSeal(rawUnseal(token));
      });
      return token.length;
    }
    case "iron": {
      const iron = { password: PUBLIC_SECRET, ttl: 86_400 };
      let token = await sealData(plain, iron);
      await steadySection(ops, async () => {
        token = await sealData(await unsealData(token, iron), iron);
      });
      return token.length;
    }
    default:
      throw new Error(`bench: unknown variant ${variant}`);
  }
}

process.stdout.write(`${JSON.stringify({ variant, ops, size, bytes: await main() })}\n`);
