/**
 * Where a new version of a file differs from its old one, found with native byte comparisons and
 * searches only: no hashing or per-byte work in JavaScript over the text the two share.
 *
 * The history scan uses it for files whose old version held no rule keyword. A keyword in the new
 * version that lies wholly inside a stretch copied from the old version would be in the old version
 * too, so only the bytes around what changed need the keyword filter.
 */
import type { KeywordFilter } from './keyword-filter.js';

/** Middles shorter than this are filtered as they are: looking for copies inside costs more. */
const SPLIT_MIN = 2048;
/** Bytes of the old middle looked for in the new one, to find a stretch the edit left alone. */
const PROBE = 64;
/** A copied stretch shorter than this is taken for a look-alike, not the text's real place. */
const MIN_COPY = 4 * PROBE;
/** Occurrences of one probe tried before the next probe. */
const SEARCHES = 3;
/** Nested splits before a middle is filtered as it is: bounds the work on a rewritten file. */
const MAX_DEPTH = 12;

/**
 * True if `neu` holds a keyword, given that `old` holds none. Exact: the same answer as filtering
 * all of `neu`, by this argument. `neu` is cut into stretches equal to stretches of `old` and the
 * rest. A keyword occurrence wholly inside one copied stretch would occur in `old`; so every
 * occurrence overlaps a byte that is not copied, or spans the seam between two copied stretches.
 * Each such place is filtered with `filter.longest - 1` bytes on either side, which holds any
 * occurrence touching it.
 */
export function editHasKeyword(filter: KeywordFilter, old: Buffer, neu: Buffer): boolean {
  return changed(filter, filter.longest - 1, old, 0, old.length, neu, 0, neu.length, 0);
}

/** `old[oS, oE)` became `neu[nS, nE)`; what lies outside both ranges is copied. */
function changed(
  filter: KeywordFilter,
  reach: number,
  old: Buffer,
  oS: number,
  oE: number,
  neu: Buffer,
  nS: number,
  nE: number,
  depth: number,
): boolean {
  const p = commonPrefix(old, neu, oS, nS, Math.min(oE - oS, nE - nS));
  const s = commonSuffix(old, neu, oE, nE, Math.min(oE - oS, nE - nS) - p);
  oS += p;
  nS += p;
  oE -= s;
  nE -= s;
  // from here on old[oS, oE) became neu[nS, nE), which may be empty: an insertion point or seam
  if (nE - nS >= SPLIT_MIN && oE - oS >= SPLIT_MIN && depth < MAX_DEPTH) {
    // Probes from the middle of the old text outwards; the first that lands anchors a copied
    // stretch, and what lies either side of it is two smaller edits.
    const shifts = [nS - oS, nE - oE];
    for (const at of [0.5, 0.25, 0.75]) {
      const o = oS + Math.floor((oE - oS - PROBE) * at);
      for (const n of placesOf(old, o, neu, nS, nE, shifts)) {
        const left = commonSuffix(old, neu, o, n, Math.min(o - oS, n - nS));
        const right = commonPrefix(old, neu, o + PROBE, n + PROBE, Math.min(oE - o - PROBE, nE - n - PROBE));
        if (left + PROBE + right < MIN_COPY) continue;
        return (
          changed(filter, reach, old, oS, o - left, neu, nS, n - left, depth + 1) ||
          changed(filter, reach, old, o + PROBE + right, oE, neu, n + PROBE + right, nE, depth + 1)
        );
      }
    }
  }
  return filter.any(neu, Math.max(0, nS - reach), Math.min(neu.length, nE + reach));
}

/**
 * Where in neu[nS, nE) the probe old[o, o + PROBE) may have gone. First where the text either side
 * of the middle says it moved to; then where a search finds it, since in repetitive text (a
 * changelog's lines) the first occurrence found can be a look-alike whose stretch will not grow.
 */
function* placesOf(old: Buffer, o: number, neu: Buffer, nS: number, nE: number, shifts: number[]): Generator<number> {
  for (const d of shifts) {
    const n = o + d;
    if (n >= nS && n + PROBE <= nE && old.compare(neu, n, n + PROBE, o, o + PROBE) === 0) yield n;
  }
  const hay = neu.subarray(nS, nE);
  const probe = old.subarray(o, o + PROBE);
  for (let k = 0, j = hay.indexOf(probe); k < SEARCHES && j !== -1; k++, j = hay.indexOf(probe, j + 1)) yield nS + j;
}

/**
 * Length of the longest run of equal bytes at a[aS…] and b[bS…], at most `max`: a binary search of
 * native comparisons, so long equal runs cost memcmp speed.
 */
export function commonPrefix(
  a: Buffer,
  b: Buffer,
  aS = 0,
  bS = 0,
  max = Math.min(a.length - aS, b.length - bS),
): number {
  let lo = 0;
  let hi = max;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (a.compare(b, bS + lo, bS + mid, aS + lo, aS + mid) === 0) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Length of the longest run of equal bytes ending at a[…aE) and b[…bE), at most `max`. */
export function commonSuffix(a: Buffer, b: Buffer, aE = a.length, bE = b.length, max = Math.min(aE, bE)): number {
  let lo = 0;
  let hi = max;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (a.compare(b, bE - mid, bE - lo, aE - mid, aE - lo) === 0) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
