/**
 * One cookie reading everywhere (issue 12): the same hostile `Cookie` header must mean the same thing
 * to every entry point of the Next adapter and to the Fetch adapter. Next's own `RequestCookies`
 * keeps the last of two same-named cookies and decodes differently; satchel reads the raw header
 * with its own parser (first value wins, RFC 6265 order), so a cookie planted by a sibling
 * subdomain after the real one cannot win in one place and lose in another.
 */
import { NextRequest } from "next/server";
import { describe, expect, it } from "vitest";
import type { SessionTypes } from "../../generated/sessions.ts";
import config from "../../sessions.schema.ts";
import { parseCookies } from "../cookies/header.ts";
import { testSatchel } from "../test-support/harness.ts";
import { createNextSessions } from "./create.ts";
import { fakeRequest, servingApi } from "./test-support/fake-request.ts";

const HOSTILE_HEADERS = [
  "s=first; s=second",
  "s=; s=second",
  's="quoted"; t="half; u=""',
  "a=%E0%A4%A; b=100%; c=ok%20x; d=%2",
  "flag; a=1; =nameless; b",
  "a=1;a=2;b=3",
  " a = 1 ; b\t=\t2 ;c= 3",
  "n=voil\u00c3\u00a0; m=x\u00a0",
  "e=; f=",
];

/** Every cookie name either parser could see in `header`. */
function namesIn(header: string): string[] {
  const names = new Set(parseCookies(header).keys());
  for (const pair of header.split(";")) names.add((pair.split("=")[0] ?? "").trim());
  names.delete("");
  return [...names].sort();
}

type Reading = Record<string, string | undefined>;
type Cookies = { get(name: string): string | undefined };
const read = (cookies: Cookies, names: string[]): Reading =>
  Object.fromEntries(names.map((name) => [name, cookies.get(name)]));

function setup() {
  const { satchel } = testSatchel<SessionTypes>(config);
  const seam = servingApi();
  const next = createNextSessions(satchel, { requestApi: seam.api, warn: () => {} });
  const serve = seam.serve;
  return { ...next, satchel, serve };
}

/** What each entry point reads from `header`, for `names`. */
async function readings(header: string, names: string[]): Promise<Record<string, Reading>> {
  const app = setup();
  const out: Record<string, Reading> = {};

  out.fetch = read(
    app.satchel.fromRequest(new Request("http://app.test/", { headers: { cookie: header } })).cookies,
    names,
  );

  const handler = app.withRouteSessions(async () => {
    out.routeHandler = read((await app.requestSessions()).cookies, names);
    return new Response("ok");
  });
  await handler(new NextRequest("http://app.test/", { headers: { cookie: header } }), {});

  app.serve(fakeRequest({ cookie: header }));
  await app.withActionSessions(async () => {
    out.serverAction = read((await app.requestSessions()).cookies, names);
  })();

  app.serve(fakeRequest({ cookie: header, readOnly: true }));
  out.serverComponent = read((await app.requestSessions()).cookies, names);

  app.serve(fakeRequest({ cookie: header }));
  out.unwrapped = read((await app.requestSessions()).cookies, names);

  const proxy = app.sessionProxy({
    proxy: async () => {
      out.proxy = read((await app.requestSessions()).cookies, names);
    },
  });
  await proxy(new NextRequest("http://app.test/", { headers: { cookie: header } }));
  return out;
}

describe("one cookie reading everywhere", () => {
  it.each(HOSTILE_HEADERS)(
    "%j reads the same in every entry point as in the Fetch adapter",
    async (header) => {
      const names = namesIn(header);
      const all = await readings(header, names);
      expect(Object.keys(all).sort()).toEqual(
        ["fetch", "proxy", "routeHandler", "serverAction", "serverComponent", "unwrapped"].sort(),
      );
      for (const [where, reading] of Object.entries(all)) expect(reading, where).toEqual(all.fetch);
      // And that is satchel's parser: first value wins.
      expect(all.fetch).toEqual(read(parseCookies(header), names));
    },
  );

  it("a session cookie planted after the real one loses in every entry point", async () => {
    const app = setup();
    const mint = async (userId: string) => {
      const sessions = app.satchel.fromRequest(new Request("http://app.test/"));
      (await sessions.get("auth")).userId = userId;
      await sessions.commit();
      const line = sessions.apply(new Response()).headers.get("set-cookie") ?? "";
      return line.split(";")[0] ?? "";
    };
    const header = `${await mint("victim")}; ${await mint("attacker")}`;
    const seen: Record<string, string | null> = {};
    seen.fetch = (
      await app.satchel
        .fromRequest(new Request("http://app.test/", { headers: { cookie: header } }))
        .get("auth")
    ).userId;
    await app.withRouteSessions(async () => {
      seen.routeHandler = (await app.getSession("auth")).userId;
      return new Response();
    })(new NextRequest("http://app.test/", { headers: { cookie: header } }), {});
    app.serve(fakeRequest({ cookie: header }));
    await app.withActionSessions(async () => {
      seen.serverAction = (await app.getSession("auth")).userId;
    })();
    app.serve(fakeRequest({ cookie: header, readOnly: true }));
    seen.serverComponent = (await app.getSession("auth")).userId;
    await app.sessionProxy({
      proxy: async () => {
        seen.proxy = (await app.getSession("auth")).userId;
      },
    })(new NextRequest("http://app.test/", { headers: { cookie: header } }));
    expect(seen).toEqual({
      fetch: "victim",
      routeHandler: "victim",
      serverAction: "victim",
      serverComponent: "victim",
      proxy: "victim",
    });
  });

  it("still sees a write made earlier in the same request (a server action's re-render)", async () => {
    const app = setup();
    const request = fakeRequest({ cookie: "s=first; s=second" });
    app.serve(request);
    await app.withActionSessions(async () => {
      (await app.requestSessions()).cookies.set("s", "written");
      expect((await app.requestSessions()).cookies.get("s")).toBe("written");
    })();
    // Next re-renders with its cookies() showing the action's write; the header still says first/second.
    request.store.set("s", "rewritten-by-next", {});
    app.serve({ ...request, store: request.store });
    expect((await app.requestSessions()).cookies.get("s")).toBe("rewritten-by-next");
  });
});
