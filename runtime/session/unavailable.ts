/**
 * A store session whose store could not be reached, opened empty because the page asked for that
 * (`getSession(name, { unavailable: "empty" })` in `satchel/next`): the schema defaults, no flash,
 * no messages, `$unavailable: true`. It is read-only and never written: every write throws
 * `SessionStoreUnavailableError` (a 503 where a wrapper answers), so nothing the page does to it is
 * silently lost or written over the real record once the store is back.
 * @internal not part of the public API; import from "satchel" instead.
 */
import type { ResolvedSession } from "../define.ts";
import { SessionStoreUnavailableError } from "../errors.ts";
import type { SessionMetadata } from "../types.ts";
import { freshData, SessionCore } from "./core.ts";
import { noMetadata } from "./metadata.ts";

export class UnavailableSession extends SessionCore {
  /** @param outage what loading the session threw; every write names the same store. */
  constructor(
    def: ResolvedSession,
    private readonly outage: SessionStoreUnavailableError,
  ) {
    // Read-only: flash and messages never try to consume stored values (there are none here).
    super(def, { now: () => Date.now(), readOnly: "its store is unavailable", report: () => {} });
    this.data = freshData(def);
    // Neither new nor known: the store holds the answer. `$unavailable` says so.
    this.isNew = false;
    this.markSaved();
  }

  override assertWritable(action: string): never {
    throw new SessionStoreUnavailableError(
      this.outage.store,
      `${action} on session "${this.def.name}", which getSession() opened empty ({ unavailable: "empty" }) ` +
        "because its store could not be reached; nothing was written",
      { cause: this.outage, endpoint: this.outage.endpoint },
    );
  }

  async metadata(): Promise<SessionMetadata> {
    return noMetadata();
  }

  /** Nothing to load: the data are the schema defaults from the constructor. */
  async load(): Promise<void> {}

  async save(): Promise<void> {
    this.assertWritable("save()");
  }

  async update(): Promise<void> {
    this.assertWritable("update()");
  }

  async destroy(): Promise<void> {
    this.assertWritable("destroy()");
  }

  async regenerate(): Promise<void> {
    this.assertWritable("regenerate()");
  }

  async expire(): Promise<void> {
    this.assertWritable("$expire()");
  }

  /** Nothing to read again: the store is the one that could not be reached, and nothing was changed. */
  async reload(): Promise<void> {}

  /** Never written: the request's commit leaves the store record as it is. */
  async commit(): Promise<void> {}
}
