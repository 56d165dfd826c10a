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
import { growthCaseAt, handRolledGrowth, satchelGrowth } from "../lib/growth-sessions.ts";
import { steadySection } from "../lib/steady-section.ts";

const [variant = "satchel", opsText = "1000", point = "300"] = process.argv.slice(2);
const ops = Number(opsText);

async function main(): Promise<{ count: number; bytes: number }> {
  const c = growthCaseAt(point);
  const satchel = variant.startsWith("satchel");
  if (!satchel && !variant.startsWith("hand")) throw new Error(`bench: unknown variant ${variant}`);
  const handler = satchel ? await satchelGrowth(c) : handRolledGrowth(c);
  const write = !variant.endsWith("-read");
  await steadySection(ops, () => handler.request(write));
  return handler.cookies();
}

process.stdout.write(`${JSON.stringify({ variant, ops, point, cookies: await main() })}\n`);
