/**
 * Two requests wrote one store record: which top-level parts (each data key, `flash`, `messages`)
 * each side changed since this request loaded it, and the record that keeps both sides' changes.
 * Parts are compared as text; all three states (as loaded, ours, theirs) go through the session's
 * codec alike.
 * @internal not part of the public API; import from "satchel" instead.
 */
import superjson from "superjson";
import { codecFor } from "../codec/session-codec.ts";
import type { ResolvedSession } from "../define.ts";
import { SessionConflictError } from "../errors.ts";
import type { PersistedEnvelope } from "./core.ts";

/**
 * `save()` lost a race: our changed parts applied onto the record another request wrote (`theirs`).
 * A part both sides changed is a real conflict the app must resolve: `SessionConflictError`.
 * @param saved the state this request loaded or last wrote; `null`: none (every part counts as changed).
 */
export function mergeSave(
  def: ResolvedSession,
  saved: PersistedEnvelope | null,
  ours: PersistedEnvelope,
  theirs: PersistedEnvelope,
): PersistedEnvelope {
  // Both sides are compared with what this request loaded, however many rounds this takes.
  const base = savedParts(def, saved);
  const ourChanges = changedParts(base, encodedParts(def, ours));
  const theirChanges = changedParts(base, encodedParts(def, theirs));
  for (const part of ourChanges) if (theirChanges.has(part)) throw new SessionConflictError(def.name, part);
  const merged: PersistedEnvelope = { version: def.version, data: { ...theirs.data } };
  for (const part of ourChanges) {
    if (part !== "flash" && part !== "messages") {
      if (Object.hasOwn(ours.data, part)) merged.data[part] = ours.data[part];
      else delete merged.data[part];
    }
  }
  const flash = ourChanges.has("flash") ? ours.flash : theirs.flash;
  if (flash !== undefined) merged.flash = flash;
  const messages = ourChanges.has("messages") ? ours.messages : theirs.messages;
  if (messages !== undefined) merged.messages = messages;
  return merged;
}

/**
 * `update(fn)` read the record again: its data as stored (`fresh`), with this request's own unsaved
 * flash and message changes (`mine` against `saved`, as `mergeSave` takes it) still applied.
 */
export function withOwnFlashAndMessages(
  def: ResolvedSession,
  saved: PersistedEnvelope | null,
  mine: PersistedEnvelope,
  fresh: PersistedEnvelope,
): PersistedEnvelope {
  const changed = changedParts(savedParts(def, saved), encodedParts(def, mine));
  const current = { ...fresh };
  if (changed.has("flash")) {
    if (mine.flash === undefined) delete current.flash;
    else current.flash = mine.flash;
  }
  if (changed.has("messages")) {
    if (mine.messages === undefined) delete current.messages;
    else current.messages = mine.messages;
  }
  return current;
}

/** Per-key serialized form of an envelope, to see which top-level parts two writers changed. */
function partsOf(envelope: PersistedEnvelope): Map<string, string> {
  const map = new Map<string, string>();
  for (const [key, value] of Object.entries(envelope.data)) map.set(key, superjson.stringify(value));
  map.set("flash", superjson.stringify(envelope.flash ?? null));
  map.set("messages", superjson.stringify(envelope.messages ?? null));
  return map;
}

function changedParts(from: Map<string, string>, to: Map<string, string>): Set<string> {
  const changed = new Set<string>();
  for (const key of new Set([...from.keys(), ...to.keys()]))
    if (from.get(key) !== to.get(key)) changed.add(key);
  return changed;
}

/** The state as loaded or last written, split per top-level key; none: no parts. */
function savedParts(def: ResolvedSession, saved: PersistedEnvelope | null): Map<string, string> {
  return saved === null ? new Map() : encodedParts(def, saved);
}

/**
 * The parts of `envelope` as they read back from the session's codec, so every state compared went
 * through the same encoding (an optional field present as `undefined` reads back absent).
 */
function encodedParts(def: ResolvedSession, envelope: PersistedEnvelope): Map<string, string> {
  const codec = codecFor(def);
  try {
    return partsOf(codec.decode(codec.encode(envelope)).envelope as PersistedEnvelope);
  } catch {
    return partsOf(envelope);
  }
}
