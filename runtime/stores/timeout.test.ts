/**
 * One request's store calls share one timeout (`StoreBudget`): a call made when (almost) nothing is
 * left is never sent, so a write answered 503 cannot still be applied when the store resumes.
 */
import { once } from "node:events";
import { connect, createServer, type Socket } from "node:net";
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { SessionStoreUnavailableError } from "../errors.ts";
import { stallAfterIo } from "./test-support/stall.ts";
import { DeadlineWatch, guard, NoAnswerError } from "./timeout.ts";
import type { StoreBudget } from "./types.ts";

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

describe("DeadlineWatch (one timer for many calls)", () => {
  /** `work()` under `watch`, its promise settling the watched call. */
  const run = <T>(watch: DeadlineWatch, operation: string, work: () => Promise<T>, budget?: StoreBudget) =>
    watch.watch<T>(
      operation,
      (call) =>
        void work().then(
          (value) => call.succeed(value),
          (error: unknown) => call.fail(error),
        ),
      budget,
    );
  const never = () => new Promise<string>(() => undefined);
  const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:6379"), { code: "ECONNREFUSED" });

  it("a call with no answer fails as guard's does; one answered resolves, its time in the budget", async () => {
    const watch = new DeadlineWatch(target, 20);
    const budget = { spentMs: 0 };
    await expect(run(watch, "get", async () => "value", budget)).resolves.toBe("value");
    expect(budget.spentMs).toBeGreaterThan(0);
    const silent = run(watch, "get", never, budget);
    await expect(silent).rejects.toBeInstanceOf(SessionStoreUnavailableError);
    await expect(silent).rejects.toThrow(
      /"redis" at 127.0.0.1:6379 is unavailable during get \(no answer within 20 ms\)/,
    );
    expect(budget.spentMs).toBeGreaterThanOrEqual(20);
  });

  it("a driver's rejection is mapped to the typed error with its reason; silence is explained by the store", async () => {
    const watch = new DeadlineWatch(target, 20);
    const failed = run(watch, "compareAndSet", () => Promise.reject(refused));
    await expect(failed).rejects.toThrow(
      /unavailable during compareAndSet \(connection refused at 127.0.0.1:6379\)/,
    );
    const down = new DeadlineWatch(
      { ...target, explain: (e: unknown) => (e instanceof NoAnswerError ? refused : e) },
      20,
    );
    await expect(run(down, "get", never)).rejects.toThrow(/connection refused at 127.0.0.1:6379/);
  });

  it("calls in flight together: each silent one fails, each answered one resolves, in any order", async () => {
    const watch = new DeadlineWatch(target, 30);
    let answer: (value: string) => void = () => undefined;
    const late = new Promise<string>((resolve) => {
      answer = resolve;
    });
    const calls = [
      run(watch, "get", never),
      run(watch, "get", () => late),
      run(watch, "get", async () => "at once"),
      run(watch, "get", never),
    ];
    answer("answered before its deadline");
    const outcomes = await Promise.allSettled(calls);
    expect(outcomes.map((outcome) => outcome.status)).toEqual([
      "rejected",
      "fulfilled",
      "fulfilled",
      "rejected",
    ]);
    expect(outcomes[1]).toEqual({ status: "fulfilled", value: "answered before its deadline" });
    // The watch keeps working after its queue emptied.
    await expect(run(watch, "get", never)).rejects.toThrow(/no answer within 30 ms/);
    await expect(run(watch, "get", async () => "again")).resolves.toBe("again");
  });

  it("a watched call settles once: by its work's callbacks (answer or mapped error) or, silent, by the watch", async () => {
    const watch = new DeadlineWatch(target, 20);
    const budget = { spentMs: 0 };
    const answered = watch.watch<string>(
      "get",
      (call) => {
        call.succeed("value");
        call.fail(refused);
      },
      budget,
    );
    await expect(answered).resolves.toBe("value");
    expect(budget.spentMs).toBeGreaterThan(0);
    const failed = watch.watch<string>("compareAndSet", (call) => call.fail(refused));
    await expect(failed).rejects.toThrow(
      /unavailable during compareAndSet \(connection refused at 127.0.0.1:6379\)/,
    );
    const thrown = watch.watch<string>("get", () => {
      throw refused;
    });
    await expect(thrown).rejects.toThrow(/unavailable during get \(connection refused at 127.0.0.1:6379\)/);
    let late: ((value: string) => void) | undefined;
    const silent = watch.watch<string>("get", (call) => {
      late = (value) => call.succeed(value);
    });
    await expect(silent).rejects.toThrow(/no answer within 20 ms/);
    late?.("too late");
    await expect(silent).rejects.toBeInstanceOf(SessionStoreUnavailableError);
  });

  it("under load that never lets it empty, it holds only the calls still waiting, not every call made", async () => {
    // A busy server always has a call in flight: each new call starts before the previous one is
    // answered. Answered calls must be let go, or a long-running process's memory grows per request.
    const watch = new DeadlineWatch(target, 60_000);
    let answerPrevious: () => void = () => undefined;
    for (let i = 0; i < 5_000; i++) {
      let answer: () => void = () => undefined;
      void run(watch, "get", () => new Promise<void>((resolve) => (answer = resolve)));
      answerPrevious();
      answerPrevious = answer;
      await new Promise((settled) => setImmediate(settled));
    }
    expect(watch.holding).toBeLessThan(600);
    answerPrevious();
  });
});

/**
 * A TCP server on its own thread, so it answers while this thread is blocked: every "ping" gets a
 * "pong", and `answered` counts the pongs handed to the network.
 */
async function pongServer(): Promise<{ port: number; answered: Int32Array; close(): Promise<number> }> {
  const answered = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(
    `const { parentPort, workerData: answered } = require("node:worker_threads");
    const server = require("node:net").createServer((socket) =>
      socket.on("data", () => socket.write("pong", () => Atomics.add(answered, 0, 1))),
    );
    server.listen(0, "127.0.0.1", () => parentPort.postMessage(server.address().port));`,
    { eval: true, workerData: answered },
  );
  const [port] = (await once(worker, "message")) as [number];
  return { port, answered, close: () => worker.terminate() };
}

/** A port on 127.0.0.1 nobody listens on: connecting to it is refused. */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  await new Promise((closed) => server.close(closed));
  return port;
}

/** The call's value, or the error it failed with. */
const outcome = <T>(call: Promise<T>): Promise<T | unknown> => call.catch((error: unknown) => error);

describe("a deadline that passed while the event loop was blocked", () => {
  const TIMEOUT_MS = 40;
  /** The two ways a store bounds a call: `guard`'s own timer, or a `DeadlineWatch` shared by calls. */
  const bounded: [string, <T>(work: () => Promise<T>) => Promise<T>][] = [
    ["guard", (work) => guard(target, "get", TIMEOUT_MS, work)],
    [
      "DeadlineWatch",
      (work) => {
        const watch = new DeadlineWatch(target, TIMEOUT_MS);
        return watch.watch("get", (call) => {
          work().then(
            (value) => call.succeed(value),
            (error: unknown) => call.fail(error),
          );
        });
      },
    ],
  ];

  it.each(bounded)("%s: an answer that arrived in time wins, not 'no answer'", async (_how, bound) => {
    const server = await pongServer();
    const socket: Socket = connect(server.port, "127.0.0.1");
    try {
      await once(socket, "connect");
      const started = performance.now();
      // Settled during the stall or after it: its outcome is taken at once, so it is never unhandled.
      const reply = outcome(bound(() => once(socket, "data").then(([data]) => String(data))));
      socket.write("ping");
      // The pong is sent and the deadline passed while this thread was blocked.
      await stallAfterIo(
        () => Atomics.load(server.answered, 0) > 0 && performance.now() - started > 2 * TIMEOUT_MS,
      );
      expect(await reply).toBe("pong");
    } finally {
      socket.destroy();
      await server.close();
    }
  });

  it.each(bounded)("%s: a connection refused meanwhile is the reason given", async (_how, bound) => {
    const port = await closedPort();
    const started = performance.now();
    let socket: Socket | undefined;
    const call = outcome(
      bound(
        () =>
          new Promise<never>((_answered, refused) => {
            socket = connect(port, "127.0.0.1").on("error", refused);
          }),
      ),
    );
    await stallAfterIo(() => performance.now() - started > 2 * TIMEOUT_MS);
    const error = await call;
    expect(error).toBeInstanceOf(SessionStoreUnavailableError);
    expect(String(error)).toContain(`connection refused at 127.0.0.1:${port}`);
    socket?.destroy();
  });
});
