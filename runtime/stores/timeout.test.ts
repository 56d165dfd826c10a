/**
 * One request's store calls share one timeout (`StoreBudget`): a call made when (almost) nothing is
 * left is never sent, so a write answered 503 cannot still be applied when the store resumes.
 */
import { describe, expect, it } from "vitest";
import { SessionStoreUnavailableError } from "../errors.ts";
import { guard, NoAnswerError } from "./timeout.ts";

const target = { kind: "redis", endpoint: "127.0.0.1:6379" };

describe("guard with a request's budget", () => {
  it.each([
    ["all of it used", 500],
    ["more than all of it used", 730],
    // A driver's own 500 ms timer fired a little before the request measured 500 ms (seen: the save
    // was then sent with "no answer within 0 ms" and applied after the store came back).
    ["all but a sliver used", 499.6],
  ])("%s: the call is refused at once and never sent", async (_what, spentMs) => {
    let sent = 0;
    const call = guard(
      target,
      "compareAndSet",
      500,
      async () => {
        sent++;
        return "applied";
      },
      { spentMs },
    );
    await expect(call).rejects.toBeInstanceOf(SessionStoreUnavailableError);
    await expect(call).rejects.toThrow(/the request's 500 ms for store calls is used up/);
    expect(sent).toBe(0);
  });

  it("a call with time left is sent, and its time is added to the budget", async () => {
    const budget = { spentMs: 100 };
    await expect(guard(target, "get", 500, async () => "value", budget)).resolves.toBe("value");
    expect(budget.spentMs).toBeGreaterThanOrEqual(100);
  });
});

describe("guard's own timeout", () => {
  const never = () => new Promise<string>(() => undefined);

  it("says 'no answer within' when the driver knows no reason", async () => {
    await expect(guard(target, "get", 20, never)).rejects.toThrow(/no answer within 20 ms/);
  });

  it("says the driver's reason when its connection is down (the store explains the silence)", async () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:6379"), { code: "ECONNREFUSED" });
    const down = {
      ...target,
      explain: (error: unknown) => (error instanceof NoAnswerError ? refused : error),
    };
    const call = guard(down, "get", 20, never);
    await expect(call).rejects.toBeInstanceOf(SessionStoreUnavailableError);
    await expect(call).rejects.toThrow(/connection refused at 127.0.0.1:6379/);
  });
});
