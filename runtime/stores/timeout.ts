/**
 * One place that turns "the backend is down, slow or broken" into the single typed error apps map to
 * HTTP 503. Every network store runs each operation through `guard`, so a hung socket can never hang
 * a request and a driver's rejection can never escape as an unhandled rejection.
 */
import { SatchelConfigError, SatchelError, SessionStoreUnavailableError } from "../errors.ts";
import { configurationProblem, outageReason } from "./redact.ts";
import type { StoreBudget } from "./types.ts";

/**
 * The clock of budgets and deadlines, looked up once: Node's global `performance` is a getter on the
 * global object, which every `performance.now()` called (~200 instructions; two per store call).
 */
const clock = globalThis.performance;

/** The store an error is about: its kind (`"redis"`) and, when known, where it lives (no password). */
export interface StoreTarget {
  readonly kind: string;
  readonly endpoint?: string | undefined;
  /**
   * The error that explains a driver's failure, when the driver reports a consequence instead (ioredis
   * rejects queued commands with "max retries per request" when the real news is "connection refused";
   * `guard`'s own timeout arrives as a `NoAnswerError`).
   */
  readonly explain?: ((error: unknown) => unknown) | undefined;
}

/** What `guard` tells `StoreTarget.explain` when a call got no answer in time. */
export class NoAnswerError extends Error {
  override readonly name = "NoAnswerError";
}

/** Default per-operation budget for network stores (ms). */
const DEFAULT_TIMEOUT_MS = 2000;

/**
 * Run `work` with a deadline. Resolves with its result; rejects with `SessionStoreUnavailableError`
 * when it fails or takes longer than `timeoutMs` — or, with a request's `budget`, than what is left
 * of `timeoutMs` after the request's earlier calls (1% or less left: rejects at once, `work` never runs).
 * A late result or rejection of the abandoned work is swallowed on purpose: the caller has already
 * been told the store was unavailable.
 */
export function guard<T>(
  target: StoreTarget,
  operation: string,
  timeoutMs: number,
  work: () => Promise<T>,
  budget?: StoreBudget,
): Promise<T> {
  const allowed = budget === undefined ? timeoutMs : timeoutMs - budget.spentMs;
  // A sliver left (a driver's own timer fires a little before ours measures timeoutMs) is no time
  // for a store call: sent anyway, a write would go out and could still be applied after the 503.
  if (allowed <= timeoutMs / 100) return Promise.reject(budgetSpent(target, operation, timeoutMs));
  const started = budget === undefined ? 0 : clock.now();
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const settle = () => {
      settled = true;
      if (budget !== undefined) budget.spentMs += clock.now() - started;
    };
    const timer = afterDeadline(allowed, () => {
      if (settled) return;
      settle();
      reject(noAnswer(target, operation, allowed));
    });
    let running: Promise<T>;
    try {
      running = work();
    } catch (error) {
      running = Promise.reject(error);
    }
    running.then(
      (value) => {
        if (settled) return;
        settle();
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        if (settled) return;
        settle();
        clearTimeout(timer);
        reject(asUnavailable(target, operation, error));
      },
    );
  });
}

/**
 * Calls `expire` `ms` from now, once the event loop has read the I/O that arrived by then. Node runs
 * due timers before it polls for I/O, so after the loop was blocked past a deadline (a long
 * synchronous task, a GC pause, a starved CPU) a plain timer would fail a call whose answer, or
 * whose connection's refusal, is already waiting to be read: a 503 saying "no answer" for a store
 * that answered. `setImmediate` runs right after that poll.
 */
function afterDeadline(ms: number, expire: () => void): ReturnType<typeof setTimeout> {
  return setTimeout(() => setImmediate(expire), ms);
}

/** The error of a call that got no answer within `allowed` ms. */
function noAnswer(target: StoreTarget, operation: string, allowed: number): Error {
  const silence = new NoAnswerError(
    `no answer from the ${target.kind} store within ${Math.round(allowed)} ms`,
  );
  // A driver that knows why (its connection is down) explains the silence as its outage.
  if (target.explain !== undefined && target.explain(silence) !== silence)
    return asUnavailable(target, operation, silence);
  return new SessionStoreUnavailableError(target.kind, operation, {
    cause: silence,
    endpoint: target.endpoint,
    reason: `no answer within ${Math.round(allowed)} ms`,
  });
}

/**
 * A call `DeadlineWatch` keeps an eye on: its caller settles it with `succeed` or `fail`, the watch
 * with `expire`, and the first of them decides the call's promise. A class, not closures: one object
 * per call holds what its outcome needs. Its promise's resolvers are dropped once it settled, so its
 * result is not kept.
 */
export class WatchedCall<T> {
  resolve: ((value: T) => void) | undefined;
  reject: ((error: unknown) => void) | undefined;
  constructor(
    readonly target: StoreTarget,
    readonly operation: string,
    readonly started: number,
    readonly deadline: number,
    private readonly budget: StoreBudget | undefined,
  ) {}

  get settled(): boolean {
    return this.reject === undefined;
  }

  succeed(value: T): void {
    const resolve = this.resolve;
    if (resolve !== undefined && this.finish()) resolve(value);
  }

  /** The driver's rejection, mapped as `guard` maps it. */
  fail(error: unknown): void {
    const reject = this.reject;
    if (reject !== undefined && this.finish()) reject(asUnavailable(this.target, this.operation, error));
  }

  /** No answer by the deadline. */
  expire(timeoutMs: number): void {
    const reject = this.reject;
    if (reject !== undefined && this.finish()) reject(noAnswer(this.target, this.operation, timeoutMs));
  }

  /** Ends the call (true the first time only) and counts its time in the budget. */
  private finish(): boolean {
    if (this.reject === undefined) return false;
    this.resolve = undefined;
    this.reject = undefined;
    if (this.budget !== undefined) this.budget.spentMs += clock.now() - this.started;
    return true;
  }
}

/** How many answered calls a `DeadlineWatch` may keep at the front of its queue before it lets them go. */
const COMPACT_FROM = 256;

/**
 * `guard` for calls that all get the whole `timeoutMs`, with one timer for all of them instead of
 * one per call: setting and clearing a timer per call (as `guard`, or a driver's own command timeout,
 * does) was ~3% of a Redis read + write's instructions. Calls start in deadline order, so they wait
 * in a queue: the timer fires at the oldest unsettled call's deadline, fails every call past its own
 * (with `guard`'s error), and is set again for the next one; with no call waiting it is not set again.
 */
export class DeadlineWatch {
  private readonly queue: WatchedCall<unknown>[] = [];
  /** Index of the oldest entry not yet dropped. */
  private head = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly target: StoreTarget,
    private readonly timeoutMs: number,
  ) {}

  /**
   * The call `begin` starts, failed as `guard` fails it when it does not settle within `timeoutMs`;
   * its time is added to `budget`. `begin` settles the call by callback (a throw fails it): no promise
   * step from the work's own promise to the call's.
   */
  watch<T>(operation: string, begin: (call: WatchedCall<T>) => void, budget?: StoreBudget): Promise<T> {
    const started = clock.now();
    const call = new WatchedCall<T>(this.target, operation, started, started + this.timeoutMs, budget);
    const promise = new Promise<T>((resolve, reject) => {
      call.resolve = resolve;
      call.reject = reject;
    });
    try {
      begin(call);
    } catch (error) {
      call.fail(error);
    }
    this.enqueue(call as WatchedCall<unknown>);
    return promise;
  }

  /** Queues `call`, dropping the settled calls in front (calls made one at a time keep one entry). */
  private enqueue(call: WatchedCall<unknown>): void {
    const queue = this.queue;
    while (this.head < queue.length && (queue[this.head] as WatchedCall<unknown>).settled) this.head++;
    if (this.head === queue.length) {
      // Popped, not `length = 0`: V8 sets an array's length through a runtime call and drops its
      // backing store, which the push below then grows again (~1k instructions per store call).
      while (queue.length > 0) queue.pop();
      this.head = 0;
    } else if (this.head >= COMPACT_FROM && this.head * 2 >= queue.length) {
      // A busy store always has a call in flight, so the queue may never empty: let the answered
      // calls in front go (amortized: at most one copy per call).
      queue.copyWithin(0, this.head);
      queue.length -= this.head;
      this.head = 0;
    }
    queue.push(call);
    if (this.timer === undefined) this.arm(this.timeoutMs);
  }

  /** How many calls the watch's memory holds: those waiting, and answered ones not yet let go. */
  get holding(): number {
    return this.queue.length;
  }

  /** Unref'd: a pending call is kept alive by its connection, not by this timer. */
  private arm(ms: number): void {
    this.timer = afterDeadline(ms, () => this.sweep());
    this.timer.unref?.();
  }

  private sweep(): void {
    this.timer = undefined;
    const now = clock.now();
    const queue = this.queue;
    for (; this.head < queue.length; this.head++) {
      const call = queue[this.head] as WatchedCall<unknown>;
      if (call.settled) continue;
      if (call.deadline > now) {
        this.arm(call.deadline - now);
        return;
      }
      call.expire(this.timeoutMs);
    }
    queue.length = 0;
    this.head = 0;
  }
}

/**
 * Run a call that bounds itself (a client's own command timeout of at most `timeoutMs`): only its
 * error is mapped, and its time added to `budget`. The caller checks that the budget has room for a
 * whole `timeoutMs` (`withinBudget`), or uses `guard`.
 */
export function clientBounded<T>(
  target: StoreTarget,
  operation: string,
  work: () => Promise<T>,
  budget?: StoreBudget,
): Promise<T> {
  let running: Promise<T>;
  try {
    running = work();
  } catch (error) {
    running = Promise.reject(error);
  }
  if (budget === undefined) {
    return running.catch((error: unknown) => {
      throw asUnavailable(target, operation, error);
    });
  }
  const started = clock.now();
  return running.then(
    (value) => {
      budget.spentMs += clock.now() - started;
      return value;
    },
    (error: unknown) => {
      budget.spentMs += clock.now() - started;
      throw asUnavailable(target, operation, error);
    },
  );
}

/**
 * Whether a call bounded by its own `timeoutMs` timer keeps within `budget`: the request has spent
 * at most 1% of it so far. The usual request (a load, then a save) stays on this path and needs no
 * second timer; the most it overshoots the request's `timeoutMs` by is that 1%.
 */
export function withinBudget(timeoutMs: number, budget: StoreBudget | undefined): boolean {
  return budget === undefined || budget.spentMs * 100 <= timeoutMs;
}

/** The error of a call made after the request's store calls have used up `timeoutMs`: nothing was sent. */
function budgetSpent(
  target: StoreTarget,
  operation: string,
  timeoutMs: number,
): SessionStoreUnavailableError {
  return new SessionStoreUnavailableError(target.kind, operation, {
    cause: new Error(
      `this request's store calls already took the ${target.kind} store's ${timeoutMs} ms; not sent`,
    ),
    endpoint: target.endpoint,
    reason: `the request's ${timeoutMs} ms for store calls is used up`,
  });
}

/**
 * Keep satchel's own errors as they are; a driver error that no retry can fix (wrong database,
 * password or host) is a `SatchelConfigError`; anything else is an outage, its message naming the
 * reason when known. The driver's error (or what `target.explain` finds behind it) is the `cause`.
 */
export function asUnavailable(target: StoreTarget, operation: string, failure: unknown): Error {
  if (failure instanceof SatchelError) return failure;
  const error = target.explain === undefined ? failure : target.explain(failure);
  const problem = configurationProblem(error);
  const where = target.endpoint === undefined ? "" : ` at ${target.endpoint}`;
  if (problem) {
    return new SatchelConfigError(
      `satchel: the ${target.kind} store${where} refused ${operation}: ${problem}. Fix SESSION_STORE_URL or the store options; retrying will not help.`,
      { cause: error },
    );
  }
  return new SessionStoreUnavailableError(target.kind, operation, {
    cause: error,
    endpoint: target.endpoint,
    reason: outageReason(error, target.endpoint),
  });
}

/** Validate a `timeoutMs` option: a positive finite number, or the default. */
export function resolveTimeout(store: string, timeoutMs: number | undefined): number {
  if (timeoutMs === undefined) return DEFAULT_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new SatchelError(
      `satchel: the ${store} store's timeoutMs must be a positive number of ms, got ${timeoutMs}.`,
    );
  }
  return timeoutMs;
}
