/** Two independent readers of history, git plumbing and isomorphic-git, must report the same findings. */
import { describe, expect, it } from 'vitest';
import { scan } from '../src/api.js';
import { cli, fake, GIT_ENV, Repo, run } from './helpers.js';

function build(seed: number, packed: boolean): Repo {
  const r = Repo.init();
  let n = seed;
  const rnd = () => (n = (n * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  r.write('README.md', 'Use GOOGLE_API_KEY=AIza...your-key...\n')
    .write('.env.example', 'TOKEN=\n')
    .add()
    .commit('initial');
  r.write('.env', `GOOGLE_API_KEY=${fake.googleKey()}\n`).write('src/app.js', 'export {}\n').add().commit('add env');
  r.write('bin/blob.bin', Buffer.concat([Buffer.from([0, 1, 2, 3]), Buffer.from(fake.githubPat())]))
    .add()
    .commit('binary');
  r.git('rm', '-q', '.env');
  r.commit('remove env');
  r.git('checkout', '-q', '-b', 'topic');
  r.write('données/clé.txt', `aws_access_key_id = ${fake.awsKeyId()}\n`).add().commit('non-ascii path');
  r.write('src/app.js', `const t = "${fake.githubPat()}";\n`).add().commit('token on topic');
  r.git('checkout', '-q', 'main');
  r.write('src/other.js', `// ${rnd()}\n`).add().commit('main moves on');
  r.git('merge', '-q', '--no-ff', '-m', 'merge topic', 'topic');
  r.git('tag', 'v1');
  r.git('tag', '-a', '-m', 'annotated', 'v1-annotated');
  r.git('checkout', '-q', '--detach');
  r.write('.gemini/oauth_creds.json', '{}').write('models/w.ckpt', 'x').add().commit('tag only');
  r.git('tag', 'detached-tag');
  r.git('checkout', '-q', 'main');
  for (let i = 0; i < 5; i++)
    r.write('config.py', `# ${i} ${rnd()}\nKEY = "${fake.googleKey()}"\n`).add().commit(`config ${i}`);
  r.write('config.py', 'KEY = None\n').add().commit('config cleaned');
  if (packed) r.git('gc', '-q', '--aggressive');
  return r;
}

const normalise = (findings: any[]) =>
  [...findings]
    .map((f) => ({
      ...f,
      occurrences: [...(f.occurrences ?? [])].sort((a: any, b: any) =>
        `${a.commit}${a.path}`.localeCompare(`${b.commit}${b.path}`),
      ),
    }))
    .sort((a, b) => `${a.ruleId}${a.path}${a.fingerprint}`.localeCompare(`${b.ruleId}${b.path}${b.fingerprint}`));

describe('git and isomorphic-git engines', () => {
  for (const packed of [false, true]) {
    it(`report identical findings on a ${packed ? 'packed' : 'loose'} repository`, async () => {
      const r = build(packed ? 7 : 3, packed);
      const viaGit = await scan({ path: r.dir, history: true, engine: 'git', workers: 1 });
      const viaIso = await scan({ path: r.dir, history: true, engine: 'isomorphic' });
      expect(viaGit.findings.map((f) => `${f.ruleId} ${f.path}`).sort()).toEqual([
        'aws-access-key-id données/clé.txt',
        'dotenv-file .env',
        'gemini-state-folder .gemini/oauth_creds.json',
        'github-pat src/app.js',
        'google-api-key .env',
        'model-weights models/w.ckpt',
      ]);
      // the same key in .env and five versions of config.py: one finding, six occurrences
      expect(viaGit.findings.find((f) => f.ruleId === 'google-api-key')!.occurrences).toHaveLength(6);
      expect(normalise(viaIso.findings)).toEqual(normalise(viaGit.findings));
      expect(viaIso.stats.commits).toBe(viaGit.stats.commits);
      expect(viaIso.stats.blobs).toBe(viaGit.stats.blobs);
      expect(viaIso.stats.skipped).toEqual(viaGit.stats.skipped);
      const range = 'v1..main';
      const g = await scan({ path: r.dir, range, engine: 'git', workers: 1 });
      const i = await scan({ path: r.dir, range, engine: 'isomorphic' });
      expect(normalise(i.findings)).toEqual(normalise(g.findings));
    });
  }

  it('worker threads and a single thread agree', async () => {
    const r = build(11, true);
    const one = await scan({ path: r.dir, history: true, workers: 1 });
    const two = await scan({ path: r.dir, history: true, workers: 2 });
    expect(normalise(two.findings)).toEqual(normalise(one.findings));
  });

  it('without a git binary, --history falls back to isomorphic-git', () => {
    const r = build(5, false);
    const env = { ...GIT_ENV, PATH: '/nonexistent' };
    const res = cli(['scan', '--history', '--format', 'json'], r.dir, env);
    expect(res.code).toBe(1);
    const report = JSON.parse(res.stdout);
    expect(report.stats.warnings).toContain('git was not found on PATH: history was read with isomorphic-git');
    expect(report.findings.some((f: any) => f.ruleId === 'google-api-key')).toBe(true);
    const wt = cli(['scan'], r.dir, env);
    expect(wt.code).toBe(2);
    expect(wt.stderr).toMatch(/git was not found on PATH/);
    expect(run('git', ['status'], r.dir).status).toBe(0);
  });
});
