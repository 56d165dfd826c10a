import { notFound, permanentRedirect, redirect } from "next/navigation";
import { describe, expect, it } from "vitest";
import { isNavigationSignal } from "./navigation.ts";

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
}

describe("isNavigationSignal", () => {
  it("recognises what Next's redirect(), permanentRedirect() and notFound() throw", () => {
    expect(isNavigationSignal(thrown(() => redirect("/somewhere")))).toBe(true);
    expect(isNavigationSignal(thrown(() => permanentRedirect("/elsewhere")))).toBe(true);
    expect(isNavigationSignal(thrown(() => notFound()))).toBe(true);
  });

  it("does not take ordinary errors or look-alikes for navigation", () => {
    expect(isNavigationSignal(new Error("NEXT_REDIRECT"))).toBe(false);
    expect(isNavigationSignal({ digest: "DYNAMIC_SERVER_USAGE" })).toBe(false);
    expect(isNavigationSignal({ digest: 42 })).toBe(false);
    expect(isNavigationSignal(null)).toBe(false);
    expect(isNavigationSignal("NEXT_REDIRECT;replace;/;307;")).toBe(false);
  });
});
