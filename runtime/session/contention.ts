/**
 * How concurrent writers of one store record take turns: updates from this process queue per record,
 * writers that lose a compare-and-set back off with jitter, and the attempt budgets of `save()` and
 * `update(fn)` say when to give up.
 * @internal not part of the public API; import from "satchel" instead.
 */
import type { SessionStore } from "../stores/types.ts";

/** Attempts of a merging `save()`. */
export const SAVE_ATTEMPTS = 10;
/** Attempts of `update(fn)` before it may give up under contention (see `UPDATE_MIN_MS`). */
const UPDATE_ATTEMPTS = 60;
/**
 * `update(fn)` keeps retrying for at least this long, even past `UPDATE_ATTEMPTS`: on a slow store
 * (a busy disk) the writers that win take longer, and a count alone would run out while the
 * contention is still clearing. It gives up once both the count and the time are spent.
 */
const UPDATE_MIN_MS = 5_000;
/** Backoff ceiling between attempts, ms. */
const MAX_BACKOFF_MS = 100;
/** First backoff ceiling, ms; doubles per attempt. */
const BASE_BACKOFF_MS = 4;

/**
 * Whether `update(fn)` may make attempt number `attempt` (from 0), having started at `startedMs`
 * (`performance.now()`: wall time, not the session clock, since the budget is about real waiting and
 * tests may freeze the clock).
 */
export function updateMayTry(attempt: number, startedMs: number): boolean {
  return attempt < UPDATE_ATTEMPTS || performance.now() - startedMs < UPDATE_MIN_MS;
}

/**
 * Updates of one record from this process run one after another: they would only defeat each other's
 * compare-and-set and back off. Other processes are still handled by compare-and-set.
 */
const updateQueues = new WeakMap<SessionStore, Map<string, Promise<unknown>>>();

/** Runs `work` after every earlier `work` of the same record; `waited` says whether one was running. */
export async function oneAtATime<T>(
  store: SessionStore,
  key: string,
  work: (waited: boolean) => Promise<T>,
): Promise<T> {
  let queues = updateQueues.get(store);
  if (queues === undefined) {
    queues = new Map();
    updateQueues.set(store, queues);
  }
  const previous = queues.get(key);
  const run = previous === undefined ? work(false) : previous.then(() => work(true));
  const tail = run.catch(() => undefined);
  queues.set(key, tail);
  try {
    return await run;
  } finally {
    if (queues.get(key) === tail) queues.delete(key);
  }
}

/** Full-jitter exponential backoff, so colliding writers spread out instead of colliding again. */
export function backoff(attempt: number): Promise<void> {
  const ceiling = Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
}
