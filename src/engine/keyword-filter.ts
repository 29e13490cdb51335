/**
 * A byte-level test for "does this text contain any rule keyword?", case-insensitive, run on the
 * raw bytes so text without any keyword is never converted to a string. Keywords are indexed by
 * their first two (case-folded) bytes; only where such a pair occurs is the rest compared.
 */
const FOLD = new Uint8Array(256);
for (let c = 0; c < 256; c++) FOLD[c] = c >= 65 && c <= 90 ? c + 32 : c;

export class KeywordFilter {
  private readonly pairs = new Uint8Array(65536);
  private readonly byPair = new Map<number, Uint8Array[]>();
  private readonly single = new Uint8Array(256);
  /** Length of the longest keyword, in bytes. */
  readonly longest: number = 0;
  private readonly hasSingle: boolean = false;

  constructor(keywords: Iterable<string>) {
    for (const k of keywords) {
      const bytes = Uint8Array.from(Buffer.from(k.toLowerCase(), 'latin1'));
      this.longest = Math.max(this.longest, bytes.length);
      if (bytes.length === 1) { this.single[bytes[0]!] = 1; this.hasSingle = true; continue; }
      const pair = (bytes[0]! << 8) | bytes[1]!;
      this.pairs[pair] = 1;
      const list = this.byPair.get(pair) ?? [];
      list.push(bytes);
      this.byPair.set(pair, list);
    }
  }

  /** True if any keyword occurs in buf[start, end). */
  any(buf: Uint8Array, start: number, end: number): boolean {
    if (end - start < 1) return false;
    const pairs = this.pairs;
    let prev = FOLD[buf[start]!]!;
    if (this.hasSingle) {
      for (let i = start; i < end; i++) if (this.single[FOLD[buf[i]!]!]) return true;
    }
    for (let i = start + 1; i < end; i++) {
      const cur = FOLD[buf[i]!]!;
      const pair = (prev << 8) | cur;
      if (pairs[pair] !== 0) {
        for (const k of this.byPair.get(pair)!) {
          const at = i - 1;
          if (at + k.length > end) continue;
          let j = 2;
          while (j < k.length && FOLD[buf[at + j]!] === k[j]) j++;
          if (j === k.length) return true;
        }
      }
      prev = cur;
    }
    return false;
  }
}
