/** The engine on its own: prefilter, entropy, placeholders, suppression, fingerprints, redaction. */
import { describe, expect, it } from 'vitest';
import { compileRuleset, countGroups } from '../src/engine/compile.js';
import { detectContent } from '../src/engine/detect.js';
import { Engine } from '../src/engine/scan.js';
import { fingerprint, redact } from '../src/engine/fingerprint.js';
import { findNestedQuantifier } from '../src/engine/regex.js';
import { decode } from '../src/engine/text.js';
import { loadDefaultRules } from '../src/engine/rule-pack.js';
import { parseSize } from '../src/engine/units.js';
import type { RuleSpec } from '../src/engine/rule-spec.js';
import type { SourceItem } from '../src/types.js';
import { fake } from './helpers.js';

const pack = await loadDefaultRules();
const defaults = compileRuleset(pack);
const item = (path: string, content: string | Buffer, size?: number): SourceItem => {
  const buf = Buffer.isBuffer(content) ? content : Buffer.from(content);
  return { path, size: size ?? buf.length, read: async () => buf };
};
const scanOne = (i: SourceItem, ruleset = defaults, opts = {}) =>
  new Engine(ruleset, { maxContentBytes: 1e6, ...opts }).scanItem(i);

describe('keyword prefilter', () => {
  const spec: RuleSpec = { id: 'k', description: 'k', severity: 'low', regex: '([a-z]{4}[0-9]{4})', keywords: ['tok'] };
  it('a file without any keyword never reaches the regex', () => {
    const rs = compileRuleset([spec]);
    expect(detectContent(rs, 'a.txt', 'value abcd1234', { guardMs: 1000 })).toHaveLength(0);
    expect(detectContent(rs, 'a.txt', 'TOK value abcd1234', { guardMs: 1000 })).toHaveLength(1);
  });
  it('finds keywords that overlap each other', () => {
    const rs = compileRuleset([
      { id: 'a', description: 'a', severity: 'low', regex: '(abcd)', keywords: ['abcd'] },
      { id: 'b', description: 'b', severity: 'low', regex: 'bcd(x)', keywords: ['bcdx'] },
    ]);
    // a plain alternation scan consumes 'abcd' and never sees the 'bcdx' starting inside it
    expect(
      detectContent(rs, 'x', 'abcdx', { guardMs: 1000 })
        .map((f) => f.rule.id)
        .sort(),
    ).toEqual(['a', 'b']);
  });
});

describe('content detection', () => {
  it('reports line and column of the secret, 1-based', async () => {
    const f = await scanOne(item('cfg.py', `x = 1\n  KEY = "${fake.googleKey()}"\n`));
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ ruleId: 'google-api-key', line: 2, column: 10, kind: 'content' });
  });
  it('prefers the specific rule over the generic one for the same text', async () => {
    const f = await scanOne(item('a.sh', `export API_TOKEN=${fake.githubPat()}\n`));
    expect(f.map((x) => x.ruleId)).toEqual(['github-pat']);
  });
  it('says an AQ. key in a REST API key variable is the wrong kind of credential', async () => {
    const [inVar] = await scanOne(item('.env.example', `GOOGLE_API_KEY=${fake.aqKey()}\n`));
    expect(inVar!.ruleId).toBe('google-auth-key');
    expect(inVar!.description).toMatch(/stored as a REST API key, which it is not/);
    const [bare] = await scanOne(item('notes.txt', `auth: ${fake.aqKey()}\n`));
    expect(bare!.description).toMatch(/bound to a service account/);
    expect(bare!.description).not.toMatch(/REST API key/);
  });
  it('ignores placeholders and references', async () => {
    const text = [
      'GOOGLE_API_KEY=AIza...your-key...',
      'api_key = "<your-key>"',
      'token: ${GITHUB_TOKEN}',
      'password = os.environ["DB_PASSWORD"]',
      'secret = "xxxxxxxxxxxxxxxxxxxxxxxx"',
    ].join('\n');
    expect(await scanOne(item('README.md', text))).toEqual([]);
  });
  it('applies min_entropy', async () => {
    const rs = compileRuleset([
      { id: 'e', description: 'e', severity: 'low', regex: 'k=([a-z0-9]{12})', min_entropy: 3, keywords: ['k='] },
    ]);
    expect(await scanOne(item('a', 'k=aaaaaaaaaaab'), rs)).toHaveLength(0);
    expect(await scanOne(item('a', 'k=a8f3k2m9x7q1'), rs)).toHaveLength(1);
  });
  it('finds keys in UTF-16 files', async () => {
    const buf = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`key=${fake.googleKey()}\r\n`, 'utf16le')]);
    const f = await scanOne(item('win.txt', buf));
    expect(f.map((x) => x.ruleId)).toEqual(['google-api-key']);
  });
  it('finds keys in non-UTF-8 files', async () => {
    const buf = Buffer.concat([Buffer.from([0xe9, 0xe8, 0xff, 0x20]), Buffer.from(`k=${fake.googleKey()}\n`)]);
    expect((await scanOne(item('latin1.txt', buf))).map((x) => x.ruleId)).toEqual(['google-api-key']);
  });
});

describe('binary and large content', () => {
  it('binary files get path rules, no content rules, and are counted', async () => {
    const eng = new Engine(defaults, { maxContentBytes: 1e6 });
    const bin = Buffer.concat([Buffer.from([0, 1, 2, 0]), Buffer.from(fake.googleKey())]);
    const f = await eng.scanItem(item('model.pt', bin));
    expect(f.map((x) => x.ruleId)).toEqual(['model-weights']);
    expect(eng.stats.skipped.binary).toBe(1);
    expect(eng.stats.skippedExamples.binary).toEqual(['model.pt']);
  });
  it('files above the content limit are never read, and are counted', async () => {
    const eng = new Engine(defaults, { maxContentBytes: 1000 });
    let reads = 0;
    const huge: SourceItem = {
      path: 'dump.jsonl',
      size: 3e9,
      read: async () => {
        reads++;
        return Buffer.alloc(0);
      },
    };
    const f = await eng.scanItem(huge);
    expect(reads).toBe(0);
    expect(f.map((x) => x.ruleId).sort()).toEqual(['large-data-file', 'oversized-file']);
    expect(f.find((x) => x.kind === 'size')!.size).toBe(3e9);
    expect(eng.stats.skipped['too-large']).toBe(1);
  });
});

describe('suppression', () => {
  it('an inline leakguard:allow comment drops the finding on that line only', async () => {
    const eng = new Engine(defaults, { maxContentBytes: 1e6 });
    const f = await eng.scanItem(
      item('a.js', `const a = "${fake.googleKey()}"; // leakguard:allow\nconst b = "${fake.githubPat()}";\n`),
    );
    expect(f.map((x) => x.ruleId)).toEqual(['github-pat']);
    expect(eng.stats.suppressed.inline).toBe(1);
  });
  it('config allowlists by path, regex and stopword', async () => {
    const rs = compileRuleset(pack, { paths: ['fixtures/**'], regexes: ['^ghp_R7'], stopwords: ['syb3kf9'] });
    const eng = new Engine(rs, { maxContentBytes: 1e6 });
    expect(await eng.scanItem(item('fixtures/keys.txt', fake.googleKey()))).toEqual([]);
    expect(await eng.scanItem(item('src/a.txt', `${fake.githubPat()} ${fake.googleKey()}`))).toEqual([]);
    expect(eng.stats.suppressed.allowlist).toBe(2);
    expect(eng.stats.skipped.allowlisted).toBe(1);
  });
  it('a baseline drops exactly the recorded fingerprints', async () => {
    const fp = fingerprint('google-api-key', 'a.txt', fake.googleKey());
    const eng = new Engine(defaults, { maxContentBytes: 1e6, baseline: new Set([fp]) });
    const f = await eng.scanItem(item('a.txt', `${fake.googleKey()}\n${fake.githubPat()}\n`));
    expect(f.map((x) => x.ruleId)).toEqual(['github-pat']);
    expect(eng.stats.suppressed.baseline).toBe(1);
  });
});

describe('fingerprints and redaction', () => {
  it('fingerprints ignore line numbers but not the secret, rule or path', async () => {
    const [a] = await scanOne(item('a.txt', `k=${fake.googleKey()}\n`));
    const [b] = await scanOne(item('a.txt', `\n\n\n   k=${fake.googleKey()}\n`));
    const [c] = await scanOne(item('b.txt', `k=${fake.googleKey()}\n`));
    expect(a!.fingerprint).toBe(b!.fingerprint);
    expect(a!.fingerprint).not.toBe(c!.fingerprint);
    expect(fingerprint('r', 'p', 's1')).not.toBe(fingerprint('r', 'p', 's2'));
  });
  it('redaction keeps a recognisable prefix only', () => {
    const r = redact(fake.googleKey());
    expect(r).toBe('AIza********');
    expect(r).not.toContain(fake.googleKey().slice(4, 10));
    expect(redact('short')).toBe('********');
  });
});

describe('regex source analysis', () => {
  it('counts capture groups as the RegExp engine does', () => {
    for (const src of ['a', '(a)', '(?:a)(b)', '(?<n>a)(?<=b)(?!c)', '[(](a)', '\\((a)\\)', '[\\]()](x)', '((a)(b))']) {
      expect(countGroups(src), src).toBe(new RegExp(`${src}|`).exec('')!.length - 1);
    }
  });
});

describe('regex safety', () => {
  it('spots nested unbounded quantifiers', () => {
    expect(findNestedQuantifier('(a+)+$')).toBe('(a+)+');
    expect(findNestedQuantifier('(\\w+\\s?)*')).toBe('(\\w+\\s?)*');
    expect(findNestedQuantifier('AIza[\\w-]{35}')).toBeUndefined();
    expect(findNestedQuantifier('(?:[a-z]+\\.)+com')).toBeUndefined();
  });
  it('a user rule that still backtracks is stopped by its time limit and switched off', async () => {
    const rs = compileRuleset([{ id: 'slow', description: 'slow', severity: 'low', regex: '(?i)(a|aa)+b' }]);
    const eng = new Engine(rs, { maxContentBytes: 1e7, guardMs: 200 });
    const started = Date.now();
    await eng.scanItem(item('a.txt', 'a'.repeat(60)));
    await eng.scanItem(item('b.txt', 'a'.repeat(60)));
    expect(Date.now() - started).toBeLessThan(3000);
    expect(eng.stats.skipped.timeout).toBe(1);
    expect(eng.stats.warnings[0]).toMatch(/rule 'slow' exceeded its 200 ms time limit on a.txt/);
  });
});

describe('text decoding', () => {
  it('treats a NUL in the first 8000 bytes as binary, like git', () => {
    expect('binary' in decode(Buffer.from([65, 0, 66]))).toBe(true);
    expect('binary' in decode(Buffer.concat([Buffer.alloc(9000, 65), Buffer.from([0])]))).toBe(false);
  });
});

describe('sizes', () => {
  it('parses decimal and binary units', () => {
    expect(parseSize('50MB', 'x')).toBe(50_000_000);
    expect(parseSize('100MiB', 'x')).toBe(104_857_600);
    expect(parseSize(12, 'x')).toBe(12);
    expect(() => parseSize('ten', 'cfg')).toThrow(/cfg: invalid size/);
  });
});

describe('the CLI bundles', () => {
  it('have no dynamic import(): bin/leakguard.js runs them through vm.Script, which cannot resolve one', async () => {
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    for (const name of ['cli.cjs', 'hook.cjs']) {
      const bundle = readFileSync(join(import.meta.dirname, '..', 'dist', name), 'utf8');
      expect(bundle.match(/\bimport\(/g) ?? [], name).toEqual([]);
    }
  });
});
