/**
 * Skipping zod must never change what is accepted (issue 22, item 1). Two builds of one app share a
 * secret; the second narrows what it accepts without changing the layout. Whatever build 1 sealed,
 * build 2 reads it exactly as zod under build 2's schema would: formats 2 and 3, with an up-to-date
 * generated codec and with one `npm run gen` did not refresh.
 */
import { isDeepStrictEqual } from "node:util";
import { afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { constraintsOf } from "./codec/checks.ts";
import { unpackFromCookie } from "./codec/compress.ts";
import { checksHash as generatedChecks } from "./codec/fingerprint.ts";
import { type GeneratedCodec, layoutHash, type Plan, planOf, positionalKey } from "./codec/plan.ts";
import { planCodec } from "./codec/plan-interpreter.ts";
import { createSealer } from "./crypto/seal.ts";
import { defineSessions } from "./define.ts";
import { CookieClient, SECRET_A, testClock, testSatchel } from "./test-support/harness.ts";
import type { SessionHandle } from "./types.ts";

type Types = { auth: SessionHandle<{ role: string; note: string }> };

/**
 * What `npm run gen` emits for a schema, built on the plan interpreter (the generated codecs'
 * reference); its `check` keeps the generated check's contract (true: zod accepts the data and
 * returns it unchanged), and like gen it has none when the schema runs the app's functions.
 * `key`: with the key gen emits since format 4 (without: a module from before, format 3);
 * `history`: earlier plans by the hashes tokens carry, as a later gen emits them.
 */
function generatedFor(
  schema: z.ZodType,
  { key = false, history = {} }: { key?: boolean; history?: Record<string, Plan> } = {},
): GeneratedCodec {
  const plan = planOf(schema);
  const codec = planCodec(plan);
  // A twin, so that a spy on the session's schema sees only the runtime's own zod calls.
  const twin = schema.clone();
  const check = (data: unknown) => {
    const parsed = twin.safeParse(data);
    return parsed.success && isDeepStrictEqual(parsed.data, data);
  };
  const layout = layoutHash(plan);
  return {
    layout,
    checks: generatedChecks(schema),
    ...(key ? { key: positionalKey(layout, generatedChecks(schema)) } : {}),
    version: 1,
    encode: codec.encode,
    decode: codec.decode,
    history,
    ...(constraintsOf(schema) === undefined ? {} : { check }),
  };
}

/** A build: its schema closes over `allowed` (read from config or `process.env` in a real app). */
function build(allowed: ReadonlySet<string>, maxNote: number) {
  return z.object({
    role: z.string().refine((r) => allowed.has(r), "role not allowed"),
    note: z.string().max(maxNote).default(""),
  });
}

/** One deploy: a satchel over `schema`, with `codec` as its generated module (none: format 2). */
function deploy(schema: z.ZodObject, codec: GeneratedCodec | undefined, clock = testClock()) {
  const config = defineSessions({ auth: { storage: "cookie", schema } });
  const setup = testSatchel<Types>(config, { clock, ...(codec ? { codecs: { auth: codec } } : {}) });
  const app = setup.satchel.handle(async (req, sessions) => {
    const auth = await sessions.get("auth");
    const params = new URL(req.url).searchParams;
    const role = params.get("role");
    if (role !== null) auth.role = role;
    const note = params.get("note");
    if (note !== null) auth.note = note;
    return Response.json({ ...auth.toJSON(), isNew: auth.$isNew });
  });
  return { ...setup, app };
}

/** Build 1 signs a visitor in as `role`; the visitor then brings that cookie to build 2. */
async function carry(
  from: ReturnType<typeof deploy>,
  to: ReturnType<typeof deploy>,
  query: string,
): Promise<{ body: Record<string, unknown>; client: CookieClient }> {
  const client = new CookieClient(from.app);
  await client.fetch(`/?${query}`);
  expect(client.cookies.has("auth")).toBe(true);
  const next = new CookieClient(to.app);
  for (const [name, value] of client.cookies) next.cookies.set(name, value);
  const body = (await (await next.fetch("/")).json()) as Record<string, unknown>;
  return { body, client: next };
}

afterEach(() => vi.restoreAllMocks());

describe("a refinement that closes over configuration", () => {
  const v1 = build(new Set(["admin", "member"]), 100);
  const v2 = build(new Set(["member"]), 100);

  it("both builds fingerprint the same: only the function's source is hashed", () => {
    expect(generatedFor(v1).checks).toBe(generatedFor(v2).checks);
  });

  it.each([
    ["format 2 (no generated codec)", undefined, undefined],
    ["format 3 (the same generated module in both builds)", generatedFor(v1), generatedFor(v2)],
  ])("build 2 refuses build 1's admin cookie: %s", async (_name, codec1, codec2) => {
    const clock = testClock();
    const one = deploy(v1, codec1, clock);
    const two = deploy(v2, codec2, clock);
    const { body } = await carry(one, two, "role=admin");
    expect(body).toMatchObject({ isNew: true });
    expect(body.role).toBeUndefined();
    expect(two.reports).toEqual([
      { reason: "schema-mismatch", session: "auth", detail: expect.stringContaining("role not allowed") },
    ]);
    // Its own members still read back.
    const member = await carry(one, two, "role=member");
    expect(member.body).toMatchObject({ role: "member", isNew: false });
  });

  it("runs the refinement on every read, also of the build's own cookies", async () => {
    const allowed = new Set(["admin", "member"]);
    const schema = build(allowed, 100);
    const app = deploy(schema, generatedFor(schema));
    const client = new CookieClient(app.app);
    await client.fetch("/?role=admin");
    expect(await (await client.fetch("/")).json()).toMatchObject({ role: "admin", isNew: false });
    allowed.delete("admin"); // configuration changed under a running process
    expect(await (await client.fetch("/")).json()).toMatchObject({ isNew: true });
    expect(app.reports).toEqual([expect.objectContaining({ reason: "schema-mismatch" })]);
  });
});

describe("a plain check tightened without running gen", () => {
  const plain = (max: number) => z.object({ role: z.string(), note: z.string().max(max).default("") });
  const old = plain(100);
  const tightened = plain(10);
  const long = "x".repeat(50);

  it("keeps the layout: the stale generated codec is still in use", () => {
    expect(generatedFor(tightened).layout).toBe(generatedFor(old).layout);
  });

  it.each([
    ["format 2", undefined],
    ["format 3", generatedFor(old)],
  ])("build 2 refuses an old value the new max(10) does not allow: %s", async (_name, codec) => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const clock = testClock();
    const one = deploy(old, codec, clock);
    // Build 2 runs the tightened schema with the module gen wrote for the old one.
    const two = deploy(tightened, codec, clock);
    const { body } = await carry(one, two, `role=member&note=${long}`);
    expect(body).toMatchObject({ isNew: true });
    expect(two.reports).toEqual([
      { reason: "schema-mismatch", session: "auth", detail: expect.stringMatching(/^note: /) },
    ]);
    // A short note from build 1 still reads back.
    expect((await carry(one, two, "role=member&note=hi")).body).toMatchObject({ note: "hi", isNew: false });
    if (codec !== undefined) {
      // Said once (development): the generated codec's checks are not the schema's.
      const said = warn.mock.calls.filter(([m]) => String(m).includes('"auth"'));
      expect(said).toEqual([[expect.stringMatching(/checks .*npm run gen.*zod/)]]);
    }
  });

  const oldKey = positionalKey(layoutHash(planOf(old)), generatedChecks(old));
  it.each([
    ["build 2 on the module gen wrote for build 1 (it writes format 3)", generatedFor(old, { key: true })],
    [
      "build 2 regenerated (build 1's key in its history)",
      generatedFor(tightened, { key: true, history: { [oldKey]: planOf(old) } }),
    ],
  ])("build 2 refuses an old value the new max(10) does not allow: format 4, %s", async (_name, codec) => {
    vi.spyOn(console, "warn").mockImplementation(() => {});
    const clock = testClock();
    const one = deploy(old, generatedFor(old, { key: true }), clock);
    const two = deploy(tightened, codec, clock);
    // Build 1 writes format 4: one key for its layout and checks.
    const writer = new CookieClient(one.app);
    await writer.fetch("/?role=member&note=hi");
    const opened = await createSealer([SECRET_A]).unseal(
      "auth",
      writer.cookies.get("auth") ?? "",
      clock.now(),
    );
    if (!opened.ok) throw new Error(opened.reason);
    expect(await unpackFromCookie(opened.plaintext)).toMatch(`[4,1,${JSON.stringify(oldKey)},`);
    const { body } = await carry(one, two, `role=member&note=${long}`);
    expect(body).toMatchObject({ isNew: true });
    expect(two.reports).toEqual([
      { reason: "schema-mismatch", session: "auth", detail: expect.stringMatching(/^note: /) },
    ]);
    // A short note from build 1 still reads back, through zod (the key is not build 2's).
    const parse = vi.spyOn(tightened, "safeParse");
    expect((await carry(one, two, "role=member&note=hi")).body).toMatchObject({ note: "hi", isNew: false });
    expect(parse).toHaveBeenCalled();
  });

  it("build 2 refuses to write the old value: the stale codec's check (max 100) is not used", async () => {
    vi.spyOn(console, "warn").mockImplementation(() => {});
    const two = deploy(tightened, generatedFor(old));
    const client = new CookieClient(two.app);
    await expect(client.fetch(`/?role=member&note=${long}`)).rejects.toThrow(/field "note" is invalid/);
    expect(client.cookies.has("auth")).toBe(false);
  });

  it("cookies build 2 writes itself are trusted again (no zod on read)", async () => {
    vi.spyOn(console, "warn").mockImplementation(() => {});
    const two = deploy(tightened, generatedFor(old));
    const client = new CookieClient(two.app);
    await client.fetch("/?role=member&note=short");
    const parse = vi.spyOn(tightened, "safeParse");
    expect(await (await client.fetch("/")).json()).toMatchObject({ note: "short", isNew: false });
    expect(parse).not.toHaveBeenCalled();
  });
});

describe("the generated check on write (issue 23, item 3)", () => {
  const schema = z.object({ role: z.string().min(1), note: z.string().max(10).default("") });

  it("replaces zod when the data passes it; zod still words the refusal of data that does not", async () => {
    const app = deploy(schema, generatedFor(schema));
    const client = new CookieClient(app.app);
    const parse = vi.spyOn(schema, "safeParse");
    await client.fetch("/?role=member&note=hi");
    expect(client.cookies.has("auth")).toBe(true);
    const writes = parse.mock.calls.length;
    await client.fetch("/?note=again");
    expect(parse.mock.calls.length).toBe(writes);
    await expect(client.fetch("/?note=far-too-long-for-ten")).rejects.toThrow(
      /session "auth" field "note" is invalid: Too big/,
    );
    expect(await (await client.fetch("/")).json()).toMatchObject({ role: "member", note: "again" });
  });

  it("keeps zod on write for a schema that runs the app's functions", async () => {
    const allowed = new Set(["member"]);
    const refined = build(allowed, 10);
    expect(generatedFor(refined).check).toBeUndefined();
    const app = deploy(refined, generatedFor(refined));
    const client = new CookieClient(app.app);
    await expect(client.fetch("/?role=admin")).rejects.toThrow(/role not allowed/);
  });
});
