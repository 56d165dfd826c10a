import { describe, expect, it } from "vitest";
import { showValue, typeName } from "./describe-value.ts";

describe("typeName", () => {
  it("names primitives, revived classes and arrays by their element types", () => {
    expect(typeName("a")).toBe("string");
    expect(typeName(1)).toBe("number");
    expect(typeName(null)).toBe("null");
    expect(typeName(undefined)).toBe("undefined");
    expect(typeName(new Date(0))).toBe("Date");
    expect(typeName(new Map())).toBe("Map");
    expect(typeName(["a", "b"])).toBe("string[]");
    expect(typeName(["a", 1])).toBe("(string | number)[]");
    expect(typeName([])).toBe("array (empty)");
    expect(typeName([{ sku: "a" }])).toBe("object[]");
  });
});

describe("showValue", () => {
  it("renders values JSON does not know", () => {
    expect(showValue(undefined)).toBe("undefined");
    expect(showValue(10n)).toBe('"10n"');
    expect(showValue(new Set([1]))).toContain("‹Set›");
    expect(showValue(new Date(0))).toBe('"1970-01-01T00:00:00.000Z"');
    expect(showValue(["foo", "bar"])).toBe('[\n  "foo",\n  "bar"\n]');
  });
});
