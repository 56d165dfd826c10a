import { describe, expect, it } from "vitest";
import { z } from "zod";
import { memoryCookieJar } from "../cookies/header.ts";
import { defineSessions } from "../define.ts";
import { SessionStateError } from "../errors.ts";
import { CookieClient, SECRET_A, SECRET_B, testSatchel } from "../test-support/harness.ts";
import { type TestTypes, testConfig } from "../test-support/schema.ts";
import type { SessionHandle } from "../types.ts";
import type { HostRequestSessions } from "./request-sessions.ts";

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
  it("close(how): later writes throw naming how; reads, and a commit with nothing new, still work", async () => {
    const { satchel, client } = await signedInClient();
    const jar = memoryCookieJar(client.cookieHeader());
    const sessions = satchel.open(jar);
    const cart = await sessions.get("cart");
    await sessions.commit();
    sessions.close("the adapter sent the response");
    sessions.close("a second close keeps the first reason");
    expect(cart.note).toBe("n");
    await expect(sessions.commit()).resolves.toBeUndefined();
    await expect(cart.update((data) => ({ ...data, note: "late" }))).rejects.toThrow(
      /session "cart" cannot be written any more: the response was already sent \(the adapter sent the response\)/,
    );
    expect(() => cart.messages.info("late")).toThrow(SessionStateError);
    expect(() => cart.setdefault("owner", "u2")).toThrow(SessionStateError);
    // A session first touched after the close is just as closed.
    const auth = await sessions.get("auth");
    await expect(auth.regenerate()).rejects.toThrow(SessionStateError);
  });

  it("a commit made while a session is still loading waits for it, then saves every change", async () => {
    const { satchel, client } = await signedInClient();
    const jar = memoryCookieJar(client.cookieHeader());
    const sessions = satchel.open(jar);
    const auth = await sessions.get("auth");
    auth.userId = "u2";
    const cartLoading = sessions.get("cart"); // not awaited before the commit
    await sessions.commit();
    (await cartLoading).note = "after the commit";
    const reopened = satchel.open(jar);
    expect((await reopened.get("auth")).userId).toBe("u2");
    expect((await reopened.get("cart")).note).toBe("n");
    // The commit it waited for is over: a second one saves the later change.
    await sessions.commit();
    expect((await satchel.open(jar).get("cart")).note).toBe("after the commit");
  });

  it("read-only mode allows reads but refuses every write, saying where to write", async () => {
    const { satchel, client } = await signedInClient();
    const sessions = satchel.open(memoryCookieJar(client.cookieHeader()), { readOnly: WHY });
    const auth = await sessions.get("auth");
    const cart = await sessions.get("cart");
    expect(auth.userId).toBe("u1");
    expect(auth.get("userId")).toBe("u1");
    // Stored flash and messages cannot be consumed here, so they are not shown (the proxy hands them off).
    expect(auth.flash.notice.peek()).toEqual([]);
    expect(cart.messages.peek()).toEqual([]);
    auth.flash.notice.now("render only");
    expect(auth.flash.notice.peek()).toEqual(["render only"]);

    const refusals: (() => unknown)[] = [
      () => {
        auth.userId = "u2";
      },
      () => auth.set("roles", []),
      () => auth.reset(),
      () => auth.flash.notice.add("x"),
      () => cart.messages.success("x"),
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

  it("read-only flash and message reads never throw: they return this request's values and keep stored ones", async () => {
    const { satchel, client } = await signedInClient();
    const render = satchel.open(memoryCookieJar(client.cookieHeader()), { readOnly: WHY });
    const auth = await render.get("auth");
    const cart = await render.get("cart");
    auth.flash.notice.now("render only");
    expect(auth.flash.notice.read()).toEqual(["render only"]);
    expect(auth.flash.notice.read()).toEqual([]);
    expect(cart.messages.read()).toEqual([]);
    await render.commit();
    expect(render.unsavedChanges()).toEqual([]);

    // A later request that can write still finds the stored values, once.
    const later = satchel.open(memoryCookieJar(client.cookieHeader()));
    expect((await later.get("auth")).flash.notice.read()).toEqual(["hello"]);
    expect((await later.get("cart")).messages.read()).toEqual([{ level: "info", body: "m" }]);
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

  it("a commit of several cookie sessions sealed at once waits for nothing, and writes each one", async () => {
    const session = { storage: "cookie" as const, schema: z.object({ n: z.number().default(0) }) };
    const config = defineSessions({ one: session, two: session, three: session });
    type Three = Record<"one" | "two" | "three", SessionHandle<{ n: number }>>;
    const { satchel } = testSatchel<Three>(config);
    const names = ["one", "two", "three"] as const;
    // The first request makes the sealer and each session's key, which waits.
    const first = satchel.open(memoryCookieJar());
    for (const name of names) (await first.get(name)).n = 1;
    await first.commit();
    const jar = memoryCookieJar();
    const sessions = satchel.open(jar) as unknown as HostRequestSessions<Three>;
    for (const name of names) (await sessions.get(name)).n = 2;
    expect(sessions.commitNow()).toBeUndefined();
    expect(sessions.needsCommit()).toBe(false);
    expect(jar.setCookieHeaders().map((line) => line.slice(0, line.indexOf("=")))).toEqual([
      "one",
      "two",
      "three",
    ]);
    // Nothing changed: nothing to write, nothing to wait for.
    const again = satchel.open(
      memoryCookieJar(
        jar
          .setCookieHeaders()
          .map((l) => l.split(";")[0])
          .join("; "),
      ),
    );
    for (const name of names) expect((await again.get(name)).n).toBe(2);
    expect((again as unknown as HostRequestSessions<Three>).commitNow()).toBeUndefined();
  });

  it("get() returns one promise per name, and a fresh session and an opened cookie load without waiting", async () => {
    const { satchel, client } = await signedInClient();
    const fresh = satchel.open(memoryCookieJar()) as unknown as HostRequestSessions<TestTypes>;
    const freshAuth = fresh.get("auth");
    // Loaded before get() returned: the session already waits for the commit.
    expect(fresh.needsCommit()).toBe(true);
    expect(fresh.get("auth")).toBe(freshAuth);
    expect((await freshAuth).userId).toBeNull();
    expect(fresh.get("auth")).toBe(freshAuth);

    const known = satchel.open(
      memoryCookieJar(client.cookieHeader()),
    ) as unknown as HostRequestSessions<TestTypes>;
    const auth = known.get("auth");
    expect(known.needsCommit()).toBe(true);
    expect(known.get("auth")).toBe(auth);
    expect((await auth).userId).toBe("u1");
    expect((await auth).flash.notice.read()).toEqual(["hello"]);
    expect(known.get("auth")).toBe(auth);
  });

  it("a load that throws at once rejects get()'s promise, which a later get() retries", async () => {
    const { satchel, client } = await signedInClient();
    const jar = memoryCookieJar(client.cookieHeader());
    const read = jar.get.bind(jar);
    let broken = true;
    jar.get = (name) => {
      if (broken) throw new Error("the jar cannot be read");
      return read(name);
    };
    const sessions = satchel.open(jar);
    let loading: Promise<unknown> | undefined;
    expect(() => {
      loading = sessions.get("auth");
    }).not.toThrow();
    expect(sessions.get("auth")).toBe(loading);
    await expect(loading).rejects.toThrow("the jar cannot be read");
    broken = false;
    expect((await sessions.get("auth")).userId).toBe("u1");

    // A name the schema does not define is a rejection too, never a throw.
    let unknown: Promise<unknown> | undefined;
    expect(() => {
      unknown = sessions.get("nope" as "auth");
    }).not.toThrow();
    await expect(unknown).rejects.toThrow(/there is no session "nope"; the schema defines: auth, cart/);
  });

  it("a load that fails after waiting (a store outage) rejects, and a later get() retries", async () => {
    const { satchel, client, store } = await signedInClient();
    const inner = store.get.bind(store);
    let down = true;
    store.get = (key) => (down ? Promise.reject(new Error("the store is down")) : inner(key));
    const sessions = satchel.open(memoryCookieJar(client.cookieHeader()));
    const loading = sessions.get("cart");
    expect(sessions.get("cart")).toBe(loading);
    await expect(loading).rejects.toThrow();
    down = false;
    const retried = sessions.get("cart");
    expect(retried).not.toBe(loading);
    expect((await retried).note).toBe("n");
  });

  it("a commit waits for a cookie session's get() that was not awaited and had to wait", async () => {
    // Sealed under SECRET_B; the next satchel seals with SECRET_A, so the read writes the token again.
    const old = testSatchel<TestTypes>(testConfig, { secrets: [SECRET_B] });
    const client = new CookieClient(
      old.satchel.handle(async (_req, sessions) => {
        (await sessions.get("auth")).userId = "u1";
        return new Response("ok");
      }),
    );
    await client.fetch();
    // A satchel's first request makes its sealer, which waits: the load cannot finish at once.
    const { satchel } = testSatchel<TestTypes>(testConfig, { secrets: [SECRET_A, SECRET_B] });
    const jar = memoryCookieJar(client.cookieHeader());
    const sessions = satchel.open(jar) as unknown as HostRequestSessions<TestTypes>;
    const loading = sessions.get("auth"); // not awaited before the commit
    expect(sessions.needsCommit()).toBe(false);
    await sessions.commit();
    expect(jar.setCookieHeaders().map((line) => line.slice(0, line.indexOf("=")))).toEqual(["auth"]);
    expect((await loading).userId).toBe("u1");
    expect(
      (await satchel.open(memoryCookieJar(jar.setCookieHeaders()[0]?.split(";")[0])).get("auth")).userId,
    ).toBe("u1");
  });
});
