/**
 * The session's zod schema on the way in (a write: `SessionValidationError` naming the field) and on
 * the way out (data read back: a result, never a throw), and the field paths both name.
 */
import type { z } from "zod";
import { SatchelError, SessionValidationError } from "../errors.ts";

/** A zod issue path as people write it: `items[0].qty`; the root is `(root)`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out === "" ? "(root)" : out;
}

/**
 * Validates data before it is written.
 * @returns the parsed data (zod output: defaults applied, unknown keys stripped per the schema).
 * @throws SessionValidationError naming the first invalid field.
 */
export function validateForWrite<S extends z.ZodType>(
  session: string,
  schema: S,
  data: unknown,
): z.output<S> {
  let result: ReturnType<S["safeParse"]>;
  try {
    result = schema.safeParse(data) as ReturnType<S["safeParse"]>;
  } catch (cause) {
    // Async refinements throw in a sync parse: a schema problem, not a data problem.
    throw new SatchelError(
      `satchel: session "${session}" schema could not validate synchronously; session schemas must not use async refinements.`,
      { cause },
    );
  }
  if (result.success) return result.data as z.output<S>;
  const issue = result.error.issues[0];
  throw new SessionValidationError(session, formatPath(issue?.path ?? []), issue?.message ?? "invalid value");
}

/** Result of `validateForRead`. */
type ReadValidation<T> = { ok: true; data: T } | { ok: false; detail: string };

/**
 * Validates data that was read back (cookie or store). Never throws: an invalid value means the
 * session starts fresh and `onInvalid` hears `detail` (field paths and messages, no values).
 */
export function validateForRead<S extends z.ZodType>(schema: S, data: unknown): ReadValidation<z.output<S>> {
  try {
    const result = schema.safeParse(data);
    if (result.success) return { ok: true, data: result.data as z.output<S> };
    const issues = result.error.issues;
    const shown = issues.slice(0, 3).map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
    if (issues.length > 3) shown.push(`and ${issues.length - 3} more`);
    return { ok: false, detail: shown.join("; ") };
  } catch (error) {
    return { ok: false, detail: `schema threw: ${error instanceof Error ? error.message : String(error)}` };
  }
}
