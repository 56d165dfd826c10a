/**
 * Runtime options given to `defineSessions()` in the schema file: what the generated module's
 * `createSatchel(config)` uses, and how options passed to `createSatchel()` in code override them.
 */
import { describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { defineSessions, type SessionsOptions } from "./define.ts";
import { SatchelConfigError } from "./errors.ts";
import { createSatchel } from "./satchel.ts";
import { createMemoryStore } from "./stores/memory.ts";
import type { SessionStore } from "./stores/types.ts";
import { CookieClient, SECRET_A } from "./test-support/harness.ts";
import type { InvalidReport, SessionHandle } from "./types.ts";

const prefsSchema = z.object({ theme: z.enum(["light", "dark"]).default("light") });
const cartSchema = z.object({ items: z.array(z.string()).default([]) });

interface Types {
  prefs: SessionHandle<z.output<typeof prefsSchema>, Record<never, never>, false>;
  cart: SessionHandle<z.output<typeof cartSchema>, Record<never, never>, false>;
}

function schemaFile(options: SessionsOptions) {
  return defineSessions(
    {
      prefs: { storage: "cookie", schema: prefsSchema, cookie: { secure: false } },
      cart: { storage: "store", schema: cartSchema, cookie: { secure: false } },
    },
    { secrets: SECRET_A, ...options },
  );
}

/** An app over the Fetch adapter: `/dark` sets the theme, `/add` adds to the cart, `/` reads prefs. */
function app(satchel: ReturnType<typeof createSatchel<Types>>) {
  return satchel.handle(async (request, sessions) => {
    const path = new URL(request.url).pathname;
    const prefs = await sessions.get("prefs");
    if (path === "/dark") prefs.theme = "dark";
    if (path === "/add") {
      const cart = await sessions.get("cart");
      cart.items = [...cart.items, "tea"];
      return Response.json(cart.items);
    }
    return Response.json({ theme: prefs.theme, isNew: prefs.$isNew });
  });
}

/** Flips one character of the sealed value, keeping it well-formed base64url. */
function tamper(value: string): string {
  const at = Math.floor(value.length / 2);
  return value.slice(0, at) + (value[at] === "A" ? "B" : "A") + value.slice(at + 1);
}

describe("defineSessions() options", () => {
  it("calls onInvalid from the schema file on a tampered cookie, through the Fetch adapter", async () => {
    const reports: InvalidReport[] = [];
    const config = schemaFile({ onInvalid: (report) => reports.push(report) });
    const client = new CookieClient(app(createSatchel<Types>(config)));

    await client.fetch("/dark");
    expect(await (await client.fetch("/")).json()).toEqual({ theme: "dark", isNew: false });
    expect(reports).toEqual([]);

    client.cookies.set("prefs", tamper(client.cookies.get("prefs") ?? ""));
    // The tampered cookie is not trusted: a fresh session, and the app hears why.
    expect(await (await client.fetch("/")).json()).toEqual({ theme: "light", isNew: true });
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ session: "prefs", reason: "tampered" });
  });

  it("lets onInvalid passed to createSatchel() win over the schema file's", async () => {
    const fromSchema = vi.fn();
    const inCode: InvalidReport[] = [];
    const config = schemaFile({ onInvalid: fromSchema });
    const satchel = createSatchel<Types>(config, { onInvalid: (report) => inCode.push(report) });
    const client = new CookieClient(app(satchel));
    await client.fetch("/dark");
    client.cookies.set("prefs", tamper(client.cookies.get("prefs") ?? ""));
    await client.fetch("/");
    expect(inCode.map((report) => report.reason)).toEqual(["tampered"]);
    expect(fromSchema).not.toHaveBeenCalled();
  });

  it("calls a store factory once, lazily: not at definition, on the first session's use", async () => {
    const store = createMemoryStore();
    const factory = vi.fn(async (): Promise<SessionStore> => store);
    const config = schemaFile({ store: factory });
    const satchel = createSatchel<Types>(config);
    expect(factory).not.toHaveBeenCalled();

    const client = new CookieClient(app(satchel));
    await client.fetch("/dark");
    await client.fetch("/");
    // A cookie session without a generated codec asks the store whether it keeps its layout
    // (session/layout-history.ts; the memory store does not), in the background.
    expect(factory).toHaveBeenCalledTimes(1);

    expect(await (await client.fetch("/add")).json()).toEqual(["tea"]);
    expect(await (await client.fetch("/add")).json()).toEqual(["tea", "tea"]);
    expect(factory).toHaveBeenCalledTimes(1);
    await satchel.close();
  });

  it("never calls the schema file's store factory when createSatchel() is given a store", async () => {
    const factory = vi.fn(() => createMemoryStore());
    const satchel = createSatchel<Types>(schemaFile({ store: factory }), { store: createMemoryStore() });
    const client = new CookieClient(app(satchel));
    expect(await (await client.fetch("/add")).json()).toEqual(["tea"]);
    expect(factory).not.toHaveBeenCalled();
  });

  it("explains a factory that returns something other than a store, on first use", async () => {
    const satchel = createSatchel<Types>(
      schemaFile({ store: () => ({ url: "redis://x" }) as unknown as SessionStore }),
    );
    await expect(app(satchel)(new Request("http://x/add"))).rejects.toThrow(
      /^satchel: the store factory did not return a store/,
    );
  });

  it("refuses options of the wrong shape when the schema file runs", () => {
    const bad = (options: unknown) => () => schemaFile(options as SessionsOptions);
    expect(bad({ store: 42 })).toThrow(SatchelConfigError);
    expect(bad({ store: 42 })).toThrow(/option "store" must be a store object, a URL, or a function/);
    expect(bad({ onInvalid: "log" })).toThrow(/option "onInvalid" must be a function/);
    expect(bad({ secrets: [1] })).toThrow(/option "secrets" must be a string or a list of strings/);
  });
});
