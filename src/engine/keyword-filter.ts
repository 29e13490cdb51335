/**
 * A byte-level test for "does this text contain any rule keyword?", case-insensitive, run on the
 * raw bytes so text without any keyword is never converted to a string.
 *
 * Each position's three case-folded bytes are hashed into a small table that marks one triple of
 * every keyword; only where the table says so is a keyword compared in full. Three bytes instead
 * of two matter: pairs such as "to", "re" or "pa" start keywords and fill ordinary code, their
 * triples much less so. Which triple: the least common one of the keyword (see `anchorOf`), not
 * simply its first - a pack with keywords like "intercom_token" or "confluent_api" would otherwise
 * stop at every "int" and "con" of ordinary code. Two-byte keywords take every triple they can
 * start; one-byte keywords get a pass of their own.
 */
import { TRIPLE_RANK } from './triples.js';

const FOLD = new Uint8Array(256);
for (let c = 0; c < 256; c++) FOLD[c] = c >= 65 && c <= 90 ? c + 32 : c;

/**
 * How often a (case-folded) byte turns up in source code and prose, roughly: letters by their
 * English frequency, then digits, then punctuation. Only the ranking matters: it picks which of a
 * keyword's triples the filter stops at.
 */
const COMMON = new Uint8Array(256);
for (let c = 0; c < 256; c++) COMMON[c] = 1;
for (const ch of ' etaoinsr') COMMON[ch.charCodeAt(0)] = 9;
for (const ch of 'hldcumpfg') COMMON[ch.charCodeAt(0)] = 7;
for (const ch of 'ywbvk_.') COMMON[ch.charCodeAt(0)] = 5;
for (const ch of 'xjqz-0123456789/:="\'') COMMON[ch.charCodeAt(0)] = 3;

/**
 * Offset of the keyword's least frequent triple: first by the measured ranking of common triples,
 * then (for triples that ranking does not list) by how common their characters are.
 */
function anchorOf(k: Uint8Array): number {
  let best = 0;
  let bestScore = Infinity;
  for (let i = 0; i + 3 <= k.length; i++) {
    const rank = TRIPLE_RANK.get(String.fromCharCode(k[i]!, k[i + 1]!, k[i + 2]!));
    const score =
      (rank === undefined ? 0 : 100 * (TRIPLE_RANK.size - rank)) +
      COMMON[k[i]!]! +
      COMMON[k[i + 1]!]! +
      COMMON[k[i + 2]!]!;
    if (score < bestScore) {
      best = i;
      bestScore = score;
    }
  }
  return best;
}

const TABLE_BITS = 16;
const slot = (triple: number) => Math.imul(triple, 0x9e3779b1) >>> (32 - TABLE_BITS);

/** A keyword, lower case, and where its anchoring triple starts. */
interface Anchored {
  word: string;
  codes: Uint8Array;
  off: number;
}

/** The slot table both classes below share: each keyword marked at its anchoring triple. */
function anchorTable(keywords: Iterable<string>, onSkipped: (word: string) => void) {
  const marked = new Uint8Array(1 << TABLE_BITS);
  // a dense array, not a Map: it is read at every marked position of every scanned byte
  const bySlot: Anchored[][] = new Array(1 << TABLE_BITS);
  let longest = 0;
  const mark = (triple: number, k: Anchored) => {
    const s = slot(triple);
    marked[s] = 1;
    const list = (bySlot[s] ??= []);
    if (!list.some((x) => x.word === k.word)) list.push(k);
  };
  for (const raw of keywords) {
    const word = raw.toLowerCase();
    const codes = Uint8Array.from(Buffer.from(word, 'latin1'));
    longest = Math.max(longest, codes.length);
    if (codes.length < 2) {
      onSkipped(word);
      continue;
    }
    if (codes.length === 2) {
      const k = { word, codes, off: 0 };
      for (let c = 0; c < 256; c++) if (FOLD[c] === c) mark((codes[0]! << 16) | (codes[1]! << 8) | c, k);
      continue;
    }
    const off = anchorOf(codes);
    mark((codes[off]! << 16) | (codes[off + 1]! << 8) | codes[off + 2]!, { word, codes, off });
  }
  return { marked, bySlot, longest };
}

export class KeywordFilter {
  private readonly marked: Uint8Array;
  private readonly bySlot: Anchored[][];
  private readonly single = new Uint8Array(256);
  private hasSingle = false;
  /** Length of the longest keyword, in bytes. */
  readonly longest: number = 0;

  constructor(keywords: Iterable<string>) {
    const t = anchorTable(keywords, (word) => {
      if (word.length === 1) {
        this.single[word.charCodeAt(0) & 0xff] = 1;
        this.hasSingle = true;
      }
    });
    this.marked = t.marked;
    this.bySlot = t.bySlot;
    this.longest = t.longest;
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
      if (marked[slot(triple)] !== 0 && this.confirm(slot(triple), buf, i - 2, start, end)) return true;
    }
    return false;
  }

  /** Does a keyword anchored at this slot occur with its anchor at `anchor`? */
  private confirm(s: number, buf: Uint8Array, anchor: number, start: number, end: number): boolean {
    for (const k of this.bySlot[s]!) {
      const at = anchor - k.off;
      if (at < start || at + k.codes.length > end) continue;
      let j = 0;
      while (j < k.codes.length && FOLD[buf[at + j]!] === k.codes[j]) j++;
      if (j === k.codes.length) return true;
    }
    return false;
  }
}

/**
 * Where keywords occur in decoded text, for the detector: the same hashed triples as
 * KeywordFilter, over a string's char codes. Unlike one regex alternation of every keyword, its
 * cost does not grow with the number of keywords (the alternation tries each keyword at each
 * position, so a pack of 300 keywords read text at a third of the speed of one of 90), and it
 * reports every keyword at a position, not only the longest - so 'secret_' and 'secret' both wake
 * their rules where the text says secret_key.
 */
export class KeywordIndex {
  private readonly marked: Uint8Array;
  private readonly bySlot: Anchored[][];
  /** False when a keyword is not plain ASCII; the caller then uses its regex instead. */
  readonly usable: boolean = true;

  constructor(keywords: Iterable<string>) {
    const list = [...keywords];
    // case folding beyond ASCII (and one-character keywords) is left to the regex
    if (list.some((w) => w.length < 2 || /[^\x20-\x7e]/.test(w))) this.usable = false;
    const t = anchorTable(list, () => {});
    this.marked = t.marked;
    this.bySlot = t.bySlot;
  }

  /**
   * Calls `found` for every keyword occurrence in text[0, end), ordered by where each keyword's
   * anchoring triple is (close to text order; the detector's windows do not depend on it).
   */
  each(text: string, end: number, found: (at: number, word: string) => void): void {
    if (end < 2) return;
    const marked = this.marked;
    let c = text.charCodeAt(0);
    let triple = c < 256 ? FOLD[c]! : 0;
    c = text.charCodeAt(1);
    triple = (triple << 8) | (c < 256 ? FOLD[c]! : 0);
    for (let i = 2; i <= end; i++) {
      c = i < end ? text.charCodeAt(i) : 0;
      triple = ((triple << 8) | (c < 256 ? FOLD[c]! : 0)) & 0xffffff;
      const s = slot(triple);
      if (marked[s] === 0) continue;
      for (const k of this.bySlot[s]!) {
        const at = i - 2 - k.off;
        const codes = k.codes;
        if (at < 0 || at + codes.length > end) continue;
        let j = 0;
        for (; j < codes.length; j++) {
          const d = text.charCodeAt(at + j);
          if ((d < 256 ? FOLD[d]! : 0) !== codes[j]) break;
        }
        if (j === codes.length) found(at, k.word);
      }
    }
  }
}
