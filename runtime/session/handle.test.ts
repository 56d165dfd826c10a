/**
 * The handle behaves like the dictionary it stands for (the seeds' `session['key']`, `del`, `in`,
 * `keys()`, `setdefault`), and a destroyed session leaves nothing readable.
 */
import { describe, expect, it } from "vitest";
import { SessionStateError, SessionValidationError } from "../errors.ts";
import { sameBrowser, testSatchel } from "../test-support/harness.ts";
import { type AuthData, type TestTypes, testConfig } from "../test-support/schema.ts";

/** Runs each `request(fn)` as one Fetch request of the same browser (cookies carried over). */
function setup() {
  return sameBrowser(testSatchel<TestTypes>(testConfig).satchel);
}

describe("destroy()", () => {
  it("leaves the schema defaults and says the session was destroyed (cookie)", async () => {
    const { request } = setup();
    await request(async (s) => {
      const auth = await s.get("auth");
      auth.userId = "u1";
      auth.roles = ["admin"];
    });
    const after = await request(async (s) => {
      const auth = await s.get("auth");
      expect(auth.$destroyed).toBe(false);
      await auth.destroy();
      return { userId: auth.userId, roles: auth.roles, destroyed: auth.$destroyed, json: auth.toJSON() };
    });
    expect(after).toEqual({
      userId: null,
      roles: [],
      destroyed: true,
      json: { userId: null, roles: [] },
    });
  });

  it("leaves the schema defaults (store), flash and messages included", async () => {
    const { request } = setup();
    await request(async (s) => {
      const cart = await s.get("cart");
      cart.note = "gift";
      cart.flash.added.add("sku-1");
      cart.messages.info("saved");
    });
    const after = await request(async (s) => {
      const cart = await s.get("cart");
      await cart.destroy();
      return {
        note: cart.note,
        destroyed: cart.$destroyed,
        flash: cart.flash.added.peek(),
        messages: cart.messages.peek(),
      };
    });
    expect(after).toEqual({ note: "", destroyed: true, flash: [], messages: [] });
  });
});

describe("the handle as a dictionary", () => {
  it("delete resets a field to its default, or removes an optional one, and is saved", async () => {
    const { request } = setup();
    await request(async (s) => {
      const auth = await s.get("auth");
      auth.userId = "u1";
      auth.signedInAt = new Date(0);
    });
    await request(async (s) => {
      const auth = await s.get("auth");
      // `delete` of a required field is a type error; at run time it resets, as `pop` does.
      expect(delete (auth as Partial<AuthData>).userId).toBe(true);
      expect(delete auth.signedInAt).toBe(true);
      expect(auth.userId).toBeNull();
      expect("signedInAt" in auth).toBe(false);
    });
    const next = await request(async (s) => (await s.get("auth")).toJSON());
    expect(next).toEqual({ userId: null, roles: [] });
  });

  it("Object.keys, spread, JSON.stringify and `in` show the data and nothing else", async () => {
    const { request } = setup();
    const seen = await request(async (s) => {
      const auth = await s.get("auth");
      const before = { keys: Object.keys(auth), has: "signedInAt" in auth };
      auth.signedInAt = new Date(0);
      const forIn: string[] = [];
      for (const key in auth) forIn.push(key);
      return {
        before,
        keys: Object.keys(auth),
        spread: { ...auth },
        json: JSON.parse(JSON.stringify(auth)),
        forIn,
        inUserId: "userId" in auth,
        inSignedIn: "signedInAt" in auth,
        inSave: "save" in auth,
        entries: Object.entries(auth).length,
      };
    });
    expect(seen).toEqual({
      before: { keys: ["userId", "roles"], has: false },
      keys: ["userId", "roles", "signedInAt"],
      spread: { userId: null, roles: [], signedInAt: new Date(0) },
      json: { userId: null, roles: [], signedInAt: "1970-01-01T00:00:00.000Z" },
      forIn: ["userId", "roles", "signedInAt"],
      inUserId: true,
      inSignedIn: true,
      inSave: true,
      entries: 3,
    });
  });

  it("refuses to add a property that is not a field", async () => {
    const { request } = setup();
    await request(async (s) => {
      const auth = (await s.get("auth")) as unknown as Record<string, unknown>;
      expect(() => {
        auth.userID = "typo";
      }).toThrow(SessionValidationError);
      expect(() => {
        auth.userID = "typo";
      }).toThrow(/field "userID" is invalid: is not a field of the schema/);
      expect(() => delete auth.save).toThrow(TypeError);
      // Freezing would break the data view for the rest of the request: refused, and nothing changes.
      expect(() => Object.freeze(auth)).toThrow(TypeError);
      expect(() => Object.setPrototypeOf(auth, null)).toThrow(TypeError);
      expect(Object.keys(auth)).toEqual(["userId", "roles"]);
    });
  });

  it("get(key, fallback), has, keys, pop, clear", async () => {
    const { request } = setup();
    const seen = await request(async (s) => {
      const auth = await s.get("auth");
      const fallback = auth.get("signedInAt", new Date(1));
      const hadSignedIn = auth.has("signedInAt");
      auth.userId = "u1";
      const popped = auth.pop("userId");
      const afterPop = auth.userId;
      auth.roles.push("admin");
      const keys = auth.keys();
      auth.clear();
      return { fallback, hadSignedIn, popped, afterPop, keys, cleared: auth.toJSON() };
    });
    expect(seen).toEqual({
      fallback: new Date(1),
      hadSignedIn: false,
      popped: "u1",
      afterPop: null,
      keys: ["userId", "roles"],
      cleared: { userId: null, roles: [] },
    });
  });

  it("setdefault returns the stored value, and a push on it is saved", async () => {
    const { request } = setup();
    await request(async (s) => {
      const auth = await s.get("auth");
      // `session.setdefault('products', []).append(x)`, on an optional field and one with a default.
      const first = auth.setdefault("signedInAt", new Date(5));
      expect(auth.setdefault("signedInAt", new Date(9))).toBe(first);
      auth.setdefault("roles", ["ignored"]).push("member");
    });
    const next = await request(async (s) => (await s.get("auth")).toJSON());
    expect(next).toEqual({ userId: null, roles: ["member"], signedInAt: new Date(5) });
  });

  it("dictionary writes are refused after destroy()", async () => {
    const { request } = setup();
    await request(async (s) => {
      const auth = await s.get("auth");
      await auth.destroy();
      expect(() => delete (auth as Partial<AuthData>).userId).toThrow(SessionStateError);
      expect(() => auth.setdefault("signedInAt", new Date())).toThrow(SessionStateError);
      expect(() => auth.pop("userId")).toThrow(SessionStateError);
      expect(auth.get("userId", "nobody")).toBeNull();
    });
  });
});
