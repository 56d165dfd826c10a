import { describe, expect, it } from "vitest";
import { decodeHandoff, emptyHandoff, encodeHandoff, type HandoffSigner } from "./handoff.ts";

/** A signer over a key; the real one (satchel's signed-cookie helper) is exercised in create.test.ts. */
function signer(key: string): HandoffSigner {
  return {
    sign: async (value) => `${value}~${key}`,
    verify: async (signed) => {
      const at = signed.lastIndexOf("~");
      return at > 0 && signed.slice(at + 1) === key ? signed.slice(0, at) : undefined;
    },
  };
}

const NOW = Date.UTC(2026, 5, 1);

describe("flash hand-off header", () => {
  it("carries typed values (Dates included) from the proxy to the render", async () => {
    const at = new Date(NOW - 1000);
    const header = await encodeHandoff(
      { flash: { auth: { notice: ["hello", "again"], error: [{ message: "x", at }] } }, messages: {} },
      signer("k"),
      NOW,
    );
    expect(header).not.toBeNull();
    const { flash, messages } = await decodeHandoff(header, signer("k"), NOW + 50);
    expect(flash).toEqual({ auth: { notice: ["hello", "again"], error: [{ message: "x", at }] } });
    expect(messages).toEqual({});
    const [first] = flash.auth?.error ?? [];
    expect((first as { at: Date }).at).toBeInstanceOf(Date);
  });

  it("carries leveled messages, alone or next to flash", async () => {
    const messages = {
      cart: [
        { level: "success", body: "Added apple" },
        { level: "error", body: "x", title: "T" },
      ],
    };
    const header = await encodeHandoff({ flash: {}, messages }, signer("k"), NOW);
    expect(await decodeHandoff(header, signer("k"), NOW)).toEqual({ flash: {}, messages });
    const both = await encodeHandoff({ flash: { auth: { notice: ["hi"] } }, messages }, signer("k"), NOW);
    expect(await decodeHandoff(both, signer("k"), NOW)).toEqual({
      flash: { auth: { notice: ["hi"] } },
      messages,
    });
  });

  it("is nothing when there is no flash and no message", async () => {
    expect(await encodeHandoff(emptyHandoff(), signer("k"), NOW)).toBeNull();
  });

  it("yields no flash for forged, foreign-key, stale or garbage headers", async () => {
    const header = (await encodeHandoff(
      { flash: { auth: { notice: ["hi"] } }, messages: { cart: [{ level: "info", body: "m" }] } },
      signer("k"),
      NOW,
    )) as string;
    const forged = header.replace(/^./, (c) => (c === "e" ? "f" : "e"));
    expect(await decodeHandoff(forged, signer("k"), NOW)).toEqual(emptyHandoff());
    expect(await decodeHandoff(header, signer("other"), NOW)).toEqual(emptyHandoff());
    expect(await decodeHandoff(header, signer("k"), NOW + 10 * 60_000)).toEqual(emptyHandoff());
    for (const garbage of ["", "~k", "!!!~k", "x".repeat(40_000), "e30~k"]) {
      expect(await decodeHandoff(garbage, signer("k"), NOW)).toEqual(emptyHandoff());
    }
    expect(await decodeHandoff(null, signer("k"), NOW)).toEqual(emptyHandoff());
  });
});
