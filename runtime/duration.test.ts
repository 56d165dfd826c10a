import { describe, expect, it } from "vitest";
import { parseDuration } from "./duration.ts";
import { SatchelConfigError } from "./errors.ts";

describe("parseDuration", () => {
  it("takes numbers as seconds", () => {
    expect(parseDuration(90, "x")).toBe(90);
    expect(parseDuration(0, "x")).toBe(0);
    expect(parseDuration(1.9, "x")).toBe(1);
  });

  it("reads s, m, h, d and w strings", () => {
    expect(parseDuration("90s", "x")).toBe(90);
    expect(parseDuration("5m", "x")).toBe(300);
    expect(parseDuration("2h", "x")).toBe(7200);
    expect(parseDuration("7d", "x")).toBe(604_800);
    expect(parseDuration("2w", "x")).toBe(1_209_600);
    expect(parseDuration("1.5h", "x")).toBe(5400);
  });

  it("rejects anything else with a config error naming where", () => {
    const where = 'session "auth" expiry.idle';
    for (const bad of ["7 days", "7", "d", "-5m", "5M", "5ms", "", "1e3s", "abc"]) {
      expect(() => parseDuration(bad, where), bad).toThrow(SatchelConfigError);
      expect(() => parseDuration(bad, where), bad).toThrow(/^satchel: session "auth" expiry\.idle .*"90s"/);
    }
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, null, undefined, {}, true]) {
      expect(() => parseDuration(bad, where), String(bad)).toThrow(/^satchel: session "auth" expiry\.idle/);
    }
  });
});
