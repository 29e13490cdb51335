/**
 * A byte-level test for "does this text contain any rule keyword?", case-insensitive, run on the
 * raw bytes so text without any keyword is never converted to a string.
 *
 * Each position's three case-folded bytes are hashed into a small table that marks the first three
 * bytes of every keyword; only where the table says so is a keyword compared in full. Three bytes
 * instead of two matter: pairs such as "to", "re" or "pa" start keywords and fill ordinary code,
 * their triples much less so. Two-byte keywords take every triple they can start; one-byte
 * keywords get a pass of their own.
 */
const FOLD = new Uint8Array(256);
for (let c = 0; c < 256; c++) FOLD[c] = c >= 65 && c <= 90 ? c + 32 : c;

const TABLE_BITS = 16;
const slot = (triple: number) => Math.imul(triple, 0x9e3779b1) >>> (32 - TABLE_BITS);

export class KeywordFilter {
  private readonly marked = new Uint8Array(1 << TABLE_BITS);
  private readonly bySlot = new Map<number, Uint8Array[]>();
  private readonly single = new Uint8Array(256);
  private readonly hasSingle: boolean = false;
  /** Length of the longest keyword, in bytes. */
  readonly longest: number = 0;

  constructor(keywords: Iterable<string>) {
    const mark = (triple: number, k: Uint8Array) => {
      const s = slot(triple);
      this.marked[s] = 1;
      const list = this.bySlot.get(s) ?? [];
      if (!list.some((x) => Buffer.compare(x, k) === 0)) list.push(k);
      this.bySlot.set(s, list);
    };
    for (const word of keywords) {
      const k = Uint8Array.from(Buffer.from(word.toLowerCase(), 'latin1'));
      this.longest = Math.max(this.longest, k.length);
      if (k.length === 0) continue;
      if (k.length === 1) {
        this.single[k[0]!] = 1;
        this.hasSingle = true;
        continue;
      }
      if (k.length === 2) {
        for (let c = 0; c < 256; c++) if (FOLD[c] === c) mark((k[0]! << 16) | (k[1]! << 8) | c, k);
        continue;
      }
      mark((k[0]! << 16) | (k[1]! << 8) | k[2]!, k);
    }
  }

  /** True if any keyword occurs in buf[start, end). */
  any(buf: Uint8Array, start: number, end: number): boolean {
    if (end - start < 1) return false;
    if (this.hasSingle) {
      for (let i = start; i < end; i++) if (this.single[FOLD[buf[i]!]!]) return true;
    }
    if (end - start < 2) return false;
    const marked = this.marked;
    // The last two bytes start no triple of the region's own. A two-byte keyword marks its pair
    // followed by any byte, 0 included, so one more step reads a 0 past the end. The same step as
    // the others, not a check of its own: code reached only on rare text would have the optimising
    // compiler throw its work away each time that text turns up.
    let triple = (FOLD[buf[start]!]! << 8) | FOLD[buf[start + 1]!]!;
    for (let i = start + 2; i <= end; i++) {
      triple = ((triple << 8) | (i < end ? FOLD[buf[i]!]! : 0)) & 0xffffff;
      if (marked[slot(triple)] !== 0 && this.confirm(slot(triple), buf, i - 2, end)) return true;
    }
    return false;
  }

  private confirm(s: number, buf: Uint8Array, at: number, end: number): boolean {
    for (const k of this.bySlot.get(s)!) {
      if (at + k.length > end) continue;
      let j = 0;
      while (j < k.length && FOLD[buf[at + j]!] === k[j]) j++;
      if (j === k.length) return true;
    }
    return false;
  }
}
