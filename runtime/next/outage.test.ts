/**
 * A store outage through the Next adapter (issue 12), against private Redis and PostgreSQL servers
 * stopped mid-run: what does not touch a store session keeps working (200), a store session's pending
 * flash waits in the store for a later request (one warning), and what does touch the store answers
 * 503 through the wrappers (route handlers: a 503 response; actions: the typed error), never a 500.
 */
import { randomBytes } from "node:crypto";
import { NextRequest } from "next/server";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { SessionTypes } from "../../generated/sessions.ts";
import config from "../../sessions.schema.ts";
import { SessionStoreUnavailableError } from "../errors.ts";
import { createPostgresStore } from "../stores/postgres.ts";
import { createRedisStore } from "../stores/redis.ts";
import { type ManagedServer, startPostgres, startRedis } from "../stores/test-support/servers.ts";
import type { SessionStore } from "../stores/types.ts";
import { testSatchel } from "../test-support/harness.ts";
import { createNextSessions } from "./create.ts";
import { FLASH_HANDOFF_HEADER } from "./handoff.ts";
import { cookieHeaderFrom, fakeRequest, servingApi } from "./test-support/fake-request.ts";

// Generous: the first write creates the table, and the machine may be busy; an outage costs this per call.
const TIMEOUT_MS = 2000;
const run = randomBytes(4).toString("hex");

interface Backend {
  label: string;
  start(): Promise<{ server: ManagedServer; url: string; cleanup(): Promise<void> }>;
  store(url: string): SessionStore;
}

const BACKENDS: Backend[] = [
  {
    label: "redis",
    start: () => startRedis(),
    store: (url) => createRedisStore({ url, timeoutMs: TIMEOUT_MS, prefix: `next-outage-${run}:` }),
  },
  {
    label: "postgres",
    start: () => startPostgres(),
    store: (url) =>
      createPostgresStore({ url, timeoutMs: TIMEOUT_MS, sweepIntervalMs: 0, table: `next_outage_${run}` }),
  },
];

const route = (path: string, init: ConstructorParameters<typeof NextRequest>[1] = {}) =>
  new NextRequest(`http://app.test${path}`, init);

describe.each(BACKENDS)("store outage through the Next adapter ($label)", (backend) => {
  let target: Awaited<ReturnType<Backend["start"]>>;
  let store: SessionStore;
  beforeAll(async () => {
    target = await backend.start();
    store = backend.store(target.url);
  }, 120_000);
  afterAll(async () => {
    await store?.close?.();
    await target?.cleanup();
  }, 60_000);

  it("degrades: cookie-only work answers 200, store work 503 or the typed error, flash waits", async () => {
    // The real clock: the servers expire records by their own clocks.
    const clock = { now: () => Date.now(), advance: () => {} };
    const { satchel } = testSatchel<SessionTypes>(config, { store, clock });
    const seam = servingApi();
    const app = createNextSessions(satchel, { requestApi: seam.api, warn: () => {} });

    // A visitor holding a cookie session and a store session, each with something pending.
    const first = seam.serve(fakeRequest());
    await app.withActionSessions(async () => {
      const auth = await app.getSession("auth");
      auth.userId = "u1";
      auth.flash.notice.add("Welcome back");
      (await app.getSession("cart")).messages.success("Added apple");
    })();
    const cookie = cookieHeaderFrom(first.setCookies());
    expect(cookie).toMatch(/auth=.*cart=|cart=.*auth=/);

    await target.server.stop();
    const warnings: string[] = [];
    const warn = vi.spyOn(console, "warn").mockImplementation((m: string) => void warnings.push(m));
    try {
      // The proxy still serves the page and hands off the cookie session's flash.
      const proxied = await app.sessionProxy()(route("/", { headers: { cookie } }));
      expect(proxied.status).toBe(200);
      expect(proxied.headers.get("x-middleware-next")).toBe("1");
      expect(proxied.headers.get(`x-middleware-request-${FLASH_HANDOFF_HEADER}`)).toBeTruthy();
      expect(warnings.filter((w) => w.startsWith("satchel:"))).toHaveLength(1);
      expect(warnings[0]).toMatch(/"cart".*unavailable.*stay/);
      const afterProxy = cookieHeaderFrom(proxied.headers.getSetCookie(), cookie);

      // A route handler that only uses the cookie session works.
      const cookieOnly = await app.withRouteSessions(async () => {
        const auth = await app.getSession("auth");
        return Response.json({ userId: auth.userId });
      })(route("/api/me", { headers: { cookie: afterProxy } }), {});
      expect(cookieOnly.status).toBe(200);
      expect(await cookieOnly.json()).toEqual({ userId: "u1" });

      // One that touches the store session answers 503, carrying what it wrote before the outage.
      const touching = await app.withRouteSessions(async () => {
        (await app.requestSessions()).cookies.set("seen", "1");
        (await app.getSession("cart")).items = [{ sku: "pear", qty: 1 }];
        return new Response("ok");
      })(route("/api/cart", { method: "POST", headers: { cookie: afterProxy } }), {});
      expect(touching.status).toBe(503);
      expect(touching.headers.getSetCookie().filter((line) => line.startsWith("seen="))).toHaveLength(1);
      const body = await touching.text();
      expect(body).toMatch(/^satchel: .*unavailable/);
      // Where the store lives is for the logs (the error's message), never for the visitor.
      expect(body).not.toContain("127.0.0.1");

      // A server action gets the typed error.
      seam.serve(fakeRequest({ cookie: afterProxy }));
      await expect(
        app.withActionSessions(async () => (await app.getSession("cart")).items)(),
      ).rejects.toBeInstanceOf(SessionStoreUnavailableError);
    } finally {
      warn.mockRestore();
    }

    // Back up: the store session's message was kept for this later request.
    await target.server.start();
    for (let attempt = 0; attempt < 40; attempt++) {
      if (
        await store.get("probe").then(
          () => true,
          () => false,
        )
      )
        break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const response = await app.sessionProxy()(route("/", { headers: { cookie } }));
    const forwarded = new Headers();
    for (const name of response.headers.get("x-middleware-override-headers")?.split(",") ?? []) {
      const value = response.headers.get(`x-middleware-request-${name}`);
      if (value !== null) forwarded.set(name, value);
    }
    expect(forwarded.get(FLASH_HANDOFF_HEADER)).toBeTruthy();
    seam.serve(fakeRequest({ cookie: forwarded.get("cookie") ?? "", headers: forwarded, readOnly: true }));
    const messages = (await app.getSession("cart")).messages.read();
    expect(messages.map((m) => m.body)).toEqual(["Added apple"]);
  }, 120_000);
});
