/**
 * Read-only metadata on the handle: a public id safe to log (never the bearer token or id),
 * created-at, last access and expiry, for cookie and store sessions.
 */
import { describe, expect, it } from "vitest";
import type { FetchSessions } from "../fetch/adapter.ts";
import { CookieClient, testSatchel } from "../test-support/harness.ts";
import { type TestTypes, testConfig } from "../test-support/schema.ts";
import type { SessionMetadata } from "../types.ts";

function setup() {
  const t = testSatchel<TestTypes>(testConfig);
  let step: (sessions: FetchSessions<TestTypes>) => Promise<SessionMetadata> = async () => {
    throw new Error("no step");
  };
  let result: SessionMetadata | undefined;
  const client = new CookieClient(
    t.satchel.handle(async (_request, sessions) => {
      result = await step(sessions);
      return new Response("ok");
    }),
  );
  const request = async (fn: typeof step) => {
    step = fn;
    await client.fetch("/");
    return result as SessionMetadata;
  };
  return { ...t, client, request };
}

const none = { publicId: null, createdAt: null, lastAccessedAt: null, expiresAt: null, lifetime: null };

describe("handle.$metadata()", () => {
  it("cookie session: times from what is sealed, an id that is not the token", async () => {
    const { request, clock, client } = setup();
    const start = clock.now();
    expect(await request(async (s) => (await s.get("auth")).$metadata())).toEqual(none);
    const first = await request(async (s) => {
      const auth = await s.get("auth");
      auth.userId = "u1";
      await auth.save();
      return auth.$metadata();
    });
    expect(first).toEqual({
      publicId: expect.stringMatching(/^[0-9a-f]{32}$/),
      createdAt: new Date(start),
      lastAccessedAt: new Date(start),
      expiresAt: new Date(start + 2 * 3600_000),
      lifetime: { absolute: 7 * 86_400, idle: 2 * 3600, persistent: true, chosen: false },
    });
    const token = client.cookies.get("auth") as string;
    expect(token).not.toContain(first.publicId as string);
    clock.advance(60_000);
    const later = await request(async (s) => (await s.get("auth")).$metadata());
    expect(later).toEqual(first);
  });

  it("store session: a stable public id that is neither the cookie nor the store key", async () => {
    const { request, clock, client } = setup();
    const start = clock.now();
    const first = await request(async (s) => {
      const cart = await s.get("cart");
      cart.note = "n";
      await cart.save();
      return cart.$metadata();
    });
    expect(first.publicId).toMatch(/^[0-9a-f]{32}$/);
    expect(first.createdAt).toEqual(new Date(start));
    expect(first.expiresAt).toEqual(new Date(start + 7 * 86_400_000));
    clock.advance(60_000);
    const later = await request(async (s) => (await s.get("cart")).$metadata());
    expect(later.publicId).toBe(first.publicId);
    expect(client.cookies.get("cart")).not.toContain(first.publicId as string);
  });

  it("a destroyed session has no metadata", async () => {
    const { request } = setup();
    await request(async (s) => {
      (await s.get("auth")).userId = "u1";
      return (await s.get("auth")).$metadata();
    });
    const after = await request(async (s) => {
      const auth = await s.get("auth");
      await auth.destroy();
      return auth.$metadata();
    });
    expect(after).toEqual(none);
  });
});
