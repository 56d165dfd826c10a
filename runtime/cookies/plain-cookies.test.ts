import { describe, expect, it } from "vitest";
import { CookieClient, SECRET_A, SECRET_B, testSatchel } from "../test-support/harness.ts";
import { type TestTypes, testConfig } from "../test-support/schema.ts";

function signedApp(secrets: string[]) {
  const { satchel } = testSatchel<TestTypes>(testConfig, { secrets });
  return satchel.handle(async (req, sessions) => {
    if (req.method === "POST") await sessions.cookies.setSigned("plan", "pro");
    return Response.json({ plan: (await sessions.cookies.getSigned("plan")) ?? null });
  });
}

describe("signed plain cookies", () => {
  it("are readable, and read back only while untampered", async () => {
    const client = new CookieClient(signedApp([SECRET_A]));
    await client.fetch("/", { method: "POST" });
    const raw = client.cookies.get("plan") as string;
    expect(decodeURIComponent(raw).startsWith("pro.")).toBe(true);
    expect(await (await client.fetch("/")).json()).toEqual({ plan: "pro" });
    client.cookies.set("plan", raw.replace(/^pro/, "max"));
    expect(await (await client.fetch("/")).json()).toEqual({ plan: null });
  });

  it("cannot be moved to another cookie name", async () => {
    const client = new CookieClient(signedApp([SECRET_A]));
    await client.fetch("/", { method: "POST" });
    const { satchel } = testSatchel<TestTypes>(testConfig);
    const sessions = satchel.fromRequest(
      new Request("http://x/", { headers: { cookie: `tier=${client.cookies.get("plan")}` } }),
    );
    expect(await sessions.cookies.getSigned("tier")).toBeUndefined();
  });

  it("sign with the first secret and verify with all of them (rotation)", async () => {
    const old = new CookieClient(signedApp([SECRET_B]));
    await old.fetch("/", { method: "POST" });
    const rotated = new CookieClient(signedApp([SECRET_A, SECRET_B]));
    rotated.cookies.set("plan", old.cookies.get("plan") as string);
    expect(await (await rotated.fetch("/")).json()).toEqual({ plan: "pro" });
    const dropped = new CookieClient(signedApp([SECRET_A]));
    dropped.cookies.set("plan", old.cookies.get("plan") as string);
    expect(await (await dropped.fetch("/")).json()).toEqual({ plan: null });
  });
});
