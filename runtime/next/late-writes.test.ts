/**
 * A write made after a Next wrapper committed (a promise left running, a handle kept past the
 * handler) could never reach the browser: it throws SessionStateError instead of resolving.
 */
import { NextRequest } from "next/server";
import { describe, expect, it } from "vitest";
import type { SessionTypes } from "../../generated/sessions.ts";
import config from "../../sessions.schema.ts";
import { SessionStateError } from "../errors.ts";
import { testSatchel } from "../test-support/harness.ts";
import { createNextSessions } from "./create.ts";
import { fakeRequest } from "./test-support/fake-request.ts";

function setup() {
  const { satchel } = testSatchel<SessionTypes>(config);
  const current = fakeRequest();
  return createNextSessions(satchel, {
    requestApi: {
      cookies: () => current.api.cookies(),
      headers: () => current.api.headers(),
      after: (fn) => current.api.after(fn),
      connection: () => current.api.connection(),
      route: () => current.api.route(),
    },
    warn: () => {},
  });
}

describe("writes after a Next wrapper committed", () => {
  it("route handler: save() after the handler returned throws", async () => {
    const app = setup();
    let kept: SessionTypes["auth"] | undefined;
    const GET = app.withRouteSessions(async () => {
      kept = await app.getSession("auth");
      kept.userId = "u1";
      return new Response("ok");
    });
    await GET(new NextRequest("http://app.test/"), {});
    const auth = kept as SessionTypes["auth"];
    await expect(auth.save()).rejects.toThrow(SessionStateError);
    await expect(auth.save()).rejects.toThrow(/the route handler returned/);
    expect(() => {
      auth.userId = "late";
    }).toThrow(/cannot be written any more/);
  });

  it("server action: update() after the action returned throws", async () => {
    const app = setup();
    let kept: SessionTypes["prefs"] | undefined;
    const action = app.withActionSessions(async () => {
      kept = await app.getSession("prefs");
    });
    await action();
    const prefs = kept as SessionTypes["prefs"];
    await expect(prefs.update((data) => ({ ...data, language: "de" as const }))).rejects.toThrow(
      /the server action returned/,
    );
  });
});
