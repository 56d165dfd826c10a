/**
 * One place that turns "the backend is down, slow or broken" into the single typed error apps map to
 * HTTP 503. Every network store runs each operation through `guard`, so a hung socket can never hang
 * a request and a driver's rejection can never escape as an unhandled rejection.
 */
import { SatchelConfigError, SatchelError, SessionStoreUnavailableError } from "../errors.ts";
import { configurationProblem, outageReason } from "./redact.ts";

/** The store an error is about: its kind (`"redis"`) and, when known, where it lives (no password). */
export interface StoreTarget {
  readonly kind: string;
  readonly endpoint?: string | undefined;
  /**
   * The error that explains a driver's failure, when the driver reports a consequence instead (ioredis
   * rejects queued commands with "max retries per request" when the real news is "connection refused").
   */
  readonly explain?: ((error: unknown) => unknown) | undefined;
}

/** Default per-operation budget for network stores (ms). */
const DEFAULT_TIMEOUT_MS = 2000;

/**
 * Run `work` with a deadline. Resolves with its result; rejects with `SessionStoreUnavailableError`
 * when it fails or takes longer than `timeoutMs`. A late result or rejection of the abandoned work
 * is swallowed on purpose: the caller has already been told the store was unavailable.
 */
export function guard<T>(
  target: StoreTarget,
  operation: string,
  timeoutMs: number,
  work: () => Promise<T>,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      reject(
        new SessionStoreUnavailableError(target.kind, operation, {
          cause: new Error(`no answer from the ${target.kind} store within ${timeoutMs} ms`),
          endpoint: target.endpoint,
          reason: `no answer within ${timeoutMs} ms`,
        }),
      );
    }, timeoutMs);
    let running: Promise<T>;
    try {
      running = work();
    } catch (error) {
      running = Promise.reject(error);
    }
    running.then(
      (value) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(asUnavailable(target, operation, error));
      },
    );
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
