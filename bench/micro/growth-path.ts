/**
 * Figure 7's handlers (bench/lib/growth-sessions.ts) one process per variant, so callgrind can count
 * what a request costs at each session size or session count:
 *
 *   npx tsx bench/lib/callgrind.ts bench/micro/growth-path.ts 1000 satchel 3584
 *   npx tsx bench/micro/growth-path.ts hand 10 3584      # plain run: prints the cookies held
 *
 * Variants: `satchel` / `hand` (read + write), `satchel-read` / `hand-read` (read only). The third
 * argument is the size of figure 7's token session in bytes of JSON (`tokenSession`, default 300);
 * `sessions=N` instead serves N ~300-byte sessions per request (figure 7's sessions series).
 */
import { type GrowthCase, handRolledGrowth, satchelGrowth } from "../lib/growth-sessions.ts";
import { SMALL_CODEC, TOKEN_CODEC } from "../lib/payload-codecs.ts";
import { smallSchema, smallSession, tokenSchema, tokenSession } from "../lib/payloads.ts";
import { steadySection } from "../lib/steady-section.ts";

const [variant = "satchel", opsText = "1000", point = "300"] = process.argv.slice(2);
const ops = Number(opsText);

/** The figure's case for `point`: a token session of that many bytes, or `sessions=N` small ones. */
function growthCase(): GrowthCase {
  if (point.startsWith("sessions=")) {
    const n = Number(point.slice("sessions=".length));
    const names = Array.from({ length: n }, (_, i) => `s${i + 1}`);
    return { names, schema: smallSchema, data: { ...smallSession }, codec: SMALL_CODEC };
  }
  return { names: ["bench"], schema: tokenSchema, data: tokenSession(Number(point)), codec: TOKEN_CODEC };
}

async function main(): Promise<{ count: number; bytes: number }> {
  const c = growthCase();
  const satchel = variant.startsWith("satchel");
  if (!satchel && !variant.startsWith("hand")) throw new Error(`bench: unknown variant ${variant}`);
  const handler = satchel ? await satchelGrowth(c) : handRolledGrowth(c);
  const write = !variant.endsWith("-read");
  await steadySection(ops, () => handler.request(write));
  return handler.cookies();
}

process.stdout.write(`${JSON.stringify({ variant, ops, point, cookies: await main() })}\n`);
