/**
 * Committed files must not give a short secret back to a dictionary: the purge plan and script
 * hold no hash of any secret, and baseline fingerprints are keyed with a key kept out of the file.
 * Each test runs the dictionary attack that recovered a database password from the old forms.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fingerprint, sha256Hex } from '../src/engine/fingerprint.js';
import { cli, cliJson, GIT_ENV, Repo, run, tempDir } from './helpers.js';

// built at run time, so the test source holds no password literal for the self-scan to find
const PASSWORD = ['sun', 'shine', '42'].join('');
const URL_LINE = `DATABASE_URL=postgres://app:${PASSWORD}@db.internal:5432/app\n`;
/** 500 likely passwords, the real one among them. */
const DICTIONARY = [...Array.from({ length: 499 }, (_, i) => `word${i}${i % 7}`), PASSWORD];

/** Every hash of a candidate an attacker can form from a rule id, a path and the old recipes, found in `text`. */
function recovered(text: string, ruleId: string, path: string): string[] {
  return DICTIONARY.filter((w) => text.includes(sha256Hex(w)) || text.includes(fingerprint(ruleId, path, w)));
}

function leakyRepo(): Repo {
  const r = Repo.init();
  r.write('config/db.env', URL_LINE).add().commit('db');
  return r;
}

describe('no dictionary recovers a secret from a committed file', () => {
  it('baselines are keyed: the old plain form gives the password away, the new one does not', () => {
    const r = leakyRepo();
    // the old form, as version 1 wrote it: the scan's own fingerprints
    const { report } = cliJson(['scan'], r.dir);
    const v1 = {
      tool: 'leakguard',
      version: 1,
      entries: report.findings.map((f: any) => ({ fingerprint: f.fingerprint, ruleId: f.ruleId, path: f.path })),
    };
    expect(recovered(JSON.stringify(v1), 'database-url-password', 'config/db.env')).toEqual([PASSWORD]);
    // still read: a version 1 baseline keeps working
    const old = join(tempDir(), 'v1.json');
    writeFileSync(old, JSON.stringify(v1));
    expect(cli(['scan', '--baseline', old], r.dir).code).toBe(0);

    const b = cli(['baseline'], r.dir);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stderr).toMatch(/the key was created in .*leakguard\/baseline\.key \(never commit it\)/);
    const text = readFileSync(join(r.dir, '.leakguard-baseline.json'), 'utf8');
    const doc = JSON.parse(text);
    expect(doc).toMatchObject({ version: 2, hash: 'hmac-sha256' });
    expect(recovered(text, 'database-url-password', 'config/db.env')).toEqual([]);
    expect(cli(['scan', '--baseline', '.leakguard-baseline.json'], r.dir).code).toBe(0);
    // written again: byte-identical (the key is kept, nothing random per write)
    cli(['baseline'], r.dir);
    expect(readFileSync(join(r.dir, '.leakguard-baseline.json'), 'utf8')).toBe(text);

    // another clone (CI) has the committed baseline but not the key: a clear error, then the key by environment
    r.add('.leakguard-baseline.json').commit('baseline');
    const ci = join(tempDir(), 'ci');
    run('git', ['clone', '-q', r.dir, ci], '/');
    const without = cli(['scan', '--baseline', '.leakguard-baseline.json'], ci);
    expect(without.code).toBe(2);
    expect(without.stderr).toMatch(/is keyed \(key [0-9a-f]{8}\) and the key is not here: set LEAKGUARD_BASELINE_KEY/);
    const key = readFileSync(join(r.dir, '.git', 'leakguard', 'baseline.key'), 'utf8').trim();
    const withKey = cli(['scan', '--baseline', '.leakguard-baseline.json'], ci, {
      ...GIT_ENV,
      LEAKGUARD_BASELINE_KEY: key,
    });
    expect(withKey.code, withKey.stderr).toBe(0);
    // a wrong key is named as such, not taken for "no findings accepted"
    const wrong = cli(['scan', '--baseline', '.leakguard-baseline.json'], ci, {
      ...GIT_ENV,
      LEAKGUARD_BASELINE_KEY: 'ab'.repeat(32),
    });
    expect(wrong.stderr).toMatch(/was written with key [0-9a-f]{8}, not the one here/);
    // a new secret is still reported through a keyed baseline
    writeFileSync(join(ci, 'config/other.env'), URL_LINE.replace(PASSWORD, 'moonlight77'));
    expect(
      cli(['scan', '--baseline', '.leakguard-baseline.json'], ci, { ...GIT_ENV, LEAKGUARD_BASELINE_KEY: key }).code,
    ).toBe(1);
  });

  it('the purge plan and script hold no hash of a secret', () => {
    const r = leakyRepo();
    r.git('rm', '-q', '--cached', 'config/db.env');
    r.write('src/db.js', `const url = "postgres://app:${PASSWORD}@db.internal:5432/app";\n`).add().commit('inline');
    const plan = cli(['purge', '--plan', '--format', 'json'], r.dir);
    expect(plan.code).toBe(0);
    const script = join(tempDir(), 'purge.sh');
    expect(cli(['purge', '--plan', '--format', 'sh', '--output', script], r.dir).code).toBe(0);
    for (const text of [plan.stdout, readFileSync(script, 'utf8')]) {
      expect(text).not.toContain(PASSWORD);
      for (const path of ['config/db.env', 'src/db.js'])
        expect(recovered(text, 'database-url-password', path)).toEqual([]);
    }
  });
});
