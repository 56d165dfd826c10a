/**
 * The cookie write path's pieces, one process per variant so callgrind can count them:
 *
 *   npx tsx bench/lib/callgrind.ts bench/micro/pack.ts 2000 pack 3000   # packForCookie + unpackFromCookie
 *   npx tsx bench/lib/callgrind.ts bench/micro/pack.ts 2000 plan        # planCookieWrites, one small chunk
 *   npx tsx bench/micro/pack.ts pack 10 5000                            # plain run: prints the packed size
 *
 * Variants: `pack <text bytes> [minCompressBytes]` (one pack + one unpack of a cart-like JSON text
 * of about that many UTF-8 bytes: hex SKUs, so deflate is not flattered; the optional last argument
 * overrides where deflate starts), `pack-only`, `unpack-only`, and `plan` (the
 * Set-Cookie plan for a ~450-character token whose cookie the request already sent: one chunk,
 * nothing stale to expire, the common write).
 */

import { packForCookie, unpackFromCookie } from "../../runtime/codec/compress.ts";
import { planCookieWrites } from "../../runtime/cookies/chunking.ts";
import { type CookieAttributes, memoryCookieJar } from "../../runtime/cookies/header.ts";
import { hex, TITLES } from "../lib/payloads.ts";
import { steadySection } from "../lib/steady-section.ts";

const [variant = "pack", opsText = "1000", sizeText = "3000", minCompressText] = process.argv.slice(2);
const ops = Number(opsText);
/** An optional 4th argument overrides the size from which deflate is tried (0: always). */
const packOptions = minCompressText === undefined ? {} : { minCompressBytes: Number(minCompressText) };

/** A cart session's JSON text of at least `bytes` bytes (whole items, so it stays valid JSON). */
export function cartText(bytes: number): string {
  const items: unknown[] = [];
  let text = "";
  for (let i = 0; text.length < bytes; i++) {
    items.push({ sku: `SKU-${hex(100 + i, 12)}`, qty: (i % 3) + 1, title: TITLES[i % TITLES.length] });
    text = JSON.stringify([2, 1, "f0f0f0f0", { userId: `usr_${hex(3, 26)}`, items, coupon: null }]);
  }
  return text;
}

async function main(): Promise<Record<string, number>> {
  switch (variant) {
    case "pack":
    case "pack-only":
    case "unpack-only": {
      const text = cartText(Number(sizeText));
      const packed = await packForCookie(text, packOptions);
      if ((await unpackFromCookie(packed)) !== text)
        throw new Error("bench: pack round trip changed the text");
      if (variant === "pack")
        await steadySection(ops, async () => unpackFromCookie(await packForCookie(text, packOptions)));
      else if (variant === "pack-only") await steadySection(ops, () => packForCookie(text, packOptions));
      else await steadySection(ops, () => unpackFromCookie(packed));
      return { text: text.length, packed: packed.length, deflated: packed[0] ?? -1 };
    }
    case "plan": {
      const attributes: CookieAttributes = { path: "/", httpOnly: true, secure: false, sameSite: "lax" };
      const value = hex(7, 450).replace(/[0-9]/g, (d) => "ghijklmnop"[Number(d)] as string);
      const jar = memoryCookieJar(`other=1; bench=${value}; theme=dark`);
      let writes = 0;
      await steadySection(ops, () => {
        writes += planCookieWrites({ session: "bench", name: "bench", value, attributes, jar }).length;
      });
      return { value: value.length, writes };
    }
    default:
      throw new Error(`bench: unknown variant ${variant}`);
  }
}

process.stdout.write(`${JSON.stringify({ variant, ops, ...(await main()) })}\n`);
