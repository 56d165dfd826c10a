/** Every error satchel throws on purpose. Messages start with `satchel:` and say what to do. */
export class SatchelError extends Error {
  override name = "SatchelError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message.startsWith("satchel:") ? message : `satchel: ${message}`, options);
  }
}

/** The schema file or options are wrong; raised at startup/definition time. */
export class SatchelConfigError extends SatchelError {
  override name = "SatchelConfigError";
}

/**
 * Data failed zod validation on write (a session's data, or a one-off token's data in `sealToken()`).
 * `path` names the field; `session` is the session's or the token's name, as `subject` says.
 */
export class SessionValidationError extends SatchelError {
  override name = "SessionValidationError";
  constructor(
    readonly session: string,
    readonly path: string,
    message: string,
    readonly subject: "session" | "token" = "session",
  ) {
    super(`satchel: ${subject} "${session}" field "${path}" is invalid: ${message}`);
  }
}

/** A cookie session grew past the cookie cap. */
export class SessionTooLargeError extends SatchelError {
  override name = "SessionTooLargeError";
  constructor(
    readonly session: string,
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(
      `satchel: session "${session}" needs ${bytes} bytes of cookies, over the ${limit}-byte cap. ` +
        `Store less in it, raise cookie.maxChunks, or declare it with storage: "store".`,
    );
  }
}

/** A store is down or slower than its timeout. Map it to HTTP 503. Nothing was half-written. */
export class SessionStoreUnavailableError extends SatchelError {
  override name = "SessionStoreUnavailableError";
  /** Where the store lives (`127.0.0.1:6379`, a directory), when known; never a password. */
  readonly endpoint: string | undefined;
  constructor(
    readonly store: string,
    readonly operation: string,
    /** `reason`: what went wrong in a few words ("connection refused at 127.0.0.1:6379"), when known. */
    options?: { cause?: unknown; endpoint?: string | undefined; reason?: string | undefined },
  ) {
    const where = options?.endpoint === undefined ? "" : ` at ${options.endpoint}`;
    const why = options?.reason === undefined ? "" : ` (${options.reason})`;
    super(
      `satchel: session store "${store}"${where} is unavailable during ${operation}${why}; retry later (HTTP 503).`,
      options,
    );
    this.endpoint = options?.endpoint;
  }
}

/** Two writers changed the same field of a store session. */
export class SessionConflictError extends SatchelError {
  override name = "SessionConflictError";
  constructor(
    readonly session: string,
    readonly key: string,
  ) {
    super(
      `satchel: session "${session}" field "${key}" was changed by another request meanwhile; ` +
        `use update(fn) for changes that must not conflict.`,
    );
  }
}

/** A write after destroy(), or a write where cookies cannot be set (a Server Component). */
export class SessionStateError extends SatchelError {
  override name = "SessionStateError";
}

/**
 * The store session was ended (destroy(), revokeUser(), regenerate()) by another request after this
 * request loaded it. Nothing was written; the session cookie is cleared and the handle is fresh.
 */
export class SessionEndedError extends SatchelError {
  override name = "SessionEndedError";
  constructor(readonly session: string) {
    super(
      `satchel: session "${session}" was ended by another request (destroy, revokeUser or regenerate) after this ` +
        "request loaded it; the change was not saved and the session cookie is cleared. Treat the user as signed out.",
    );
  }
}
