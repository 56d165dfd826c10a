/**
 * Session data with a key named `__proto__`, `constructor` or `prototype` (easy to get from
 * `JSON.parse` of a request body, or a record keyed by user input). superjson refuses to serialize
 * such keys anywhere in a value. A write must then fail with satchel's own error naming the key —
 * not superjson's bare `Error("Detected property constructor …")` escaping the adapter.
 *
 * Found by the property tests here: superjson's bare error used to escape the Fetch adapter; fixed in
 * codec/compress.ts (then codec.ts, f574f25), and this file keeps it fixed.
 */
import { describe, expect, it } from "vitest";
import { SatchelError } from "../errors.ts";
import { CookieClient, testSatchel } from "../test-support/harness.ts";
import { type FuzzTypes, fuzzConfig } from "./fuzz-schema.ts";

describe.each(["blob", "vault"] as const)("reserved keys in %s session data", (name) => {
  it.each(["__proto__", "constructor", "prototype"])(
    "a key named %s is refused with a satchel error that names it",
    async (key) => {
      const { satchel } = testSatchel<FuzzTypes>(fuzzConfig);
      const app = satchel.handle(async (_request, sessions) => {
        const session = await sessions.get(name);
        session.value = JSON.parse(`{"prefs":{"${key}":{"x":1}}}`);
        return new Response("ok");
      });
      const error = await new CookieClient(app).fetch("/").then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(SatchelError);
      expect((error as Error).message).toMatch(/^satchel:/);
      expect((error as Error).message).toContain(key);
      await satchel.close();
    },
  );
});
