/**
 * "Did you mean …?" for a misspelled key: the known key within a small edit distance.
 * @internal not part of the public API.
 */

/**
 * Edit distance counting a swap of two neighbours as one edit (`idel` → `idle`), case-insensitive
 * (so `samesite` is one edit from `sameSite`, not more).
 */
function distance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  const d: number[][] = Array.from({ length: x.length + 1 }, (_, i) =>
    Array.from({ length: y.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => (d[i] as number[])[j] as number;
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) {
        best = Math.min(best, at(i - 2, j - 2) + 1);
      }
      (d[i] as number[])[j] = best;
    }
  }
  return at(x.length, y.length);
}

/**
 * The known key closest to `key`, when close enough to be a typo: at most a third of its length in
 * edits (at least one). `undefined` when nothing is that close.
 */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  const allowed = Math.max(1, Math.floor(key.length / 3));
  let best: string | undefined;
  let bestDistance = allowed + 1;
  for (const candidate of known) {
    const d = distance(key, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}
