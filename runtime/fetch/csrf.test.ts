import { describe, expect, it } from "vitest";
import type { SessionTypes } from "../../generated/sessions.ts";
import config from "../../sessions.schema.ts";
import { CsrfError } from "../session/csrf.ts";
import { testSatchel } from "../test-support/harness.ts";
import { fetchCsrfToken, verifyFetchCsrf } from "./csrf.ts";

/** A Fetch app: GET renders a form token, POST is checked; cookies replayed like a browser. */
function setup() {
  const { satchel } = testSatchel<SessionTypes>(config);
  const handler = satchel.handle(async (request, sessions) => {
    const url = new URL(request.url);
    if (request.method === "GET") return new Response(await fetchCsrfToken(satchel, request, sessions));
    try {
      await verifyFetchCsrf(satchel, request, sessions);
    } catch (error) {
      if (error instanceof CsrfError) return new Response(error.message, { status: 403 });
      throw error;
    }
    if (url.pathname === "/sign-in") {
      const auth = await sessions.get("auth");
      auth.userId = "alice";
      await auth.regenerate();
    }
    return new Response("done");
  });
  let cookie = "";
  const send = async (method: string, path: string, headers: Record<string, string> = {}) => {
    const response = await handler(
      new Request(`https://app.test${path}`, { method, headers: { cookie, ...headers } }),
    );
    for (const line of response.headers.getSetCookie()) {
      const [pair = ""] = line.split(";");
      const name = pair.slice(0, pair.indexOf("="));
      const rest = cookie.split("; ").filter((p) => p !== "" && !p.startsWith(`${name}=`));
      cookie = [...rest, ...(/Max-Age=0/.test(line) ? [] : [pair])].join("; ");
    }
    return response;
  };
  return { send };
}

describe("Fetch adapter CSRF helpers", () => {
  it("accept a same-origin post with the token; the token dies at sign-in (regenerate)", async () => {
    const { send } = setup();
    const token = await (await send("GET", "/form")).text();
    const origin = "https://app.test";
    expect((await send("POST", "/items", { origin, "x-csrf-token": token })).status).toBe(200);
    expect((await send("POST", "/sign-in", { origin, "x-csrf-token": token })).status).toBe(200);
    expect((await send("POST", "/items", { origin, "x-csrf-token": token })).status).toBe(403);
    const fresh = await (await send("GET", "/form")).text();
    expect((await send("POST", "/items", { origin, "x-csrf-token": fresh })).status).toBe(200);
  });

  it("refuse other schemes and opaque origins with 403, never 500", async () => {
    const { send } = setup();
    const token = await (await send("GET", "/form")).text();
    for (const origin of ["http://app.test", "null", "about:blank", "data:,x", "file:///x", "blob:null/1"]) {
      expect((await send("POST", "/items", { origin, "x-csrf-token": token })).status, origin).toBe(403);
      expect(
        (await send("POST", "/items", { referer: origin, "x-csrf-token": token })).status,
        `Referer ${origin}`,
      ).toBe(403);
    }
  });
});
