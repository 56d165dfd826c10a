/**
 * Cache Components with partial prefetching: Next renders a Server Component in stages, and
 * `cookies()`/`headers()` resolve before the request-time stage. Reading the clock there (session
 * expiry, the flash hand-off's age) is reported as a prerender error in `next dev`. So an unwrapped
 * `getSession()` awaits `connection()` after the request data and before it reads the clock.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import type { SessionTypes } from "../../generated/sessions.ts";
import config from "../../sessions.schema.ts";
import { testClock, testSatchel } from "../test-support/harness.ts";
import { createNextSessions } from "./create.ts";
import { cookieHeaderFrom, fakeRequest } from "./test-support/fake-request.ts";

afterEach(() => {
  vi.restoreAllMocks();
});

/** Lets every pending promise callback and timer run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

describe("getSession in a Server Component", () => {
  it("reads no clock until connection() resolves (Next's request-time stage)", async () => {
    const clock = testClock();
    const clockReads = vi.spyOn(clock, "now");
    const { satchel } = testSatchel<SessionTypes>(config, { clock });

    // A signed-in auth cookie, so the render below unseals it and checks its expiry.
    const signIn = fakeRequest();
    const writer = createNextSessions(satchel, { requestApi: signIn.api });
    await writer.withActionSessions(async () => {
      (await writer.getSession("auth")).userId = "u1";
    })();

    const render = fakeRequest({ cookie: cookieHeaderFrom(signIn.setCookies()), readOnly: true });
    let enterRequestTime = () => {};
    const requestTime = new Promise<void>((resolve) => {
      enterRequestTime = resolve;
    });
    const reader = createNextSessions(satchel, {
      requestApi: { ...render.api, connection: () => requestTime },
    });
    clockReads.mockClear();
    const dateNow = vi.spyOn(Date, "now");

    const auth = reader.getSession("auth");
    await settle();
    expect(dateNow).not.toHaveBeenCalled();
    expect(clockReads).not.toHaveBeenCalled();

    enterRequestTime();
    expect((await auth).userId).toBe("u1");
    expect(clockReads).toHaveBeenCalled();
  });
});
