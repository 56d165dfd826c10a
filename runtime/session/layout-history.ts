/**
 * The layouts of cookie sessions, kept in the app's store, so that a satchel without generated
 * codecs writes the compact format 4 too. A format-4 token can be read only by a build that has the
 * plan under the token's key (codec/plan.ts `positionalKey`: layout and checks in one hash);
 * generated codecs carry the plans of earlier layouts, the runtime alone knows only the current
 * one. So each process records its sessions' current plans in the store
 * (`layout/<session>:<key>`: no session record key has a "/" in it), as `{"plan", "checks"}`, and
 * reads there the plan of a token whose key it does not know: a schema change (a field added, a
 * version bump, a tightened check) then migrates older cookies instead of signing their users out.
 * Format-3 tokens (`[3, version, layout, checks, …]`, written before format 4) are looked up under
 * their layout hash, where the builds that wrote them recorded the bare plan.
 *
 * - Recording runs in the background, once per process and session, and never delays a request;
 *   until it succeeded the session writes format 2. A format-4 cookie is written only while the
 *   record outlives it: the record lives twice the session's `expiry.absolute` (no cookie outlives
 *   that), is refreshed once a quarter of that is gone, and its expiry only ever grows
 *   (compare-and-set), so processes refreshing side by side never shorten it.
 * - A record read from the store is untrusted: refused unless its plan's shape is one `planOf`
 *   writes (`checkedPlan`) and it hashes to the hash looked up: `positionalKey(layoutHash(plan),
 *   checks)` for a `{"plan", "checks"}` record, `layoutHash(plan)` for a bare plan. Its data then
 *   runs migrations and zod, as every token of another layout or other checks does. A plan found is
 *   cached for the process (a hash names one plan); one not found is asked again next time.
 * - Stores that keep nothing past the process (`durable: false`: the memory store) record nothing:
 *   such apps keep format 2.
 * @internal not part of the public API; import from "satchel" instead.
 */

import { checksHash } from "../codec/fingerprint.ts";
import { layoutHash, type Plan, planOf, positionalKey } from "../codec/plan.ts";
import { checkedPlan } from "../codec/plan-check.ts";
import type { LayoutSource } from "../codec/session-codec.ts";
import type { ResolvedSession } from "../define.ts";
import { SatchelError, SessionStoreUnavailableError } from "../errors.ts";
import type { SessionStore } from "../stores/types.ts";
import { layoutKey } from "./store-keys.ts";

/** A failed recording is tried again this long after (format 2 meanwhile). */
const RETRY_MS = 60_000;
/** A stored plan longer than this is not one `planOf` wrote for a session that fits a cookie. */
const MAX_PLAN_CHARS = 1_000_000;
/** Longer than any `shortHash` (a 32-bit number in base 36). */
const MAX_CHECKS_CHARS = 16;

/** One session's recording in this process. */
interface Recording {
  readonly plan: Plan;
  /** `positionalKey` of the plan and the schema's checks: what the record is kept under. */
  readonly key: string;
  /** The store record: `{"plan", "checks"}`. */
  readonly value: string;
  /** How long a cookie of the session can live at most (ms): `expiry.absolute`. */
  readonly cookieLife: number;
  /** Until when the store keeps the record, as far as this process knows (epoch ms; 0: not recorded). */
  expiresAt: number;
  /** A write (or refresh) is under way. */
  busy: boolean;
  /** A failed write is not tried again before this (epoch ms). */
  retryAt: number;
  /** The store keeps nothing past the process: never record. */
  off: boolean;
}

/** The satchel's layouts: what its codec resolver asks, and the store lookup a cookie session awaits. */
export interface LayoutHistory extends LayoutSource {
  /**
   * Looks `hash` (a format-3 token's layout hash or a format-4 token's key) up in the store; true
   * when a checked plan under it was found (then `plan()` has it).
   * @throws SessionStoreUnavailableError when the store cannot be reached.
   */
  find(session: ResolvedSession, hash: string): Promise<boolean>;
}

/**
 * @param storeOf the store a session's layouts are kept in, or `null` when it has none to keep them
 *   in (the app runs on the embedded default store: see `createSatchel`); such sessions write format 2
 *   and never look a layout up.
 */
export function createLayoutHistory(
  storeOf: (session: ResolvedSession) => Promise<SessionStore> | null,
  now: () => number,
): LayoutHistory {
  const recordings = new Map<ResolvedSession, Recording>();
  /** Plans found in the store, per session, by the hash looked up (layout hash or key). */
  const found = new Map<ResolvedSession, Map<string, Plan>>();
  /** Lookups under way, so concurrent requests with the same cookie ask the store once. */
  const finding = new Map<string, Promise<boolean>>();

  const recordingOf = (session: ResolvedSession): Recording => {
    let recording = recordings.get(session);
    if (recording === undefined) {
      const plan = planOf(session.schema);
      const checks = checksHash(session.schema);
      recording = {
        plan,
        key: positionalKey(layoutHash(plan), checks),
        value: JSON.stringify({ plan, checks }),
        cookieLife: session.expiry.absolute * 1000,
        expiresAt: 0,
        busy: false,
        retryAt: 0,
        off: false,
      };
      recordings.set(session, recording);
    }
    return recording;
  };

  /** Writes (or refreshes) the record; its expiry never goes down. */
  const record = async (session: ResolvedSession, recording: Recording): Promise<void> => {
    const opening = storeOf(session);
    const store = opening === null ? null : await opening;
    if (store === null || store.durable === false) {
      recording.off = true;
      return;
    }
    const key = layoutKey(session.name, recording.key);
    const value = recording.value;
    const started = now();
    const target = started + 2 * recording.cookieLife;
    // Another process's record is kept while it has at least the life a refresh restores.
    const enough = started + 1.5 * recording.cookieLife;
    for (let attempt = 0; attempt < 3; attempt++) {
      const current = await store.get(key);
      if (current !== null && current.value === value && current.expiresAt >= enough) {
        recording.expiresAt = current.expiresAt;
        return;
      }
      // Missing, shorter-lived, or not our plan (a broken store): written over, unless someone else wrote first.
      const written = await store.compareAndSet(key, value, current?.version ?? null, { expiresAt: target });
      if (written !== null) {
        recording.expiresAt = target;
        return;
      }
    }
  };

  const startRecording = (session: ResolvedSession, recording: Recording): void => {
    recording.busy = true;
    record(session, recording).then(
      () => {
        recording.busy = false;
      },
      () => {
        // Format 2 meanwhile; a later write tries again.
        recording.busy = false;
        recording.retryAt = now() + RETRY_MS;
      },
    );
  };

  const lookup = async (session: ResolvedSession, hash: string): Promise<boolean> => {
    let store: SessionStore | undefined;
    let text: string | undefined;
    const opening = storeOf(session);
    if (opening === null) return false;
    try {
      store = await opening;
      if (store.durable === false) return false;
      text = (await store.get(layoutKey(session.name, hash)))?.value;
    } catch (error) {
      throw asUnavailable(error, store?.name, session.name);
    }
    if (text === undefined || text.length > MAX_PLAN_CHARS) return false;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return false;
    }
    const plan = verifiedPlan(parsed, hash);
    if (plan === undefined) return false;
    let plans = found.get(session);
    if (plans === undefined) {
      plans = new Map();
      found.set(session, plans);
    }
    plans.set(hash, plan);
    return true;
  };

  return {
    positional(session) {
      if (session.storage !== "cookie") return false;
      const recording = recordingOf(session);
      if (recording.off) return false;
      const at = now();
      const left = recording.expiresAt - at;
      if (!recording.busy && at >= recording.retryAt && left < 1.5 * recording.cookieLife) {
        startRecording(session, recording);
      }
      // A cookie written now lives at most `cookieLife`: format 4 only while the record outlives it.
      return left >= recording.cookieLife;
    },
    plan(session, hash) {
      return found.get(session)?.get(hash);
    },
    find(session, hash) {
      if (found.get(session)?.has(hash) === true) return Promise.resolve(true);
      const id = `${session.name}\n${hash}`;
      let pending = finding.get(id);
      if (pending === undefined) {
        pending = lookup(session, hash).finally(() => finding.delete(id));
        finding.set(id, pending);
      }
      return pending;
    },
  };
}

/**
 * The plan of a parsed store record looked up under `hash`, when it is one this library wrote there:
 * `{"plan", "checks"}` whose positional key is `hash` (format 4), or a bare plan whose layout hash
 * is `hash` (recorded for format 3 by earlier builds). Else undefined: a plan of another layout or
 * other checks (a 32-bit hash is not a signature, but a store that forges one only changes how data
 * is read: migrations and zod still judge it).
 */
function verifiedPlan(record: unknown, hash: string): Plan | undefined {
  if (typeof record === "object" && record !== null && !Array.isArray(record)) {
    const { plan, checks } = record as { plan?: unknown; checks?: unknown };
    const checked = checkedPlan(plan);
    if (checked === undefined || typeof checks !== "string" || checks.length > MAX_CHECKS_CHARS)
      return undefined;
    return positionalKey(layoutHash(checked), checks) === hash ? checked : undefined;
  }
  const checked = checkedPlan(record);
  return checked !== undefined && layoutHash(checked) === hash ? checked : undefined;
}

/** A store failure as the typed 503 error; satchel's own errors (a config error) pass through. */
function asUnavailable(error: unknown, store: string | undefined, session: string): Error {
  if (error instanceof SatchelError) return error;
  return new SessionStoreUnavailableError(
    store ?? "session store",
    `the layout lookup of a cookie of session "${session}"`,
    { cause: error },
  );
}
