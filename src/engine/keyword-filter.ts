/**
 * A byte-level test for "does this text contain any rule keyword?", case-insensitive, run on the
 * raw bytes so text without any keyword is never converted to a string, and the same test over a
 * decoded string that reports where each keyword is (the detector's index).
 *
 * At each position the last four case-folded bytes (a quad) and the last three (a triple) are
 * hashed into one table of 2^20 bits that marks one quad of every keyword of four or more bytes and
 * the triple of every three-byte keyword; only where a bit is set is a keyword compared in full.
 * Which quad: the least common one of the keyword (see `anchorOf`), not simply its first - a pack
 * with keywords like "intercom_token" or "private key" would otherwise stop at every "inte" and
 * "priv" of ordinary code. Measured on the history of a large JavaScript project, quads stop at a
 * thirtieth as many places as the best triples would, which is what keeps the filter's cost flat
 * as the pack grows. Two-byte keywords mark every triple they can start; one-byte keywords get a
 * pass of their own.
 */
import { tripleRank } from './triples.js';
import { WASM as KEYWORDS_WASM } from './wasm/keywords.js';

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

/** How common a triple is: by the measured ranking of common triples, then by its characters. */
function tripleScore(ranks: ReadonlyMap<string, number>, k: Uint8Array, i: number): number {
  const rank = ranks.get(String.fromCharCode(k[i]!, k[i + 1]!, k[i + 2]!));
  return (
    (rank === undefined ? 0 : 100 * (ranks.size - rank)) + COMMON[k[i]!]! + COMMON[k[i + 1]!]! + COMMON[k[i + 2]!]!
  );
}

/**
 * Offset of the keyword's least frequent quad (a quad is at most as common as the rarer of its two
 * triples, so that decides; the quad's fourth character breaks ties). Three-byte keywords anchor
 * at 0, on their only triple.
 */
function anchorOf(word: string): number {
  const known = anchorCache.get(word);
  if (known !== undefined) return known;
  const k = codesOf(word);
  const ranks = tripleRank();
  let best = 0;
  let bestScore = Infinity;
  for (let i = 0; i + 4 <= k.length; i++) {
    const score =
      10 * Math.min(tripleScore(ranks, k, i), tripleScore(ranks, k, i + 1)) + COMMON[k[i]!]! + COMMON[k[i + 3]!]!;
    if (score < bestScore) {
      best = i;
      bestScore = score;
    }
  }
  anchorCache.set(word, best);
  return best;
}

/**
 * Anchors chosen by counting: for each keyword of four or more bytes, the quad that occurs least
 * often in `sample` (ordinary code and prose), ties broken as `anchorOf` would. The build runs this
 * over the shipped pack (see scripts/build.mjs) and seeds the result; a guess from character
 * frequencies stops at common endings like "com/" or "p://", a count does not.
 */
export function countAnchors(
  keywords: Iterable<string>,
  sample: Iterable<Uint8Array>,
): [word: string, offset: number][] {
  const words = [...new Set([...keywords].map((w) => w.toLowerCase()))].filter((w) => w.length >= 4);
  const quadOf = (c: Uint8Array, i: number) => ((c[i]! << 24) | (c[i + 1]! << 16) | (c[i + 2]! << 8) | c[i + 3]!) >>> 0;
  const counts = new Map<number, number>();
  for (const w of words) {
    const c = codesOf(w);
    for (let i = 0; i + 4 <= c.length; i++) counts.set(quadOf(c, i), 0);
  }
  for (const buf of sample) {
    let q = 0;
    for (let i = 0; i < buf.length; i++) {
      q = ((q << 8) | FOLD[buf[i]!]!) >>> 0;
      const n = counts.get(q);
      if (n !== undefined) counts.set(q, n + 1);
    }
  }
  return words.map((w) => {
    const c = codesOf(w);
    const guess = anchorOf(w);
    let best = guess;
    for (let i = 0; i + 4 <= c.length; i++) if (counts.get(quadOf(c, i))! < counts.get(quadOf(c, best))!) best = i;
    return [w, best];
  });
}

/** Keyword -> anchor offset; the build seeds it with the shipped pack's, so start-up skips ranking. */
const anchorCache = new Map<string, number>();

export function seedAnchors(entries: [word: string, offset: number][]): void {
  for (const [w, off] of entries) anchorCache.set(w, off);
}

/** The anchors worked out so far (the build saves the shipped pack's). */
export function knownAnchors(): [word: string, offset: number][] {
  return [...anchorCache];
}

/** One table of 2^20 bits for quads and triples alike (a collision only costs a comparison). */
const TABLE_BITS = 20;
const hashOf = (x: number) => Math.imul(x, 0x9e3779b1) >>> (32 - TABLE_BITS);
/**
 * Each anchor's second bit in the same table. The WebAssembly loop stops only where both bits are
 * set: with the first alone, about one position in 800 of 20 staged lodash files was a collision
 * with some anchor, each a call into JavaScript to compare keywords that were not there (1,426 of
 * them against 4 real keywords). The JavaScript loops test the first bit only, which the second
 * marks can only add to.
 */
const secondHashOf = (x: number) => Math.imul(x, 0x85ebca77) >>> (32 - TABLE_BITS);
const isSet = (bits: Uint8Array, h: number) => (bits[h >>> 3]! & (1 << (h & 7))) !== 0;

/** A keyword, lower case, and where its anchor (a quad, or a triple for short keywords) starts. */
interface Anchored {
  word: string;
  off: number;
}

interface AnchorTable {
  bits: Uint8Array;
  /** Hash -> keywords anchored on a quad / on a triple there (sparse: only hashes that are set). */
  quads: Map<number, Anchored[]>;
  triples: Map<number, Anchored[]>;
  longest: number;
}

const codesOf = (word: string) => {
  const codes = new Uint8Array(word.length);
  for (let i = 0; i < word.length; i++) codes[i] = word.charCodeAt(i) & 0xff;
  return codes;
};

/** The bit table both classes below share: each keyword marked at its anchor. */
function anchorTable(keywords: Iterable<string>, onSkipped: (word: string) => void): AnchorTable {
  const bits = new Uint8Array(1 << (TABLE_BITS - 3));
  // The bits are set now; the hash -> keywords maps, which only a set bit's comparison reads, wait
  // for the first one: a pre-commit run of a few short files often never compares anything.
  const anchors: Anchored[] = [];
  const xs: number[] = [];
  const onQuad: boolean[] = [];
  let longest = 0;
  const mark = (x: number, k: Anchored, quad: boolean) => {
    const h = hashOf(x);
    bits[h >>> 3]! |= 1 << (h & 7);
    const h2 = secondHashOf(x);
    bits[h2 >>> 3]! |= 1 << (h2 & 7);
    anchors.push(k);
    xs.push(x);
    onQuad.push(quad);
  };
  for (const raw of keywords) {
    const word = raw.toLowerCase();
    // the word's own char codes, low byte as the byte loops see them (no array per keyword: a
    // pre-commit run builds this table for 514 of them)
    const code = (i: number) => word.charCodeAt(i) & 0xff;
    longest = Math.max(longest, word.length);
    if (word.length < 2) {
      onSkipped(word);
      continue;
    }
    const k = { word, off: 0 };
    if (word.length === 2) {
      for (let c = 0; c < 256; c++) if (FOLD[c] === c) mark((code(0) << 16) | (code(1) << 8) | c, k, false);
    } else if (word.length === 3) {
      mark((code(0) << 16) | (code(1) << 8) | code(2), k, false);
    } else {
      k.off = anchorOf(word);
      const o = k.off;
      mark(((code(o) << 24) | (code(o + 1) << 16) | (code(o + 2) << 8) | code(o + 3)) >>> 0, k, true);
    }
  }
  let maps: { quads: Map<number, Anchored[]>; triples: Map<number, Anchored[]> } | undefined;
  const build = () => {
    const quads = new Map<number, Anchored[]>();
    const triples = new Map<number, Anchored[]>();
    for (let i = 0; i < anchors.length; i++) {
      const k = anchors[i]!;
      const into = onQuad[i] ? quads : triples;
      const h = hashOf(xs[i]!);
      const list = into.get(h);
      if (!list) into.set(h, [k]);
      else if (!list.some((y) => y.word === k.word)) list.push(k);
    }
    return { quads, triples };
  };
  return {
    bits,
    get quads() {
      return (maps ??= build()).quads;
    },
    get triples() {
      return (maps ??= build()).triples;
    },
    longest,
  };
}

/**
 * The keywords anchored where position i ends a quad or triple with these hashes that really are in
 * `at(j)` (folded char code at j) within [start, end).
 */
function confirmAt(
  t: AnchorTable,
  q: number,
  i: number,
  start: number,
  end: number,
  at: (j: number) => number,
  found: (pos: number, word: string) => boolean,
): boolean {
  const h4 = hashOf(q);
  const h3 = hashOf(q & 0xffffff);
  for (const [list, back] of [
    [t.quads.get(h4), 3],
    [t.triples.get(h3), 2],
  ] as const) {
    if (!list) continue;
    for (const k of list) {
      const pos = i - back - k.off;
      const word = k.word;
      if (pos < start || pos + word.length > end) continue;
      let j = 0;
      while (j < word.length && at(pos + j) === (word.charCodeAt(j) & 0xff)) j++;
      if (j === word.length && found(pos, word)) return true;
    }
  }
  return false;
}

/** Regions shorter than this are scanned in JavaScript: crossing into WebAssembly costs more. */
const NATIVE_MIN = 512;

export class KeywordFilter {
  private readonly table: AnchorTable;
  private readonly native: NativeScan | undefined;
  private readonly single = new Uint8Array(256);
  private hasSingle = false;
  /** Length of the longest keyword, in bytes. */
  readonly longest: number = 0;

  /** `native: false` keeps to the JavaScript loop (the tests hold the two to the same answers). */
  constructor(keywords: Iterable<string>, opts: { native?: boolean } = {}) {
    this.table = anchorTable(keywords, (word) => {
      if (word.length === 1) {
        this.single[word.charCodeAt(0) & 0xff] = 1;
        this.hasSingle = true;
      }
    });
    this.longest = this.table.longest;
    this.native = opts.native === false ? undefined : nativeScan(this.table.bits);
  }

  /** True if any keyword occurs in buf[start, end). */
  any(buf: Uint8Array, start: number, end: number): boolean {
    if (end - start < 1) return false;
    if (this.hasSingle) {
      for (let i = start; i < end; i++) if (this.single[FOLD[buf[i]!]!]) return true;
    }
    if (end - start < 2) return false;
    if (this.native && end - start >= NATIVE_MIN) {
      const fold = (j: number) => (j >= start && j < end ? FOLD[buf[j]!]! : 0);
      return this.native.bytes(buf, start, end, (r) => {
        const i = start + r;
        const q = (fold(i - 3) << 24) | (fold(i - 2) << 16) | (fold(i - 1) << 8) | fold(i);
        return this.confirm(q, buf, i, start, end);
      });
    }
    const bits = this.table.bits;
    // The last two bytes start no triple of the region's own. A two-byte keyword marks its pair
    // followed by any byte, 0 included, so one more step reads a 0 past the end. The same step as
    // the others, not a check of its own: code reached only on rare text would have the optimising
    // compiler throw its work away each time that text turns up. (The quad of the first steps
    // holds zeros for bytes before the region; a bit it sets is only a comparison that fails.)
    let q = (FOLD[buf[start]!]! << 8) | FOLD[buf[start + 1]!]!;
    for (let i = start + 2; i <= end; i++) {
      q = (q << 8) | (i < end ? FOLD[buf[i]!]! : 0);
      if ((isSet(bits, hashOf(q)) || isSet(bits, hashOf(q & 0xffffff))) && this.confirm(q, buf, i, start, end))
        return true;
    }
    return false;
  }

  private confirm(q: number, buf: Uint8Array, i: number, start: number, end: number): boolean {
    return confirmAt(
      this.table,
      q,
      i,
      start,
      end,
      (j) => FOLD[buf[j]!]!,
      () => true,
    );
  }
}

/**
 * Where keywords occur in decoded text, for the detector: the same hashed quads and triples as
 * KeywordFilter, over a string's char codes. Unlike one regex alternation of every keyword, its
 * cost does not grow with the number of keywords (the alternation tries each keyword at each
 * position, so a pack of 300 keywords read text at a third of the speed of one of 90), and it
 * reports every keyword at a position, not only the longest - so 'secret_' and 'secret' both wake
 * their rules where the text says secret_key.
 */
export class KeywordIndex {
  private readonly table: AnchorTable;
  /** False when a keyword is not plain ASCII; the caller then uses its regex instead. */
  readonly usable: boolean = true;
  /** The scan loop compiled ahead of time, where WebAssembly runs; else the JavaScript loop below. */
  private readonly native: NativeScan | undefined;

  /** `native: false` keeps to the JavaScript loop (the tests hold the two to the same answers). */
  constructor(keywords: Iterable<string>, opts: { native?: boolean } = {}) {
    const list = [...keywords];
    // case folding beyond ASCII (and one-character keywords) is left to the regex
    if (list.some((w) => w.length < 2 || /[^\x20-\x7e]/.test(w))) this.usable = false;
    this.table = anchorTable(list, () => {});
    this.native = opts.native === false ? undefined : nativeScan(this.table.bits);
  }

  /** True when the index runs its WebAssembly loop (false without WebAssembly, or with `native: false`). */
  get fast(): boolean {
    return this.usable && this.native !== undefined;
  }

  /**
   * Calls `found` for every keyword occurrence in text[0, end), ordered by where each keyword's
   * anchor ends (close to text order; the detector's windows do not depend on it). `bytes`: the
   * text as bytes, one per character, copied in instead of the string written out.
   */
  each(text: string, end: number, found: (at: number, word: string) => void, bytes?: Uint8Array): void {
    if (end < 2) return;
    const fold = (j: number) => {
      const d = text.charCodeAt(j);
      return d < 256 ? FOLD[d]! : 0;
    };
    const report = (at: number, word: string) => {
      found(at, word);
      return false; // every occurrence, not just the first
    };
    if (this.native) {
      const candidate = (i: number) => {
        const q =
          ((i >= 3 ? fold(i - 3) : 0) << 24) | (fold(i - 2) << 16) | (fold(i - 1) << 8) | (i < end ? fold(i) : 0);
        return confirmAt(this.table, q, i, 0, end, fold, report);
      };
      if (bytes && bytes.length >= end) this.native.bytes(bytes, 0, end, candidate);
      else this.native.text(text, end, candidate);
      return;
    }
    const bits = this.table.bits;
    let q = (fold(0) << 8) | fold(1);
    for (let i = 2; i <= end; i++) {
      q = (q << 8) | (i < end ? fold(i) : 0);
      if (isSet(bits, hashOf(q)) || isSet(bits, hashOf(q & 0xffffff)))
        confirmAt(this.table, q, i, 0, end, fold, report);
    }
  }
}

/**
 * The WebAssembly scan (wasm/keywords.wat) over one bit table: calls `candidate` with each position
 * (counted from the start of the text or region) where the table says a keyword may end there, until
 * it returns true; returns whether one did.
 */
interface NativeScan {
  text(text: string, end: number, candidate: (i: number) => boolean): boolean;
  bytes(buf: Uint8Array, start: number, end: number, candidate: (i: number) => boolean): boolean;
}

let keywordsModule: WebAssembly.Module | null | undefined;

/** Text goes above the bit table; candidates are read out in batches of this many. */
const TEXT_AT = 1 << (TABLE_BITS - 3);
const BATCH = 16_384;
/**
 * Bytes one call scans at most. V8 runs a module first as its baseline compiler's code and swaps in
 * optimised code between calls, never inside one; a megabyte in one call would run at baseline
 * speed (measured: about three times the instructions per byte).
 */
const SLICE = 32_768;
const PAGE = 65_536;

function nativeScan(bits: Uint8Array): NativeScan | undefined {
  if (keywordsModule === undefined) {
    try {
      keywordsModule = new WebAssembly.Module(Buffer.from(KEYWORDS_WASM, 'base64'));
    } catch {
      keywordsModule = null; // no WebAssembly here (--jitless, a locked-down runtime): the JS loop
    }
  }
  if (!keywordsModule) return undefined;
  const exports = new WebAssembly.Instance(keywordsModule, {}).exports as {
    memory: WebAssembly.Memory;
    scan: (from: number, to: number, out: number, max: number) => number;
  };
  const memory = exports.memory;
  new Uint8Array(memory.buffer, 0, TEXT_AT).set(bits);
  /** Room for `len` bytes of text, a zero after them (for the last triple) and the candidate batch. */
  const room = (len: number) => {
    const out = (TEXT_AT + len + 1 + 3) & ~3;
    const need = out + BATCH * 4;
    if (need > memory.buffer.byteLength) memory.grow(Math.ceil((need - memory.buffer.byteLength) / PAGE));
    return out;
  };
  const run = (len: number, out: number, candidate: (i: number) => boolean): boolean => {
    new Uint8Array(memory.buffer)[TEXT_AT + len] = 0;
    const found = new Uint32Array(memory.buffer, out, BATCH);
    const last = TEXT_AT + len;
    let from = TEXT_AT + 2;
    for (;;) {
      const to = Math.min(last, from + SLICE - 1);
      const n = exports.scan(from, to, out, BATCH);
      for (let k = 0; k < n; k++) if (candidate(found[k]! - TEXT_AT)) return true;
      if (n === BATCH) from = found[n - 1]! + 1;
      else if (to === last) return false;
      else from = to + 1;
    }
  };
  return {
    text(text, end, candidate) {
      const out = room(end);
      // one byte per char, its low byte, so string offsets are byte offsets
      Buffer.from(memory.buffer).write(text, TEXT_AT, end, 'latin1');
      return run(end, out, candidate);
    },
    bytes(buf, start, end, candidate) {
      const out = room(end - start);
      new Uint8Array(memory.buffer).set(buf.subarray(start, end), TEXT_AT);
      return run(end - start, out, candidate);
    },
  };
}
