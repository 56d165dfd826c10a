/**
 * What the tiered store keeps in its cache: a record with its durable version and when it was filled
 * (wall-clock ms, compared with when delete notices were last heard), or a tombstone for a deleted
 * key. How an entry is replaced after a write (never by an older version): `store.ts` afterWrite.
 */

export type CacheEntry = { v: string; ver: number; exp: number; at: number } | { deleted: true };
/** A cache entry that holds a record. */
export type FilledEntry = Exclude<CacheEntry, { deleted: true }>;

/**
 * A filled entry is `r:<ver>:<exp>:<at>:` followed by the record's value as it is: a hit then reads
 * three numbers and slices the value, where JSON (`{"v":…}`) made every hit parse the whole value as an
 * escaped string. Tombstones, and entries written in JSON by earlier versions, are JSON.
 */
const FILLED = "r:";

export function encode(entry: CacheEntry): string {
  if ("deleted" in entry) return JSON.stringify(entry);
  return `${FILLED}${entry.ver}:${entry.exp}:${entry.at}:${entry.v}`;
}

export function decode(text: string | undefined): CacheEntry | null {
  if (text === undefined) return null;
  return text.startsWith(FILLED) ? decodeFilled(text) : decodeJson(text);
}

/** `r:<ver>:<exp>:<at>:<value>`, or null when it is not one. */
function decodeFilled(text: string): FilledEntry | null {
  const afterVer = text.indexOf(":", FILLED.length);
  const afterExp = afterVer < 0 ? -1 : text.indexOf(":", afterVer + 1);
  const afterAt = afterExp < 0 ? -1 : text.indexOf(":", afterExp + 1);
  if (afterAt < 0) return null;
  const ver = numberIn(text, FILLED.length, afterVer);
  const exp = numberIn(text, afterVer + 1, afterExp);
  const at = numberIn(text, afterExp + 1, afterAt);
  if (ver === null || exp === null || at === null) return null;
  return { v: text.slice(afterAt + 1), ver, exp, at };
}

/**
 * The number written between `start` and `end`, or null when there is none. Digits are read in place
 * (no substring per number on every hit); anything else a writer's `String(n)` may give goes to Number.
 */
function numberIn(text: string, start: number, end: number): number | null {
  if (end <= start) return null;
  let n = 0;
  for (let i = start; i < end; i++) {
    const digit = text.charCodeAt(i) - 48;
    // 15 digits at most are exact in the loop.
    if (digit < 0 || digit > 9 || end - start > 15) {
      const parsed = Number(text.slice(start, end));
      return Number.isFinite(parsed) ? parsed : null;
    }
    n = n * 10 + digit;
  }
  return n;
}

/** A tombstone, or a filled entry as earlier versions wrote it. */
function decodeJson(text: string): CacheEntry | null {
  try {
    const data = JSON.parse(text) as Partial<{
      v: string;
      ver: number;
      exp: number;
      at: number;
      deleted: true;
    }>;
    if (data.deleted === true) return { deleted: true };
    if (typeof data.v === "string" && typeof data.ver === "number" && typeof data.exp === "number") {
      return { v: data.v, ver: data.ver, exp: data.exp, at: typeof data.at === "number" ? data.at : 0 };
    }
  } catch {
    // Not ours: treated as a miss.
  }
  return null;
}
