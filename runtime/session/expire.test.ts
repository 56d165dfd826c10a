/**
 * `$expire()` ("remember me", issue 21 item 3): a session's lifetime chosen at run time, bounded by
 * its definition, sealed with it (the cookie session's token, the store session's token and record),
 * kept across `regenerate()`, and shown by `$metadata()`; for cookie and store sessions.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SatchelError } from "../errors.ts";
import type { ExpireOptions } from "../expiry-limit.ts";
import type { FetchSessions } from "../fetch/adapter.ts";
import { storeBackends } from "../stores/test-support/backends.ts";
import type { SessionStore } from "../stores/types.ts";
import { sameBrowser, testClock, testSatchel } from "../test-support/harness.ts";
import { type TestTypes, testConfig } from "../test-support/schema.ts";
import type { SessionMetadata } from "../types.ts";

const HOUR = 3600_000;
const DAY = 24 * HOUR;

/** A Fetch app that runs the given step in each request; a client replays its cookies. */
function setup(store?: SessionStore, clock = testClock()) {
  const t = testSatchel<TestTypes>(testConfig, store === undefined ? { clock } : { clock, store });
  const { client, request } = sameBrowser(t.satchel);
  /** The Set-Cookie line of the last response for `name`. */
  const setCookie = (name: string) => client.lastSetCookie.find((line) => line.startsWith(`${name}=`));
  return { ...t, clock, client, request, setCookie };
}

const signIn = (options: ExpireOptions) => async (sessions: FetchSessions<TestTypes>) => {
  const auth = await sessions.get("auth");
  auth.userId = "alice";
  await auth.regenerate();
  await auth.$expire(options);
  return auth.$metadata();
};
const whoIs = async (sessions: FetchSessions<TestTypes>) => (await sessions.get("auth")).userId;

describe("$expire() on a cookie session", () => {
  it("remembered: a persistent cookie for the chosen lifetime, idle limit lifted, signed in until then", async () => {
    const { request, setCookie, clock } = setup();
    const metadata = await request(signIn({ absolute: "5d", idle: null, persistent: true }));
    expect(setCookie("auth")).toContain(`Max-Age=${5 * 86_400}`);
    expect(metadata.lifetime).toEqual({ absolute: 5 * 86_400, idle: null, persistent: true, chosen: true });
    expect(metadata.expiresAt).toEqual(new Date(clock.now() + 5 * DAY));
    // Past the definition's idle limit (2 h) and its own, but within the chosen 5 days.
    clock.advance(3 * DAY);
    expect(await request(whoIs)).toBe("alice");
    clock.advance(2 * DAY);
    expect(await request(whoIs)).toBe(null);
  });

  it("not remembered: a browser-session cookie (no Max-Age, no Expires) whose sealed expiry still holds", async () => {
    const { request, setCookie, clock } = setup();
    const metadata = await request(signIn({ absolute: "1d", persistent: false }));
    const line = setCookie("auth") as string;
    expect(line).not.toMatch(/Max-Age|Expires/i);
    expect(metadata.lifetime).toEqual({ absolute: 86_400, idle: 7200, persistent: false, chosen: true });
    clock.advance(HOUR);
    // A write (the rolling idle touch or a change) keeps the choice: still no Max-Age.
    await request(async (s) => {
      (await s.get("auth")).roles = ["member"];
    });
    expect(setCookie("auth")).not.toMatch(/Max-Age|Expires/i);
    // The definition's idle limit (2 h) still applies when the call did not choose another.
    clock.advance(3 * HOUR);
    expect(await request(whoIs)).toBe(null);
  });

  it("is kept across regenerate() in a later request, from the new start", async () => {
    const { request, setCookie, clock } = setup();
    await request(signIn({ absolute: "3d", idle: null, persistent: false }));
    clock.advance(DAY);
    const after = await request(async (s) => {
      const auth = await s.get("auth");
      await auth.regenerate();
      return auth.$metadata();
    });
    expect(setCookie("auth")).not.toMatch(/Max-Age|Expires/i);
    expect(after.lifetime).toEqual({ absolute: 3 * 86_400, idle: null, persistent: false, chosen: true });
    expect(after.expiresAt).toEqual(new Date(clock.now() + 3 * DAY));
    clock.advance(2 * DAY + 23 * HOUR);
    expect(await request(whoIs)).toBe("alice");
  });

  it("refuses more than the definition's expiry.absolute with a satchel: error naming the limit", async () => {
    const { request } = setup();
    const error = await request(async (s) =>
      (await s.get("auth")).$expire({ absolute: "8d" as "7d" }).catch((e: unknown) => e),
    );
    expect(error).toBeInstanceOf(SatchelError);
    expect((error as Error).message).toMatch(/^satchel: .*expiry\.absolute \(604800 s\)/);
  });

  it("without a call, $metadata() shows the definition's lifetime, not chosen", async () => {
    const { request } = setup();
    const metadata = await request(async (s) => {
      const auth = await s.get("auth");
      auth.userId = "bob";
      await auth.save();
      return auth.$metadata();
    });
    expect(metadata.lifetime).toEqual({ absolute: 7 * 86_400, idle: 7200, persistent: true, chosen: false });
  });
});

const { backends, startSharedServers, stopSharedServers } = storeBackends("expire");
beforeAll(startSharedServers, 60_000);
afterAll(stopSharedServers, 60_000);

for (const backend of backends.filter((b) => ["memory", "file", "redis"].includes(b.name))) {
  describe(`$expire() on a store session (${backend.name})`, () => {
    it("chooses the record's and the cookie's lifetime, kept in the record and across regenerate()", async () => {
      // Redis expires keys by the real clock: the test clock starts at the real time.
      const clock = testClock(Math.floor(Date.now() / 1000) * 1000);
      const store = await backend.make(clock.now);
      const app = setup(store, clock);
      const first = await app.request(async (s) => {
        const cart = await s.get("cart");
        cart.note = "remember me";
        await cart.$expire({ absolute: "2d", idle: null, persistent: false });
        return undefined;
      });
      expect(first).toBeUndefined();
      expect(app.setCookie("cart")).not.toMatch(/Max-Age|Expires/i);
      const metadata = await app.request(async (s) => (await s.get("cart")).$metadata());
      expect(metadata.lifetime).toEqual({
        absolute: 2 * 86_400,
        idle: null,
        persistent: false,
        chosen: true,
      });
      // The record lives the chosen 2 days, not the definition's idle week capped by 30 days.
      expect(metadata.expiresAt).toEqual(new Date(app.clock.now() + 2 * DAY));
      const after: SessionMetadata = await app.request(async (s) => {
        const cart = await s.get("cart");
        await cart.regenerate();
        return cart.$metadata();
      });
      expect(app.setCookie("cart")).not.toMatch(/Max-Age|Expires/i);
      expect(after.lifetime?.chosen).toBe(true);
      expect(after.publicId).not.toBe(metadata.publicId);
      expect(await app.request(async (s) => (await s.get("cart")).note)).toBe("remember me");
      await store.close?.();
    });
  });
}
