/** "Did you mean …?" for unknown names (configuration keys, commands). */

/**
 * Levenshtein distance (small strings only). With `max`, stops as soon as the distance must
 * exceed it and returns `max + 1` (unknown keys of a huge env file cost little).
 */
export function editDistance(a: string, b: string, max = Infinity): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (prev[j]! < rowMin) rowMin = prev[j]!;
      diag = tmp;
    }
    if (rowMin > max) return max + 1;
  }
  return prev[b.length]!;
}

/** The candidate nearest to `word` within `maxDistance` edits (a prefix counts as near), if any. */
export function closest(word: string, candidates: Iterable<string>, maxDistance = 2): string | undefined {
  let best: string | undefined;
  let bestD = maxDistance + 1;
  for (const c of candidates) {
    const d = word.length >= 3 && c.startsWith(word) ? 1 : editDistance(word, c);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best;
}
