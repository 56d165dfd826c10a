import { describe, expect, it } from "vitest";
import { closestKey } from "./suggest.ts";

describe("closestKey", () => {
  const keys = ["absolute", "idle", "touchAfter"];
  it("suggests the known key a typo is close to", () => {
    expect(closestKey("absolut", keys)).toBe("absolute");
    expect(closestKey("idel", keys)).toBe("idle");
    expect(closestKey("touchafter", keys)).toBe("touchAfter");
  });
  it("suggests nothing for a key unlike any known one", () => {
    expect(closestKey("colour", keys)).toBeUndefined();
    expect(closestKey("x", keys)).toBeUndefined();
  });
});
