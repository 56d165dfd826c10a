/**
 * The load generator's own process: autocannon clients for one run, so their CPU is not the
 * harness's and never shares an event loop with anything measured. Spawned by `load.ts`:
 *
 *   node --import tsx bench/lib/load-child.ts '{"url":"…","cookies":["a=b",null],"seconds":3}'
 *
 * Prints one JSON line: `{ ok, duration }` (2xx responses in total, longest client duration in
 * seconds) or `{ failure }` naming what went wrong.
 */
import autocannon from "autocannon";

interface ChildInput {
  url: string;
  /** One entry per connection: its Cookie header, or null for none. */
  cookies: (string | null)[];
  seconds: number;
}

const input = JSON.parse(process.argv[2] ?? "{}") as ChildInput;
const results = await Promise.all(
  input.cookies.map((cookie) =>
    autocannon({
      url: input.url,
      connections: 1,
      duration: input.seconds,
      ...(cookie === null ? {} : { headers: { cookie } }),
    }),
  ),
);
let ok = 0;
let duration = 0;
let failure: string | undefined;
for (const result of results) {
  const failures = result.errors + result.timeouts + result.non2xx;
  if (failures > 0 && failure === undefined) {
    failure = `${input.url} answered ${result.non2xx} non-2xx (status counts ${JSON.stringify(result.statusCodeStats)}), ${result.errors} errors, ${result.timeouts} timeouts under load`;
  }
  ok += result["2xx"];
  duration = Math.max(duration, result.duration);
}
process.stdout.write(`${JSON.stringify(failure === undefined ? { ok, duration } : { failure })}\n`);
