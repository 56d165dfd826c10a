/**
 * The dictionary-like handle and destroy() through the Next wrappers: the seeds' cart
 * (`session.setdefault('products', []).append(x)`) in server actions, then a logout.
 */
import { describe, expect, it } from "vitest";
import type { SessionTypes } from "../../generated/sessions.ts";
import config from "../../sessions.schema.ts";
import { testSatchel } from "../test-support/harness.ts";
import { createNextSessions } from "./create.ts";
import { cookieHeaderFrom, fakeRequest, servingApi } from "./test-support/fake-request.ts";

function setup() {
  const { satchel } = testSatchel<SessionTypes>(config);
  const serving = servingApi();
  const next = createNextSessions(satchel, { requestApi: serving.api, warn: () => {} });
  let cookie = "";
  /** Runs `fn` as a server action of one browser; its cookies carry over to the next call. */
  const act = async <T>(fn: () => Promise<T>): Promise<T> => {
    const request = serving.serve(fakeRequest({ cookie }));
    const result = await next.withActionSessions(fn)();
    cookie = cookieHeaderFrom(request.setCookies(), cookie);
    return result;
  };
  return { ...next, act };
}

describe("the handle through server actions", () => {
  it("setdefault().push() is saved; delete and destroy() leave nothing readable", async () => {
    const app = setup();
    const add = (sku: string) =>
      app.act(async () => {
        const session = await app.getSession("session");
        session.setdefault("products", []).push(sku);
        return Object.keys(session);
      });
    expect(await add("tea")).toEqual(["products"]);
    await add("jam");
    const seen = await app.act(async () => {
      const session = await app.getSession("session");
      const before = { ...session };
      delete session.products;
      return { before, has: "products" in session };
    });
    expect(seen).toEqual({ before: { products: ["tea", "jam"] }, has: false });
    expect(await app.act(async () => (await app.getSession("session")).keys())).toEqual([]);

    await app.act(async () => {
      (await app.getSession("auth")).userId = "u1";
    });
    const afterLogout = await app.act(async () => {
      const auth = await app.getSession("auth");
      await auth.destroy();
      return { userId: auth.userId, destroyed: auth.$destroyed };
    });
    expect(afterLogout).toEqual({ userId: null, destroyed: true });
    expect(await app.act(async () => (await app.getSession("auth")).userId)).toBeNull();
  });
});
