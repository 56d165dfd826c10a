import { describe, expect, it } from "vitest";
import { createSealer } from "../crypto/seal.ts";
import { SECRET_A, SECRET_B } from "../test-support/harness.ts";
import { decodeHandoff, emptyHandoff, encodeHandoff, type HandoffSealer, handoffSealer } from "./handoff.ts";

/** The real hand-off sealer over a secret; the adapter-level attacks are in handoff-attacks.test.ts. */
function sealer(secret: string): HandoffSealer {
  const sealing = createSealer([secret]);
  return handoffSealer(async () => sealing);
}

const NOW = Date.UTC(2026, 5, 1);
const COOKIE = "auth=token";

describe("flash hand-off header", () => {
  it("carries typed values (Dates included) from the proxy to the render", async () => {
    const at = new Date(NOW - 1000);
    const header = await encodeHandoff(
      { flash: { auth: { notice: ["hello", "again"], error: [{ message: "x", at }] } }, messages: {} },
      COOKIE,
      sealer(SECRET_A),
      NOW,
    );
    expect(header).not.toBeNull();
    const { flash, messages } = await decodeHandoff(header, COOKIE, sealer(SECRET_A), NOW + 50);
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
    const s = sealer(SECRET_A);
    const header = await encodeHandoff({ flash: {}, messages }, null, s, NOW);
    expect(await decodeHandoff(header, null, s, NOW)).toEqual({ flash: {}, messages });
    const both = await encodeHandoff({ flash: { auth: { notice: ["hi"] } }, messages }, COOKIE, s, NOW);
    expect(await decodeHandoff(both, COOKIE, s, NOW)).toEqual({
      flash: { auth: { notice: ["hi"] } },
      messages,
    });
  });

  it("is nothing when there is no flash and no message", async () => {
    expect(await encodeHandoff(emptyHandoff(), COOKIE, sealer(SECRET_A), NOW)).toBeNull();
  });

  it("yields no flash for forged, foreign-key, rebound, stale, future or garbage headers", async () => {
    const s = sealer(SECRET_A);
    const header = (await encodeHandoff(
      { flash: { auth: { notice: ["hi"] } }, messages: { cart: [{ level: "info", body: "m" }] } },
      COOKIE,
      s,
      NOW,
    )) as string;
    const forged = header.replace(/.$/, (c) => (c === "A" ? "B" : "A"));
    expect(await decodeHandoff(forged, COOKIE, s, NOW)).toEqual(emptyHandoff());
    expect(await decodeHandoff(header, COOKIE, sealer(SECRET_B), NOW)).toEqual(emptyHandoff());
    expect(await decodeHandoff(header, "auth=other", s, NOW)).toEqual(emptyHandoff());
    expect(await decodeHandoff(header, null, s, NOW)).toEqual(emptyHandoff());
    expect(await decodeHandoff(header, COOKIE, s, NOW + 5_001)).toEqual(emptyHandoff());
    expect(await decodeHandoff(header, COOKIE, s, NOW - 1)).toEqual(emptyHandoff());
    expect(await decodeHandoff(header, COOKIE, s, NOW + 5_000)).not.toEqual(emptyHandoff());
    for (const garbage of ["", "~k", "!!!~k", "x".repeat(40_000), "e30"]) {
      expect(await decodeHandoff(garbage, COOKIE, s, NOW)).toEqual(emptyHandoff());
    }
    expect(await decodeHandoff(null, COOKIE, s, NOW)).toEqual(emptyHandoff());
  });
});
