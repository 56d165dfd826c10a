/**
 * One place that turns "the backend is down, slow or broken" into the single typed error apps map to
 * HTTP 503. Every network store runs each operation through `guard`, so a hung socket can never hang
 * a request and a driver's rejection can never escape as an unhandled rejection.
 */
import { SatchelConfigError, SatchelError, SessionStoreUnavailableError } from "../errors.ts";
import { configurationProblem } from "./redact.ts";

/** Default per-operation budget for network stores (ms). */
export const DEFAULT_TIMEOUT_MS = 2000;

/**
 * Run `work` with a deadline. Resolves with its result; rejects with `SessionStoreUnavailableError`
 * when it fails or takes longer than `timeoutMs`. A late result or rejection of the abandoned work
 * is swallowed on purpose: the caller has already been told the store was unavailable.
 */
export function guard<T>(
  store: string,
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
        new SessionStoreUnavailableError(store, operation, {
          cause: new Error(`no answer from the ${store} store within ${timeoutMs} ms`),
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
        reject(asUnavailable(store, operation, error));
      },
    );
  });
}

/**
 * Keep satchel's own errors as they are; a driver error that no retry can fix (wrong database,
 * password or host) is a `SatchelConfigError`; anything else is an outage. The driver's error is the `cause`.
 */
export function asUnavailable(store: string, operation: string, error: unknown): Error {
  if (error instanceof SatchelError) return error;
  const problem = configurationProblem(error);
  if (problem) {
    return new SatchelConfigError(
      `satchel: the ${store} store refused ${operation}: ${problem}. Fix SESSION_STORE_URL or the store options; retrying will not help.`,
      { cause: error },
    );
  }
  return new SessionStoreUnavailableError(store, operation, { cause: error });
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
