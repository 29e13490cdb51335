/**
 * The history scan's blob scanner reuses work across versions of a file (chunks seen before, the
 * previous version's bytes, edits to keyword-free files). Whatever it reuses, each version must get
 * exactly the matches a scanner with no memory would find in it.
 */
import { describe, expect, it } from 'vitest';
import { BlobScanner, matchesOf, type BlobMatch } from '../src/engine/blob-scan.js';
import { commonPrefix, commonSuffix, editHasKeyword } from '../src/engine/edit-regions.js';
import { compileRuleset } from '../src/engine/compile.js';
import { KeywordFilter } from '../src/engine/keyword-filter.js';
import { loadDefaultRules } from '../src/engine/rule-pack.js';
import { checksummedToken } from './helpers.js';

const ruleset = compileRuleset(await loadDefaultRules());
const TOKEN = checksummedToken('ghp', 'aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1');

/** A deterministic pseudo-random source, so a failure replays. */
function rng(seed: number): () => number {
  return () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
}

const naivePrefix = (a: Buffer, b: Buffer) => {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
};
const naiveSuffix = (a: Buffer, b: Buffer, max: number) => {
  let i = 0;
  while (i < max && a[a.length - 1 - i] === b[b.length - 1 - i]) i++;
  return i;
};
const sorted = (ms: BlobMatch[]) => ms.map((m) => `${m.ruleId}:${m.line}:${m.column}:${m.secret}`).sort();

describe('common prefix and suffix', () => {
  it('agree with a byte-by-byte count on random edits', () => {
    const r = rng(7);
    for (let n = 0; n < 300; n++) {
      const a = Buffer.from(Array.from({ length: Math.floor(r() * 300) }, () => 97 + Math.floor(r() * 3)));
      const cut = Math.floor(r() * (a.length + 1));
      const ins = Buffer.from(Array.from({ length: Math.floor(r() * 5) }, () => 97 + Math.floor(r() * 3)));
      const b = Buffer.concat([a.subarray(0, cut), ins, a.subarray(Math.min(a.length, cut + Math.floor(r() * 4)))]);
      const p = commonPrefix(a, b);
      expect(p).toBe(naivePrefix(a, b));
      const max = Math.min(a.length, b.length) - p;
      expect(commonSuffix(a, b, a.length, b.length, max)).toBe(naiveSuffix(a, b, max));
    }
  });
});

describe('edits to a keyword-free file', () => {
  const filter = new KeywordFilter(ruleset.byKeyword.keys());
  /** Counts the bytes handed to the filter, to show the copied text is not filtered again. */
  class Counting extends KeywordFilter {
    bytes = 0;
    override any(buf: Uint8Array, start: number, end: number): boolean {
      this.bytes += end - start;
      return super.any(buf, start, end);
    }
  }

  it('finds a keyword exactly when filtering the whole new version would, over scattered edits', () => {
    const r = rng(5);
    const word = () =>
      Array.from({ length: 1 + Math.floor(r() * 8) }, () => 'bcdfjlmvz0123456789'[Math.floor(r() * 19)]).join('');
    const pieces = ['gh', 'p_', 'ghp_', 'to', 'ken', 'token', '', '\n\n', 'sec', 'ret', 'q', '~'];
    let hits = 0;
    for (let n = 0; n < 200; n++) {
      // halves of keywords, but no keyword: the premise is an old version without one
      const halves = ['gh', 'p_', 'to', 'ken', 'sec', 'ret', 'q'];
      const words = Array.from({ length: 200 + Math.floor(r() * 3000) }, () =>
        r() < 0.05 ? halves[Math.floor(r() * halves.length)]! : word(),
      );
      const old = Buffer.from(words.join(' '), 'latin1');
      expect(filter.any(old, 0, old.length)).toBe(false);
      let neu = old;
      for (let e = Math.floor(r() * 6); e >= 0; e--) {
        // delete, insert or replace somewhere; a deletion can join 'gh' and 'p_' across far-apart text
        const at = Math.floor(r() * neu.length);
        const cut = r() < 0.5 ? Math.floor(r() * (r() < 0.2 ? 3000 : 20)) : 0;
        const ins =
          r() < 0.6
            ? Buffer.from(r() < 0.5 ? pieces[Math.floor(r() * pieces.length)]! : word(), 'latin1')
            : Buffer.alloc(0);
        neu = Buffer.concat([neu.subarray(0, at), ins, neu.subarray(Math.min(neu.length, at + cut))]);
      }
      const want = filter.any(neu, 0, neu.length);
      if (want) hits++;
      expect(editHasKeyword(filter, old, neu), `case ${n}`).toBe(want);
    }
    expect(hits).toBeGreaterThan(20);
  });

  it('filters only around the edits, not the text they left alone', () => {
    const lines = Array.from({ length: 4000 }, (_, i) => `line ${i} of a long changelog with nothing to hide`);
    const old = Buffer.from(lines.join('\n'));
    const edited = [...lines];
    edited[100] = 'an edited line near the top';
    edited.splice(2000, 3);
    edited[3900] += ' and an addition near the end';
    const counting = new Counting(ruleset.byKeyword.keys());
    expect(editHasKeyword(counting, old, Buffer.from(edited.join('\n')))).toBe(false);
    expect(counting.bytes).toBeLessThan(1000);
    edited[3000] = `token = ${TOKEN}`;
    expect(editHasKeyword(counting, old, Buffer.from(edited.join('\n')))).toBe(true);
  });
});

describe('keyword filter', () => {
  it('agrees with a case-folded substring search, one-byte keywords included', () => {
    const words = ['tok', 'ghp_', 'q~', 'x'];
    const f = new KeywordFilter(words);
    const r = rng(11);
    const alphabet = 'tTokKgGhHpP_q~ ';
    for (let n = 0; n < 500; n++) {
      const s =
        Array.from({ length: Math.floor(r() * 40) }, () => alphabet[Math.floor(r() * alphabet.length)]).join('') +
        (r() < 0.1 ? 'X' : '');
      const start = Math.floor(r() * (s.length + 1));
      const end = start + Math.floor(r() * (s.length - start + 1));
      const want = words.some((w) => s.slice(start, end).toLowerCase().includes(w));
      expect(f.any(Buffer.from(s, 'latin1'), start, end), JSON.stringify([s, start, end])).toBe(want);
    }
    expect(f.longest).toBe(4);
  });
});

describe('versions of one file', () => {
  /** Scans the versions in order with one scanner, and each on its own with a fresh one. */
  function compare(versions: string[]): void {
    const shared = new BlobScanner(ruleset);
    versions.forEach((v, i) => {
      const buf = Buffer.from(v, 'latin1');
      const got = shared.scan(`v${i}`, buf, 'config/settings.txt');
      const alone = new BlobScanner(ruleset).scan(`v${i}`, buf);
      expect(sorted(matchesOf(got)), `version ${i}`).toEqual(sorted(matchesOf(alone)));
    });
  }

  it('finds a keyword that an edit forms across its own boundary', () => {
    // 'gh' + '_' is no keyword; inserting one 'p' makes 'ghp_' from bytes on both sides of the edit
    const before = `intro line\nvalue = gh_${TOKEN.slice(4)}\nlast line\n`;
    const after = before.replace('gh_', 'ghp_');
    compare([before, after, before, after]);
    const shared = new BlobScanner(ruleset);
    shared.scan('a', Buffer.from(before), 'f');
    expect(matchesOf(shared.scan('b', Buffer.from(after), 'f')).map((m) => m.secret)).toEqual([TOKEN]);
  });

  it('matches a scanner without memory over random edits of small and large files', () => {
    const r = rng(3);
    const filler = () => Array.from({ length: 6 }, () => Math.floor(r() * 1e9).toString(36)).join(' ');
    const special = [`token = ${TOKEN}`, 'gh', 'p_', '', `ghp_${TOKEN.slice(4, 20)}`, 'password: hunter2hunter2', '#'];
    for (const lines of [20, 400]) {
      let doc = Array.from({ length: lines }, filler);
      const versions: string[] = [];
      for (let v = 0; v < 60; v++) {
        const at = Math.floor(r() * (doc.length + 1));
        const op = r();
        const line = r() < 0.3 ? special[Math.floor(r() * special.length)]! : filler();
        if (op < 0.4) doc.splice(at, 0, line);
        else if (op < 0.7 && doc.length > 1) doc.splice(at, 1);
        else if (op < 0.85 && at < doc.length) doc[at] = doc[at]!.slice(0, Math.floor(r() * doc[at]!.length)) + line;
        else doc = doc.map((l, i) => (i === at ? `${l}\n` : l)); // a blank line moves the chunk cuts
        versions.push(`${doc.join('\n')}\n`);
      }
      compare(versions);
    }
  });
});
