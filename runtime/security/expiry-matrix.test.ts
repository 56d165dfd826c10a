/**
 * Expiry under a controlled clock, for cookie and store sessions alike: absolute, idle, and rolling
 * idle with `touchAfter`. The client keeps replaying its cookie whatever its Max-Age says (as an
 * attacker would), so every "expired" below is the server's own judgement from the sealed times or
 * the store record, not the browser's.
 *
 * Clock skew: satchel allows none. Expiry is judged by the clock of the server that reads, to the
 * second (times are sealed as whole epoch seconds, rounded down). The tests at the bottom pin that
 * behaviour down; SECURITY.md explains what it means for a fleet.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defineSessions } from "../define.ts";
import { createCountingStore } from "../stores/counting.ts";
import { createMemoryStore } from "../stores/memory.ts";
import { CookieClient, SECRET_A, type TestClock, testClock, testSatchel } from "../test-support/harness.ts";
import type { SessionHandle } from "../types.ts";

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

const schema = z.object({ n: z.number().default(0) });
const rolling = { absolute: "1d", idle: "1h", touchAfter: "10m" } as const;
const fixed = { absolute: "1h" } as const;
const config = defineSessions({
  rollingCookie: { storage: "cookie", schema, expiry: rolling },
  fixedCookie: { storage: "cookie", schema, expiry: fixed },
  rollingStore: { storage: "store", schema, expiry: rolling },
  fixedStore: { storage: "store", schema, expiry: fixed },
});
type Handle = SessionHandle<{ n: number }>;
interface Types {
  rollingCookie: Handle;
  fixedCookie: Handle;
  rollingStore: Handle;
  fixedStore: Handle;
}
type Name = keyof Types;

/** One client of an app that, per request, reads (GET) or increments (POST) session `name`. */
function setup(name: Name, clock: TestClock = testClock()) {
  const store = createCountingStore(createMemoryStore({ now: clock.now }));
  const app = testSatchel<Types>(config, { clock, store });
  const handler = app.satchel.handle(async (request, sessions) => {
    const session = await sessions.get(name);
    if (request.method === "POST") session.n += 1;
    return Response.json({ n: session.n, isNew: session.$isNew });
  });
  const client = new CookieClient(handler);
  const read = async () => (await (await client.fetch("/")).json()) as { n: number; isNew: boolean };
  const bump = async () => (await (await client.fetch("/", { method: "POST" })).json()) as { n: number };
  return { ...app, store, client, read, bump, clock };
}

const storeNames: Name[] = ["rollingStore", "fixedStore"];
const isStore = (name: Name) => storeNames.includes(name);

describe.each(["rollingCookie", "rollingStore"] as const)(
  "%s: idle 1h, touchAfter 10m, absolute 1d",
  (name) => {
    it("untouched, it lives until the idle limit and not a second longer", async () => {
      const t = setup(name);
      await t.bump();
      t.clock.advance(H - S);
      expect(await t.read()).toEqual({ n: 1, isNew: false });
    });

    it("untouched past the idle limit, it is expired (replaying the cookie does not help)", async () => {
      const t = setup(name);
      await t.bump();
      t.clock.advance(H);
      expect(await t.read()).toEqual({ n: 0, isNew: true });
      expect(t.reports.map((r) => r.reason)).toEqual([isStore(name) ? "missing-record" : "expired"]);
    });

    it("a read before touchAfter writes nothing; a read after it pushes the idle limit forward once", async () => {
      const t = setup(name);
      await t.bump();
      t.store.reset();
      t.clock.advance(10 * M - S);
      await t.read();
      expect(t.client.lastSetCookie).toEqual([]);
      expect(t.store.counts().touch).toBe(0);
      t.clock.advance(S);
      await t.read();
      if (isStore(name)) {
        // The record is touched; the id cookie (absolute lifetime) is left alone.
        expect(t.store.counts().touch).toBe(1);
        expect(t.client.lastSetCookie).toEqual([]);
      } else {
        expect(t.client.lastSetCookie).toHaveLength(1);
        expect(t.client.lastSetCookie[0]).toContain("Max-Age=3600");
      }
      await t.read(); // right after a touch: nothing more to do
      expect(t.store.counts().touch).toBe(isStore(name) ? 1 : 0);
      // The idle limit now counts from the touch at 10m: alive at 1h09m59s, gone at 1h10m.
      t.clock.advance(H - S);
      expect(await t.read()).toEqual({ n: 1, isNew: false });
    });

    it("the touch counts from the touch, so at 1h10m after the last one it is gone", async () => {
      const t = setup(name);
      await t.bump();
      t.clock.advance(10 * M);
      await t.read(); // touch: idle end moves to 1h10m
      t.clock.advance(H);
      expect((await t.read()).isNew).toBe(true);
    });

    it("steady activity keeps it alive past many idle periods, but never past the absolute limit", async () => {
      const t = setup(name);
      await t.bump();
      let alive = 0;
      // A read every 50 minutes for 2 days (bounded: 58 requests).
      for (let elapsed = 50 * M; elapsed <= 2 * D; elapsed += 50 * M) {
        t.clock.advance(50 * M);
        const { isNew } = await t.read();
        if (isNew) break;
        alive = elapsed;
      }
      expect(alive).toBeGreaterThan(23 * H);
      expect(alive).toBeLessThan(D);
      // The sealed absolute limit ends it, for the store session too (its id token carries it).
      expect(t.reports.at(-1)?.reason).toBe("expired");
    });

    it("the idle limit is capped by the absolute limit: no touch is wasted near the end", async () => {
      const t = setup(name);
      await t.bump();
      for (let i = 0; i < 28; i++) {
        t.clock.advance(50 * M);
        await t.read();
      }
      // At 23h20m the touch pushed idle to min(24h20m, 24h) = the absolute end; nothing left to touch.
      t.store.reset();
      t.clock.advance(40 * M - S);
      expect((await t.read()).isNew).toBe(false);
      expect(t.client.lastSetCookie).toEqual([]);
      expect(t.store.counts().touch).toBe(0);
      t.clock.advance(S);
      expect((await t.read()).isNew).toBe(true);
    });
  },
);

describe.each(["fixedCookie", "fixedStore"] as const)("%s: absolute 1h, no idle", (name) => {
  it("lives until the absolute limit however it is used; reads never write", async () => {
    const t = setup(name);
    await t.bump();
    t.store.reset();
    for (let i = 0; i < 5; i++) {
      t.clock.advance(10 * M);
      expect((await t.read()).isNew).toBe(false);
      expect(t.client.lastSetCookie).toEqual([]);
    }
    expect(t.store.counts().touch + t.store.counts().set + t.store.counts().compareAndSet).toBe(0);
    t.clock.advance(10 * M - S);
    expect(await t.read()).toEqual({ n: 1, isNew: false });
    t.clock.advance(S);
    expect(await t.read()).toEqual({ n: 0, isNew: true });
  });

  it("writes never extend the absolute limit", async () => {
    const t = setup(name);
    await t.bump();
    t.clock.advance(59 * M);
    expect(await t.bump()).toEqual({ n: 2, isNew: false });
    expect(t.client.lastSetCookie.join()).toMatch(isStore(name) ? /^$/ : /Max-Age=60(;|$)/);
    t.clock.advance(M);
    expect((await t.read()).isNew).toBe(true);
  });
});

describe("clock skew: no tolerance, judged by the reading server's clock, to the second", () => {
  /** Two servers with the same secret and store, whose clocks differ by `skewMs`. */
  function fleet(name: Name, skewMs: number) {
    const writerClock = testClock();
    const readerClock = { now: () => writerClock.now() + skewMs, advance: writerClock.advance };
    const store = createMemoryStore({ now: writerClock.now }); // the store has its own (true) clock
    const handlerFor = (clock: TestClock) =>
      testSatchel<Types>(config, { clock, store, secrets: [SECRET_A] }).satchel.handle(
        async (request, sessions) => {
          const session = await sessions.get(name);
          if (request.method === "POST") session.n += 1;
          return Response.json({ isNew: session.$isNew });
        },
      );
    const writer = new CookieClient(handlerFor(writerClock));
    const reader = handlerFor(readerClock);
    const readOnReader = async () => {
      const response = await reader(
        new Request("http://localhost/", { headers: { cookie: writer.cookieHeader() } }),
      );
      return ((await response.json()) as { isNew: boolean }).isNew;
    };
    return { writer, writerClock, readOnReader };
  }

  it.each(["fixedCookie", "fixedStore"] as const)(
    "%s: a reader whose clock is 5 minutes ahead ends the session 5 minutes early",
    async (name) => {
      const f = fleet(name, 5 * M);
      await f.writer.fetch("/", { method: "POST" });
      f.writerClock.advance(55 * M - S);
      expect(await f.readOnReader()).toBe(false);
      f.writerClock.advance(S);
      expect(await f.readOnReader()).toBe(true);
    },
  );

  it.each(["fixedCookie", "fixedStore"] as const)(
    "%s: a reader whose clock is 5 minutes behind accepts a token created 'in the future'",
    async (name) => {
      const f = fleet(name, -5 * M);
      await f.writer.fetch("/", { method: "POST" });
      expect(await f.readOnReader()).toBe(false);
      // ... and keeps a cookie session 5 minutes longer; a store record still ends on the store's clock.
      f.writerClock.advance(H + M);
      expect(await f.readOnReader()).toBe(name === "fixedStore");
    },
  );

  it("times are whole seconds rounded down: a session created at x.999 s may end up to 999 ms early", async () => {
    const clock = testClock(Date.UTC(2026, 0, 1) + 999);
    const t = setup("fixedCookie", clock);
    await t.bump();
    t.clock.advance(H - 999); // exactly 1h after 00:00:00.000, 999 ms short of 1h after creation
    expect((await t.read()).isNew).toBe(true);
  });
});
