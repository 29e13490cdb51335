/**
 * The keyword filter and index anchor each keyword on its least frequent triple; whatever triple
 * they pick, they must find exactly what a plain substring search finds.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { countAnchors, KeywordFilter, KeywordIndex } from '../src/engine/keyword-filter.js';
import { WASM } from '../src/engine/wasm/keywords.js';
import { compileRuleset } from '../src/engine/compile.js';
import { detectContent } from '../src/engine/detect.js';
import { loadDefaultRules } from '../src/engine/rule-pack.js';

/** A deterministic pseudo-random source, so a failure replays. */
function rng(seed: number): () => number {
  return () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
}

const KEYWORDS = [
  'rollbar',
  'secret',
  'secret_',
  'ghp_',
  'Q~',
  'sk-ant-',
  'callback',
  'intercom_token',
  'ab',
  'xoxb-',
  'hf_',
  'eyJ',
  'private key',
];
const PIECES = [
  'roll',
  'bar',
  'call',
  'back',
  'SECRET',
  'sec',
  'ret_',
  'gh',
  'p_',
  'q~',
  'Q',
  '~',
  'sk-',
  'ant-',
  'INTER',
  'com_',
  'token',
  'a',
  'b',
  'xo',
  'xb-',
  'hf',
  '_',
  'ey',
  'J',
  'priv',
  'ate',
  ' key',
  ' ',
  '\n',
  'é',
];

function naive(text: string, words: string[]): [number, string][] {
  const lower = text.toLowerCase();
  const out: [number, string][] = [];
  for (const w of words.map((x) => x.toLowerCase())) {
    for (let i = lower.indexOf(w); i !== -1; i = lower.indexOf(w, i + 1)) out.push([i, w]);
  }
  return out.sort((a, b) => a[0] - b[0] || a[1].localeCompare(b[1]));
}

describe('keyword filter and index', () => {
  const filter = new KeywordFilter(KEYWORDS);
  const index = new KeywordIndex(KEYWORDS);
  // the same index without its WebAssembly loop: both loops must give the same answers
  const jsIndex = new KeywordIndex(KEYWORDS, { native: false });
  it('runs natively here (WebAssembly), so the differential below compares two loops', () => {
    expect(index.fast).toBe(true);
    expect(jsIndex.fast).toBe(false);
  });
  it('find every occurrence a substring search finds, overlapping ones included, on random text', () => {
    const r = rng(11);
    for (let n = 0; n < 400; n++) {
      const text = Array.from({ length: Math.floor(r() * 40) }, () => PIECES[Math.floor(r() * PIECES.length)]).join('');
      const want = naive(text, KEYWORDS);
      const buf = Buffer.from(text, 'latin1');
      // the string, and the bytes it was decoded from (copied in, not written out)
      for (const [ix, bytes] of [
        [index, undefined],
        [index, buf],
        [jsIndex, undefined],
      ] as const) {
        const got: [number, string][] = [];
        ix.each(text, text.length, (at, w) => got.push([at, w]), bytes);
        got.sort((a, b) => a[0] - b[0] || a[1].localeCompare(b[1]));
        expect(got, JSON.stringify(text)).toEqual(want);
      }
      expect(filter.any(buf, 0, buf.length), JSON.stringify(text)).toBe(want.length > 0);
    }
  });
  it('the byte filter gives the same answer in both loops on long regions, bounds included', () => {
    const jsFilter = new KeywordFilter(KEYWORDS, { native: false });
    const r = rng(23);
    for (let n = 0; n < 150; n++) {
      // mostly keyword-free filler, so many regions have no keyword or one near an edge
      const text = Array.from({ length: 300 + Math.floor(r() * 900) }, () =>
        r() < 0.97 ? 'lorem ' : PIECES[Math.floor(r() * PIECES.length)],
      ).join('');
      const buf = Buffer.from(text, 'latin1');
      const s = Math.floor(r() * 200);
      const e = buf.length - Math.floor(r() * 200);
      const want = naive(text, KEYWORDS).some(([at, w]) => at >= s && at + w.length <= e);
      expect(jsFilter.any(buf, s, e), `${s}..${e} ${JSON.stringify(text)}`).toBe(want);
      expect(filter.any(buf, s, e), `${s}..${e} ${JSON.stringify(text)}`).toBe(want);
    }
  });
  it('find every one of more occurrences than one native batch holds, and none past `end`', () => {
    // back to back, so a resumed scan that skipped one position would miss one; chars above 255 too
    const text = 'ab'.repeat(20_000) + 'hf_'.repeat(20_000) + 'éprivate key';
    for (const ix of [index, jsIndex]) {
      let n = 0;
      ix.each(text, text.length, () => n++);
      expect(n).toBe(40_001);
      n = 0;
      ix.each(text, text.length - 1, () => n++); // 'private ke' is no longer whole
      expect(n).toBe(40_000);
    }
  });
  it('anchor each keyword on the quad its sample holds least often', () => {
    const sample = [Buffer.from('com/ com/ com/ .com .com disc disc disco')];
    // 'com/', '.com' and 'disc' are common in the sample, 'isco' less so; 'scor', 'cord' not at all
    const [[, off]] = countAnchors(['discord.com/'], sample) as [[string, number]];
    expect(['scor', 'cord', 'ord.', 'rd.c', 'd.co']).toContain('discord.com/'.slice(off, off + 4));
  });
  it('the WebAssembly module is the assembled keywords.wat (npm run wasm after editing it)', async () => {
    const wabt = await (await import('wabt')).default();
    const wat = readFileSync(new URL('../src/engine/wasm/keywords.wat', import.meta.url), 'utf8');
    const mod = wabt.parseWat('keywords.wat', wat);
    expect(Buffer.from(mod.toBinary({}).buffer).toString('base64')).toBe(WASM);
  });
  it('respect region bounds: a keyword that starts before the region does not count', () => {
    const buf = Buffer.from('xxrollbarxx');
    expect(filter.any(buf, 2, 9)).toBe(true);
    expect(filter.any(buf, 3, 11)).toBe(false);
    expect(filter.any(buf, 0, 8)).toBe(false);
  });
  it('a keyword that contains another wakes both rules: the generic rule still sees SECRET_KEY', async () => {
    const ruleset = compileRuleset(await loadDefaultRules());
    const value = ['Jq7', 'vX2m', 'Lp9w', 'Rt4z', 'Nc8k'].join('');
    // both ways of finding keywords: the index, and the regex alternation (for keywords it cannot hold)
    for (const keywordRegex of [false, true]) {
      const found = detectContent(ruleset, 'settings.py', `SECRET_KEY = "${value}"\n`, { guardMs: 2000, keywordRegex });
      expect(
        found.map((f) => f.rule.id),
        `keywordRegex ${keywordRegex}`,
      ).toContain('generic-secret-assignment');
    }
  });
});

describe('keyword trie regex', () => {
  it('matches, at each position, the longest keyword a substring search finds there', async () => {
    const { keywordTrie } = await import('../src/engine/compile.js');
    const re = new RegExp(keywordTrie(KEYWORDS), 'gi');
    const r = rng(5);
    for (let n = 0; n < 400; n++) {
      const text = Array.from({ length: Math.floor(r() * 40) }, () => PIECES[Math.floor(r() * PIECES.length)]).join('');
      const want: [number, string][] = [];
      const lower = text.toLowerCase();
      for (let i = 0; i < lower.length; i++) {
        const here = KEYWORDS.map((k) => k.toLowerCase())
          .filter((k) => lower.startsWith(k, i))
          .sort((a, b) => b.length - a.length);
        if (here.length) want.push([i, here[0]!]);
      }
      const got: [number, string][] = [];
      re.lastIndex = 0;
      let m: RegExpExecArray | null;
      while ((m = re.exec(text)) !== null) {
        got.push([m.index, m[0].toLowerCase()]);
        re.lastIndex = m.index + 1;
      }
      expect(got, JSON.stringify(text)).toEqual(want);
    }
  });
});
