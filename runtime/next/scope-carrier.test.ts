/**
 * Where a wrapper's scope lives: in an AsyncLocalStorage Next already runs every route handler and
 * server action in (its action store, `requestApi.carrier`), or in one of satchel's own where there
 * is none. Either way each call finds the scope of the wrapper it runs inside: never another
 * request's (two requests interleaved), never none (a promise still running after the wrapper
 * returned finds its closed scope, so its write throws instead of being lost), the inner one when
 * wrappers nest.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { NextRequest } from "next/server";
import { describe, expect, it } from "vitest";
import type { SessionTypes } from "../../generated/sessions.ts";
import config from "../../sessions.schema.ts";
import { SessionStateError } from "../errors.ts";
import { testSatchel } from "../test-support/harness.ts";
import { createNextSessions } from "./create.ts";
import { cookieHeaderFrom, fakeRequest } from "./test-support/fake-request.ts";

/** What Next's action store holds in a route handler. */
type NextStore = { readonly isAppRoute?: boolean; readonly isAction?: boolean };

/** A promise to wait on and the function that resolves it. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open = () => {};
  const wait = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait, open };
}

/** Lets every pending promise job run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe.each([
  { carrier: "Next's action storage", nextStorage: () => new AsyncLocalStorage<NextStore>() },
  { carrier: "a storage of satchel's own", nextStorage: () => undefined },
])("the wrappers' scope, kept in $carrier", ({ nextStorage }) => {
  function setup() {
    const { satchel } = testSatchel<SessionTypes>(config);
    const storage = nextStorage();
    const app = createNextSessions(satchel, {
      requestApi: { ...fakeRequest().api, carrier: storage },
      warn: () => {},
    });
    /** Serves `request` the way Next does: inside its action store, when there is one. */
    const serve = <R>(fn: () => Promise<R>, store: NextStore = { isAppRoute: true }): Promise<R> =>
      storage === undefined ? fn() : storage.run(store, fn);
    return { app, storage, serve };
  }

  const request = (who: string, cookie = "") =>
    new NextRequest(`https://app.test/?who=${who}`, { headers: { cookie } });

  /** The `userId` a response's cookies give the next request. */
  async function userIdAfter(app: ReturnType<typeof setup>["app"], response: Response): Promise<unknown> {
    const read = app.withRouteSessions(async () =>
      Response.json((await app.getSession("auth")).userId ?? null),
    );
    const cookie = cookieHeaderFrom(response.headers.getSetCookie());
    return (await read(request("reader", cookie), {})).json();
  }

  it("two interleaved requests each see and save only their own sessions", async () => {
    const { app, storage, serve } = setup();
    const gates = { a: gate(), b: gate() };
    const GET = app.withRouteSessions(async (req: NextRequest) => {
      const who = req.nextUrl.searchParams.get("who") as "a" | "b";
      const auth = await app.getSession("auth");
      auth.userId = who;
      await gates[who].wait; // the other request runs meanwhile
      // Next's own fields are still there for Next inside the wrapper.
      if (storage !== undefined) expect(storage.getStore()?.isAppRoute).toBe(true);
      const again = await app.getSession("auth");
      expect(again).toBe(auth);
      expect(again.userId).toBe(who);
      return new Response(who);
    });
    const nextStores = { a: { isAppRoute: true }, b: { isAppRoute: true } };
    const served = (who: "a" | "b") =>
      serve(async () => {
        const response = await GET(request(who), {});
        // Next's store is its own again once the wrapper returned.
        if (storage !== undefined) expect(storage.getStore()).toBe(nextStores[who]);
        return response;
      }, nextStores[who]);
    const a = served("a");
    const b = served("b");
    await settle();
    gates.a.open();
    await settle();
    gates.b.open();
    const [responseA, responseB] = await Promise.all([a, b]);
    expect(await userIdAfter(app, responseA)).toBe("a");
    expect(await userIdAfter(app, responseB)).toBe("b");
    if (storage !== undefined) expect(storage.getStore()).toBeUndefined();
  });

  it("a promise left running finds its own closed scope, not the next request's, and its write throws", async () => {
    const { app, serve } = setup();
    const later = gate();
    const meanwhile = gate();
    let late: Promise<void> | undefined;
    const first = app.withRouteSessions(async () => {
      late = (async () => {
        await later.wait;
        const auth = await app.getSession("auth");
        auth.userId = "late";
      })();
      return new Response("first");
    });
    const second = app.withRouteSessions(async () => {
      (await app.getSession("auth")).userId = "second";
      await meanwhile.wait;
      return new Response("second");
    });
    await serve(() => first(request("first"), {}));
    const running = serve(() => second(request("second"), {}));
    await settle(); // the second request is inside its wrapper now
    later.open();
    await expect(late).rejects.toThrow(SessionStateError);
    await expect(late).rejects.toThrow(/the route handler returned|cannot be written any more/);
    meanwhile.open();
    expect(await userIdAfter(app, await running)).toBe("second");
  });

  it("two interleaved proxy calls each read their own visitor's session", async () => {
    const { app, serve } = setup();
    const signIn = app.withRouteSessions(async (req: NextRequest) => {
      (await app.getSession("auth")).userId = req.nextUrl.searchParams.get("who");
      return new Response("ok");
    });
    const cookieOf = async (who: string) =>
      cookieHeaderFrom((await serve(() => signIn(request(who), {}))).headers.getSetCookie());
    const cookies = { a: await cookieOf("a"), b: await cookieOf("b") };
    const gates = { a: gate(), b: gate() };
    // Next runs the proxy without an action store: the wrapper's store is its own there.
    const proxy = app.sessionProxy({
      async proxy(req) {
        const who = req.nextUrl.searchParams.get("who") as "a" | "b";
        await gates[who].wait;
        return new Response((await app.getSession("auth")).userId);
      },
    });
    const a = proxy(request("a", cookies.a));
    const b = proxy(request("b", cookies.b));
    await settle();
    gates.b.open();
    await settle();
    gates.a.open();
    expect(await (await a).text()).toBe("a");
    expect(await (await b).text()).toBe("b");
  });

  it("a wrapped server action called inside a wrapped route handler has its own scope, the handler keeps its own", async () => {
    const { app, serve } = setup();
    const inside = gate();
    const seen: string[] = [];
    const action = app.withActionSessions(async () => {
      const prefs = await app.getSession("prefs");
      await inside.wait;
      expect(await app.getSession("prefs")).toBe(prefs);
      seen.push("action");
      return prefs;
    });
    const GET = app.withRouteSessions(async () => {
      const prefs = await app.getSession("prefs");
      const [inner] = await Promise.all([
        action(),
        (async () => {
          await settle(); // the action is waiting inside its own wrapper now
          expect(await app.getSession("prefs")).toBe(prefs);
          seen.push("handler");
          inside.open();
        })(),
      ]);
      expect(inner).not.toBe(prefs);
      expect(await app.getSession("prefs")).toBe(prefs);
      return new Response("ok");
    });
    await serve(() => GET(request("nested"), {}));
    expect(seen).toEqual(["handler", "action"]);
  });
});
