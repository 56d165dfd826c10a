import { describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { memoryCookieJar } from "../../cookies/header.ts";
import { defineSessions } from "../../define.ts";
import type { FetchSessions } from "../../fetch/adapter.ts";
import { createSatchel } from "../../satchel.ts";
import { createMemoryStore } from "../../stores/memory.ts";
import type { NoKeys, SessionHandle } from "../../types.ts";
import { createInspector, type InspectorOptions } from "./handler.ts";

const SECRET = "inspector-test-secret-0123456789abcdefghijklmn";
const ORIGIN = "https://app.test";

const config = defineSessions({
  prefs: {
    storage: "cookie",
    schema: z.object({ language: z.enum(["en", "de"]).default("en"), seen: z.date().optional() }),
    flash: { notice: z.string() },
    expiry: { absolute: "7d", idle: "2h", touchAfter: "5m" },
  },
  cart: {
    storage: "store",
    schema: z.object({ items: z.array(z.string()).default([]) }),
    messages: true,
  },
});

type Types = {
  prefs: SessionHandle<{ language: "en" | "de"; seen?: Date }, { notice: string }>;
  cart: SessionHandle<{ items: string[] }, NoKeys, true>;
};

function setup(options: Omit<InspectorOptions, "store"> = { development: true }) {
  const store = createMemoryStore();
  const satchel = createSatchel<Types>(config, { secrets: SECRET, store });
  const inspector = createInspector(satchel, { ...options, store });
  const jar = memoryCookieJar();
  /** A request through the app, with this browser's cookies; keeps what it sets. */
  const app = async (fn: (sessions: FetchSessions<Types>) => Promise<void>) => {
    const response = await satchel.handle(async (_request, sessions) => {
      await fn(sessions);
      return new Response("ok");
    })(request("GET"));
    take(response);
  };
  const request = (
    method: string,
    init: { body?: string; headers?: Record<string, string>; path?: string } = {},
  ) => {
    const cookie = jar
      .names()
      .map((name) => `${name}=${jar.get(name)}`)
      .join("; ");
    return new Request(`${ORIGIN}${init.path ?? "/_satchel"}`, {
      method,
      headers: { ...(cookie ? { cookie } : {}), ...init.headers },
      ...(init.body === undefined ? {} : { body: init.body }),
    });
  };
  const take = (response: Response) => {
    for (const line of response.headers.getSetCookie()) {
      const [pair = ""] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      const expired = /max-age=0/i.test(line);
      // Secure and Path=/ as sent: the CSRF cookie is __Host- outside development.
      const kept = { secure: true, path: "/" };
      jar.set({ name, value: expired ? "" : value, attributes: expired ? { ...kept, maxAge: 0 } : kept });
    }
  };
  const page = async (path?: string) => {
    const response = await inspector.GET(request("GET", path === undefined ? {} : { path }));
    take(response);
    return { status: response.status, html: await response.text() };
  };
  return { satchel, inspector, jar, app, request, take, page };
}

describe("the inspector", () => {
  it("is off in production without authorize, and read-only there with it", async () => {
    const off = setup({ development: false });
    expect((await off.page()).status).toBe(404);
    const denied = setup({ development: false, authorize: () => false });
    expect((await denied.page()).status).toBe(404);
    const admin = setup({ development: false, authorize: () => true });
    const { status, html } = await admin.page();
    expect(status).toBe(200);
    expect(html).toContain("read-only");
    expect(html).not.toContain("<button");
    const post = await admin.inspector.POST(
      admin.request("POST", { body: "action=reset&session=prefs", headers: { origin: ORIGIN } }),
    );
    expect(post.status).toBe(404);
  });

  it("admits only an authorize that returns true: truthy values and promises of them answer 404", async () => {
    const warnings: unknown[] = [];
    const warn = vi.spyOn(console, "warn").mockImplementation((message) => void warnings.push(message));
    try {
      // What a loosely typed check might return (a role name, a count, a user record).
      for (const value of ["yes", 1, {}, [], "false"]) {
        for (const answer of [value, Promise.resolve(value)]) {
          const t = setup({ development: true, authorize: (() => answer) as unknown as () => boolean });
          expect((await t.page()).status, JSON.stringify(value)).toBe(404);
          const post = await t.inspector.POST(
            t.request("POST", { body: "action=reset&session=prefs", headers: { origin: ORIGIN } }),
          );
          expect(post.status, JSON.stringify(value)).toBe(404);
        }
      }
      expect((await setup({ development: true, authorize: async () => true }).page()).status).toBe(200);
    } finally {
      warn.mockRestore();
    }
    // Each inspector says once why it refused: authorize must return a boolean.
    expect(warnings.length).toBeGreaterThan(0);
    expect(String(warnings[0])).toMatch(/^satchel: the inspector's authorize returned .*not true.*boolean/);
  });

  it("answers 404 when authorize throws or rejects, and reports the error (never a 500)", async () => {
    const reported: { error: unknown; path: string }[] = [];
    const failing = setup({
      development: true,
      authorize: () => {
        throw new Error("session lookup failed");
      },
      onAuthorizeError: (error, request) =>
        void reported.push({ error, path: new URL(request.url).pathname }),
    });
    expect((await failing.page()).status).toBe(404);
    const post = await failing.inspector.POST(
      failing.request("POST", { body: "action=reset&session=prefs", headers: { origin: ORIGIN } }),
    );
    expect(post.status).toBe(404);
    expect(reported.map((r) => [(r.error as Error).message, r.path])).toEqual([
      ["session lookup failed", "/_satchel"],
      ["session lookup failed", "/_satchel"],
    ]);

    // Without onAuthorizeError the error goes to console.error, naming what to fix.
    const logged: unknown[][] = [];
    const error = vi.spyOn(console, "error").mockImplementation((...args) => void logged.push(args));
    try {
      const rejecting = setup({ development: false, authorize: () => Promise.reject(new Error("db down")) });
      expect((await rejecting.page()).status).toBe(404);
    } finally {
      error.mockRestore();
    }
    expect(logged).toHaveLength(1);
    expect(String(logged[0]?.[0])).toMatch(/^satchel: the inspector's authorize threw.*GET \/_satchel.*404/);
    expect(logged[0]?.[1]).toMatchObject({ message: "db down" });

    // A reporter that throws changes nothing: still 404.
    const broken = setup({
      development: true,
      authorize: () => {
        throw new Error("x");
      },
      onAuthorizeError: () => {
        throw new Error("reporter down");
      },
    });
    expect((await broken.page()).status).toBe(404);
  });

  it("shows the lifetime $expire() chose, sealed with a cookie session and with a store session's id", async () => {
    const t = setup();
    await t.app(async (sessions) => {
      const prefs = await sessions.get("prefs");
      prefs.language = "de";
      await prefs.$expire({ absolute: "3d", idle: null, persistent: false });
      const cart = await sessions.get("cart");
      cart.items = ["apple"];
      await cart.$expire({ absolute: "1d", persistent: true });
    });
    const { html } = await t.page();
    expect(html).toContain(
      "<th>lifetime</th><td>3 days, no idle limit, browser-session cookie <small>chosen by <code>$expire()</code></small>",
    );
    expect(html).toContain(
      "<th>lifetime</th><td>1 day, no idle limit, persistent cookie <small>chosen by <code>$expire()</code></small>",
    );
  });

  it("shows fields with types and values, flash and messages, clocks, cookie sizes and the store, without consuming anything", async () => {
    const t = setup();
    await t.app(async (sessions) => {
      const prefs = await sessions.get("prefs");
      prefs.language = "de";
      prefs.seen = new Date("2026-01-02T03:04:05Z");
      prefs.flash.notice.add("Saved <b>!</b>");
      const cart = await sessions.get("cart");
      cart.items = ["apple", "bread"];
      cart.messages.warning("Low stock");
    });
    const { status, html } = await t.page();
    expect(status).toBe(200);
    // The schema's types, not the values' runtime types: enum members, optional fields.
    expect(html).toMatch(
      /<code>language<\/code><\/th><td class="type">&quot;en&quot; \| &quot;de&quot;<\/td><td><pre>&quot;de&quot;/,
    );
    expect(html).toMatch(/<code>seen<\/code><\/th><td class="type">Date\?<\/td>/);
    expect(html).toMatch(/<code>items<\/code><\/th><td class="type">string\[\]<\/td>/);
    expect(html).toContain("Saved &lt;b&gt;!&lt;/b&gt;"); // escaped
    expect(html).toContain('<li class="level-warning"><b>warning</b> Low stock</li>');
    expect(html).toContain("store <b>memory</b>");
    expect(html).toMatch(/<code>prefs<\/code> \d+ B/);
    expect(html).toContain("absolute expiry");
    expect(html).toContain("next touch writes");
    expect(html).toContain(
      "<th>lifetime</th><td>7 days, idle 2 hours, persistent cookie <small>the definition's</small>",
    );
    // Looking consumed nothing: the app still reads the flash and the message.
    let notices: string[] = [];
    let messages: unknown[] = [];
    await t.app(async (sessions) => {
      notices = (await sessions.get("prefs")).flash.notice.read();
      messages = (await sessions.get("cart")).messages.read();
    });
    expect(notices).toEqual(["Saved <b>!</b>"]);
    expect(messages).toHaveLength(1);
  });

  it("shows a tampered cookie as such, and lists the onInvalid report the app's request made", async () => {
    const t = setup();
    await t.app(async (sessions) => {
      (await sessions.get("prefs")).language = "de";
    });
    const token = t.jar.get("prefs") as string;
    const flipped = token.slice(0, 20) + (token[20] === "A" ? "B" : "A") + token.slice(21);
    t.jar.set({ name: "prefs", value: flipped, attributes: {} });
    expect((await t.page()).html).toContain("tampered: the next request starts fresh");
    await t.app(async (sessions) => {
      await sessions.get("prefs");
    });
    const { html } = await t.page();
    expect(html).toMatch(/<li><b>prefs<\/b> tampered/);
    // Made a moment ago: "just now", never "in 0 s".
    expect(html).toMatch(/<li><b>prefs<\/b> tampered[^<]*<small>just now<\/small>/);
  });

  it("names an unset optional field's type from the schema and says it holds no value", async () => {
    const t = setup();
    await t.app(async (sessions) => {
      (await sessions.get("prefs")).language = "de";
    });
    const { html } = await t.page();
    expect(html).toMatch(/<code>seen<\/code><\/th><td class="type">Date\?<\/td><td><i>not set<\/i><\/td>/);
  });

  it("clears flash, resets and destroys only with a same-origin post carrying the CSRF token", async () => {
    const t = setup();
    await t.app(async (sessions) => {
      const prefs = await sessions.get("prefs");
      prefs.language = "de";
      prefs.flash.notice.add("hello");
    });
    const { html } = await t.page();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(html)?.[1] as string;
    expect(csrf).toBeTruthy();
    const post = (body: string, origin: string | null) =>
      t.inspector.POST(
        t.request("POST", {
          body,
          headers: {
            "content-type": "application/x-www-form-urlencoded",
            ...(origin === null ? {} : { origin }),
          },
        }),
      );
    expect((await post("action=clear-flash&session=prefs", ORIGIN)).status).toBe(403);
    expect((await post(`action=clear-flash&session=prefs&_csrf=${csrf}`, "http://evil.test")).status).toBe(
      403,
    );
    expect((await post(`action=explode&session=prefs&_csrf=${csrf}`, ORIGIN)).status).toBe(400);

    const cleared = await post(`action=clear-flash&session=prefs&_csrf=${csrf}`, ORIGIN);
    expect(cleared.status).toBe(303);
    expect(cleared.headers.get("location")).toBe("/_satchel");
    t.take(cleared);
    let after = (await t.page()).html;
    expect(after).not.toContain("hello");
    expect(after).toContain("&quot;de&quot;");

    t.take(await post(`action=reset&session=prefs&_csrf=${csrf}`, ORIGIN));
    after = (await t.page()).html;
    expect(after).toContain("&quot;en&quot;");

    // Destroy asks first: the button leads to a confirmation, which works without JavaScript.
    const asked = await post(`action=destroy&session=prefs&_csrf=${csrf}`, ORIGIN);
    expect(asked.status).toBe(303);
    expect(asked.headers.get("location")).toBe("/_satchel?confirm=destroy&session=prefs#session-prefs");
    expect(asked.headers.getSetCookie().some((line) => line.startsWith("prefs="))).toBe(false);
    t.take(asked);
    expect(t.jar.get("prefs")).toBeDefined();
    const confirming = (await t.page("/_satchel?confirm=destroy&session=prefs")).html;
    expect(confirming).toContain('data-testid="confirm-destroy-prefs"');
    expect(confirming).toMatch(/<input type="hidden" name="confirm" value="1">/);
    expect(confirming).toMatch(/<a href="\/_satchel"[^>]*>Cancel<\/a>/);
    // Only the session asked about shows the question; the page without it shows none.
    expect(confirming).not.toContain('data-testid="confirm-destroy-cart"');
    expect((await t.page()).html).not.toContain("confirm-destroy-");

    const destroyed = await post(`action=destroy&confirm=1&session=prefs&_csrf=${csrf}`, ORIGIN);
    expect(destroyed.status).toBe(303);
    expect(destroyed.headers.get("location")).toBe("/_satchel");
    expect(destroyed.headers.getSetCookie().some((line) => /^prefs=;.*max-age=0/i.test(line))).toBe(true);
    t.take(destroyed);
    expect(t.jar.get("prefs")).toBeUndefined();
  });
});
