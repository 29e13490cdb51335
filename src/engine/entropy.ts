/** Shannon entropy in bits per character. Random base64 scores about 6, English words about 3-4. */
export function shannonEntropy(s: string): number {
  if (s.length === 0) return 0;
  const ascii = asciiEntropy(s);
  if (ascii !== undefined) return ascii;
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  for (const c of counts.values()) {
    const p = c / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

const COUNTS = new Uint32Array(128);
const ORDER = new Uint8Array(128);

/**
 * The same sum for ASCII text (almost every secret), without a Map per call: counts in a reused
 * table, summed in the order characters first appear, as the Map would, so results are identical
 * to the last bit. Undefined for text with other characters.
 */
function asciiEntropy(s: string): number | undefined {
  let distinct = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128) {
      for (let k = 0; k < distinct; k++) COUNTS[ORDER[k]!] = 0;
      return undefined;
    }
    if (COUNTS[c] === 0) ORDER[distinct++] = c;
    COUNTS[c] = COUNTS[c]! + 1;
  }
  let h = 0;
  for (let k = 0; k < distinct; k++) {
    const p = COUNTS[ORDER[k]!]! / s.length;
    COUNTS[ORDER[k]!] = 0;
    h -= p * Math.log2(p);
  }
  return h;
}
