import { describe, expect, it } from "vitest";
import { memoryCookieJar } from "./cookies.ts";
import { SessionStateError } from "./errors.ts";
import { CookieClient, testSatchel } from "./test-support/harness.ts";
import { type TestTypes, testConfig } from "./test-support/schema.ts";

const WHY = "a Server Component cannot set cookies";

async function signedInClient() {
  const setup = testSatchel<TestTypes>(testConfig);
  const client = new CookieClient(
    setup.satchel.handle(async (_req, sessions) => {
      const auth = await sessions.get("auth");
      auth.userId = "u1";
      auth.flash.notice.add("hello");
      const cart = await sessions.get("cart");
      cart.note = "n";
      cart.messages.info("m");
      return new Response("ok");
    }),
  );
  await client.fetch();
  return { ...setup, client };
}

describe("request sessions", () => {
  it("read-only mode allows reads and peeks but refuses every write, saying where to write", async () => {
    const { satchel, client } = await signedInClient();
    const sessions = satchel.open(memoryCookieJar(client.cookieHeader()), { readOnly: WHY });
    const auth = await sessions.get("auth");
    const cart = await sessions.get("cart");
    expect(auth.userId).toBe("u1");
    expect(auth.get("userId")).toBe("u1");
    expect(auth.flash.notice.peek()).toEqual(["hello"]);
    expect(cart.messages.peek()).toEqual([{ level: "info", body: "m" }]);
    auth.flash.notice.now("render only");
    expect(auth.flash.notice.peek()).toEqual(["hello", "render only"]);

    const refusals: (() => unknown)[] = [
      () => {
        auth.userId = "u2";
      },
      () => auth.set("roles", []),
      () => auth.reset(),
      () => auth.flash.notice.add("x"),
      () => auth.flash.notice.read(),
      () => cart.messages.success("x"),
      () => cart.messages.read(),
    ];
    for (const refuse of refusals) {
      expect(refuse).toThrow(SessionStateError);
      expect(refuse).toThrow(
        /read-only here \(a Server Component cannot set cookies\).*server action or route handler/,
      );
    }
    for (const call of [
      () => auth.save(),
      () => cart.update(() => undefined),
      () => auth.destroy(),
      () => cart.regenerate(),
    ]) {
      await expect(call()).rejects.toThrow(SessionStateError);
    }
    await sessions.commit();
    expect(sessions.unsavedChanges()).toEqual([]);
  });

  it("read-only commit names sessions that were changed by deep mutation", async () => {
    const { satchel, client } = await signedInClient();
    const sessions = satchel.open(memoryCookieJar(client.cookieHeader()), { readOnly: WHY });
    (await sessions.get("auth")).roles.push("admin");
    expect(sessions.unsavedChanges()).toEqual(["auth"]);
    await expect(sessions.commit()).rejects.toThrow(/sessions auth were changed where writes are impossible/);
  });

  it("loads lazily: nothing is unsealed or fetched before get(), and once per request", async () => {
    const { satchel, client, store } = await signedInClient();
    let gets = 0;
    const inner = store.get.bind(store);
    store.get = (key) => {
      gets++;
      return inner(key);
    };
    const sessions = satchel.open(memoryCookieJar(client.cookieHeader()));
    expect(gets).toBe(0);
    const [a, b] = await Promise.all([sessions.get("cart"), sessions.get("cart")]);
    expect(a).toBe(b);
    expect(gets).toBe(1);
  });

  it("unsavedChanges() lists changed sessions until they are saved", async () => {
    const { satchel } = testSatchel<TestTypes>(testConfig);
    const sessions = satchel.open(memoryCookieJar());
    const auth = await sessions.get("auth");
    await sessions.get("cart");
    expect(sessions.unsavedChanges()).toEqual([]);
    auth.userId = "x";
    expect(sessions.unsavedChanges()).toEqual(["auth"]);
    await auth.save();
    expect(sessions.unsavedChanges()).toEqual([]);
  });
});
