/**
 * What satchel's Next adapter adds to a route handler, one process per variant so callgrind can
 * count it (figure 3 measures the same routes under `next start`, where time is noisy):
 *
 *   npx tsx bench/lib/callgrind.ts bench/micro/next-path.ts 1000 satchel-read
 *   npx tsx bench/micro/next-path.ts satchel-write 10      # plain run: prints the cookie bytes
 *   npx tsx bench/lib/callgrind.ts bench/micro/next-path.ts 300 satchel-write 3   # inside 3 storages, as under Next
 *
 * Variants, each one request per op on a `NextRequest` carrying the ~300-byte session of figures 1–2
 * (bench/next-app's `prefs` session):
 * - `none`: the bare handler (the "no session" route);
 * - `satchel-read` / `satchel-write`: `withRouteSessions` + `getSession("prefs")`, read, or read and
 *   increment `visits` (the bench app's routes, line for line);
 * - `fetch-read` / `fetch-write`: the same session through the Fetch adapter (`satchel.handle`), so
 *   the difference to `satchel-*` is what the Next wrapper itself costs.
 * Next's `cookies()` is replaced by a minimal store (no Next request is running here): a write that
 * goes through it is counted without the cost Next adds under `next start`.
 *
 * A third argument N runs each request inside N AsyncLocalStorages of the bench's own: `next start`
 * runs a route handler inside 3 of Next's, and every promise made while storages are in use costs a
 * hook call and one store per storage, so a promise satchel saves is worth more there than here
 * without them. The first of them stands for Next's action storage, which the wrappers carry their
 * scope in (runtime/next/host.ts); with none, the wrappers use a storage of their own.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { NextRequest } from "next/server.js";
import type { NextCookieStore } from "../../runtime/next/cookie-jar.ts";
import { createNextSessions } from "../../runtime/next/create.ts";
import { createSatchel } from "../../runtime/satchel.ts";
import { BENCH_SECRET, type BenchTypes, benchSessions } from "../lib/bench-schema.ts";
import { BENCH_CODECS } from "../lib/payload-codecs.ts";
import { steadySection } from "../lib/steady-section.ts";

const [variant = "satchel-read", opsText = "1000", storesText = "0"] = process.argv.slice(2);
const ops = Number(opsText);
const storages = Array.from({ length: Number(storesText) }, () => new AsyncLocalStorage<object>());

const satchel = createSatchel<BenchTypes>(benchSessions, { codecs: BENCH_CODECS, secrets: [BENCH_SECRET] });

/** The last value written through the stand-in for `cookies()`, when the adapter writes there. */
let viaCookies: string | undefined;
const cookieStore: NextCookieStore = {
  get: () => undefined,
  getAll: () => [],
  set(name, value) {
    viaCookies = `${name}=${value}`;
  },
};
const { getSession, withRouteSessions } = createNextSessions(satchel, {
  requestApi: {
    cookies: async () => cookieStore,
    headers: async () => new Headers(),
    after: () => {},
    connection: async () => {},
    route: () => "/bench",
    carrier: storages[0],
  },
});

const text = (body: string) => new Response(body, { headers: { "content-type": "text/plain" } });

const none = (_request: NextRequest) => text("0");
const read = withRouteSessions(async () => text(String((await getSession("prefs")).visits)));
const write = withRouteSessions(async () => {
  const prefs = await getSession("prefs");
  prefs.visits += 1;
  return text(String(prefs.visits));
});
const fetchRead = satchel.handle(async (_request, sessions) =>
  text(String((await sessions.get("prefs")).visits)),
);
const fetchWrite = satchel.handle(async (_request, sessions) => {
  const prefs = await sessions.get("prefs");
  prefs.visits += 1;
  return text(String(prefs.visits));
});

const handlers: Record<string, (request: NextRequest) => Promise<Response> | Response> = {
  none,
  "satchel-read": (request) => read(request, {}),
  "satchel-write": (request) => write(request, {}),
  "fetch-read": fetchRead,
  "fetch-write": fetchWrite,
};
const handler = handlers[variant];
if (handler === undefined) throw new Error(`bench: unknown variant ${variant}`);

let cookie = "";
/** One request with the current cookie; a Set-Cookie (on the response or via cookies()) replaces it. */
async function request(run: (request: NextRequest) => Promise<Response> | Response): Promise<void> {
  viaCookies = undefined;
  const response = await run(new NextRequest("http://127.0.0.1/bench", { headers: { cookie } }));
  await response.text();
  const set = response.headers.getSetCookie()[0];
  const written = set === undefined ? viaCookies : set.slice(0, set.indexOf(";"));
  if (written !== undefined) cookie = written;
}

// The session the routes are seeded with: a first write creates the ~300-byte cookie.
await request((r) => write(r, {}));
if (!cookie.startsWith("prefs=")) throw new Error("bench: seeding the session wrote no cookie");
/** `fn` inside every storage of `storages` from the `index`th on, each given a store. */
const inStorages = (index: number, fn: () => Promise<void>): Promise<void> => {
  const storage = storages[index];
  return storage === undefined ? fn() : storage.run({ index }, () => inStorages(index + 1, fn));
};
await steadySection(ops, () => inStorages(0, () => request(handler)));
process.stdout.write(`${JSON.stringify({ variant, ops, bytes: cookie.length - "prefs=".length })}\n`);
