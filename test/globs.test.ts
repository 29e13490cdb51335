/** The fast glob tests must answer exactly as micromatch does, for every glob in the pack. */
import micromatch from 'micromatch';
import { describe, expect, it } from 'vitest';
import { fastGlob, globMatcher } from '../src/engine/compile.js';
import { loadDefaultRules } from '../src/engine/rule-pack.js';

const globs = new Set<string>([
  '**',
  '**/*.tar.gz',
  '**/a*b',
  '**/x/**',
  '**/deep/er/*.key',
  '**/name',
  '**/n*',
  '**/*e',
  'src/**/*.js',
  '*.md',
  'rules/**',
  'src/**',
  'config/master.key',
  '.env',
  'a/b',
  'src',
  '**/{a,b}.txt',
  '**/file?.txt',
  '**/[ab].txt',
]);
for (const r of await loadDefaultRules())
  for (const g of [...(r.paths ?? []), ...(r.exclude_paths ?? [])]) globs.add(g);

const segments = [
  '',
  'a',
  'src',
  '.gemini',
  '.env',
  '.env.local',
  '.env.example',
  'config',
  'credentials',
  'master.key',
  'x.pt',
  '.pt',
  'model.ckpt',
  'dump.jsonl',
  'a b',
  'ü',
  'id_rsa',
  'id_rsa.pub',
  '.kamal',
  'secrets',
  'secrets.prod',
  'client_secret_1.json',
  'client_secret.json',
  '.aws',
  'name',
  'nx',
  'e',
  'deep',
  'er',
  'k.key',
  '.key',
  'x',
  'new\nline',
  'file1.txt',
  'a.txt',
  'ab',
  'a.tar.gz',
  'rules',
  'b',
];
const paths = new Set<string>();
for (const a of segments)
  for (const b of segments)
    for (const c of ['', ...segments.slice(0, 14)]) {
      const p = [a, b, c].filter(Boolean).join('/');
      if (p) paths.add(p);
    }

describe('glob matching', () => {
  it('fast glob tests agree with micromatch on every shipped glob', () => {
    let fastCount = 0;
    const mismatches: string[] = [];
    for (const g of globs) {
      const fast = fastGlob(g);
      if (!fast) continue;
      fastCount++;
      const re = micromatch.makeRe(g, { dot: true });
      const reS = new RegExp(re.source, `${re.flags}s`);
      for (const p of paths) if (fast(p) !== reS.test(p)) mismatches.push(`${g} on ${JSON.stringify(p)}`);
    }
    expect(mismatches).toEqual([]);
    expect(fastCount).toBeGreaterThan(40);
  });
  it('other globs fall back to micromatch', () => {
    expect(fastGlob('src/**/*.js')).toBeUndefined();
    const m = globMatcher(['src/**/*.js', '**/{a,b}.txt'], 'test');
    expect(m('src/x/y.js')).toBe(true);
    expect(m('q/b.txt')).toBe(true);
    expect(m('lib/y.js')).toBe(false);
  });
});
