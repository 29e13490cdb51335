/** `leakguard scan --history` and `--range` on repositories shaped like the incident. */
import { chmodSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ACME_RULE, BIN, cli, cliJson, fake, GIT_ENV, Repo, run, tempDir } from './helpers.js';
import { hasTool, withTool } from './helpers.js';

const itTime = withTool(hasTool('/usr/bin/time', ['true']), 'GNU time');
const itScript = withTool(hasTool('script', ['-qec', 'true', '/dev/null']), 'script (util-linux)');

const BIG = 51 * 1000 * 1000;

function sparse(r: Repo, path: string, size: number): void {
  r.write(path, '');
  truncateSync(join(r.dir, path), size);
}

/** The incident: secrets in files a cleanup deleted, on a branch, under a tag, and decoys. */
function incident() {
  const r = Repo.init();
  const ids: Record<string, string> = {};
  const head = () => r.git('rev-parse', 'HEAD').trim();
  r.write('README.md', 'Set GOOGLE_API_KEY=AIza...your-key... in your .env\n')
    .write('.env.example', 'GOOGLE_API_KEY=AIza...your-key...\n')
    .write('data/sample.jsonl', '{"a":1}\n')
    .add()
    .commit('initial');
  r.write('.env', `GOOGLE_API_KEY=${fake.googleKey()}\nGEMINI_API_KEY=${fake.aqKey()}\n`)
    .write('.gemini/settings.json', `{"mcpServers":{"search":{"env":{"API_KEY":"${fake.githubPat()}"}}}}\n`)
    .write('.gemini/oauth_creds.json', '{}\n')
    .add()
    .commit('debugging the AI job');
  ids.leak = head();
  sparse(r, 'exports/conversations.jsonl', BIG);
  sparse(r, 'exports/dump.zip', BIG);
  r.write('models/model.pt', 'weights')
    .write('models/epoch1.ckpt', 'ckpt')
    .write('données/clé.txt', `aws_access_key_id = ${fake.awsKeyId()}\n`)
    .add()
    .commit('artifacts');
  ids.artifacts = head();
  r.git('rm', '-q', '-r', '.env', '.gemini', 'exports', 'models');
  r.commit('cleanup');
  // a branch of its own
  r.git('checkout', '-q', '-b', 'feature');
  r.write('src/feature.js', `const stripe = "sk_live_${'4eC39HqLyjWDarjtT1zdp7dc'}";\n`)
    .add('src/feature.js')
    .commit('feature work');
  ids.feature = head();
  // a commit only a tag reaches
  r.git('checkout', '-q', '--detach', 'main');
  r.write('release.txt', `NPM_TOKEN=${fake.npmToken()}\n`).add('release.txt').commit('release notes');
  ids.tagged = head();
  r.git('tag', 'v1.0-rc');
  r.git('checkout', '-q', 'main');
  return { r, ids };
}

describe('leakguard scan --history', () => {
  it('finds every leak of the incident with its attribution, and nothing on the decoys', () => {
    const { r, ids } = incident();
    // the work tree shows only what is still there; everything else is history
    expect(cliJson(['scan'], r.dir).report.findings.map((f: any) => f.ruleId)).toEqual(['aws-access-key-id']);
    const { code, report } = cliJson(['scan', '--history'], r.dir);
    expect(code).toBe(1);
    const byRule = (id: string, path?: string) =>
      report.findings.filter((f: any) => f.ruleId === id && (!path || f.path === path));
    const one = (id: string, path?: string) => {
      const list = byRule(id, path);
      expect(list, `${id} ${path ?? ''}`).toHaveLength(1);
      return list[0];
    };
    const env = one('dotenv-file', '.env');
    expect(env).toMatchObject({ commit: ids.leak, subject: 'debugging the AI job', author: 'Test <test@example.com>' });
    expect(env.refs).toEqual(['refs/heads/feature', 'refs/heads/main', 'refs/tags/v1.0-rc']);
    expect(one('google-api-key')).toMatchObject({ path: '.env', line: 1, commit: ids.leak, secret: 'AIza********' });
    expect(one('google-auth-key').description).toMatch(/REST API key/);
    expect(one('gemini-state-folder')).toMatchObject({ path: '.gemini/oauth_creds.json', commit: ids.leak });
    expect(one('github-pat')).toMatchObject({ path: '.gemini/settings.json' });
    expect(one('large-data-file', 'exports/conversations.jsonl')).toMatchObject({
      kind: 'size',
      size: BIG,
      commit: ids.artifacts,
    });
    expect(one('large-data-file', 'exports/dump.zip').size).toBe(BIG);
    one('model-weights', 'models/model.pt');
    one('model-weights', 'models/epoch1.ckpt');
    expect(one('aws-access-key-id')).toMatchObject({ path: 'données/clé.txt', commit: ids.artifacts });
    const stripe = one('stripe-live-key');
    expect(stripe).toMatchObject({ path: 'src/feature.js', commit: ids.feature, refs: ['refs/heads/feature'] });
    const npm = one('npm-access-token');
    expect(npm).toMatchObject({ path: 'release.txt', commit: ids.tagged, refs: ['refs/tags/v1.0-rc'] });
    // decoys
    const paths = new Set(report.findings.map((f: any) => f.path));
    for (const decoy of ['.env.example', 'README.md', 'data/sample.jsonl']) expect(paths.has(decoy), decoy).toBe(false);
    expect(JSON.stringify(report)).not.toContain(fake.googleKey());
    expect(report.stats.commits).toBe(6);
    expect(report.target.mode).toBe('history');
  });

  it('groups one secret copied through many versions into one finding with every occurrence', () => {
    const r = Repo.init();
    for (let i = 0; i < 30; i++) {
      r.write('config.py', `# revision ${i}\nAPI = "${fake.googleKey()}"\nVALUE = ${i}\n`).add().commit(`rev ${i}`);
    }
    r.write('copy/config.py', `API = "${fake.googleKey()}"\n`).add().commit('copy');
    const { report } = cliJson(['scan', '--history'], r.dir);
    const f = report.findings.filter((x: any) => x.ruleId === 'google-api-key');
    expect(f).toHaveLength(1);
    expect(f[0].occurrences).toHaveLength(31);
    expect(f[0].subject).toBe('rev 0');
    expect(new Set(f[0].occurrences.map((o: any) => o.path))).toEqual(new Set(['config.py', 'copy/config.py']));
    const text = cli(['scan', '--history'], r.dir).stdout;
    expect(text).toMatch(
      /first in [0-9a-f]{12} \(\d{4}-\d\d-\d\d, Test\) "rev 0" · 31 occurrences in 2 paths · reachable from main/,
    );
  });

  it('--range scans only what the commits of the range introduced', () => {
    const r = Repo.init();
    r.write('old.txt', `k=${fake.googleKey()}\n`).add().commit('old');
    const base = r.git('rev-parse', 'HEAD').trim();
    r.write('new.txt', `t=${fake.githubPat()}\n`).write('.env', 'A=1').add().commit('new');
    const { code, report } = cliJson(['scan', '--range', `${base}..HEAD`], r.dir);
    expect(code).toBe(1);
    expect(report.findings.map((f: any) => f.ruleId).sort()).toEqual(['dotenv-file', 'github-pat']);
    expect(report.target).toMatchObject({ mode: 'range', range: `${base}..HEAD` });
    expect(cliJson(['scan', '--range', 'HEAD..HEAD'], r.dir).code).toBe(0);
    const bad = cli(['scan', '--range', 'nope..HEAD'], r.dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^leakguard: invalid revision range/);
    expect(cli(['scan', '--range=--output=x'], r.dir).stderr).toMatch(/invalid revision range/);
  });

  it('--all-objects also finds what no ref reaches: amended commits and dropped stashes', () => {
    const r = Repo.init();
    r.write('a.txt', 'a\n').add().commit('first');
    r.write('a.txt', `k=${fake.googleKey()}\n`).add().commit('oops');
    r.write('a.txt', 'a\nb\n').add().git('commit', '-q', '--amend', '-m', 'fixed');
    r.write('b.txt', `t=${fake.githubPat()}\n`).add().git('stash', '-q');
    r.git('stash', 'drop', '-q');
    expect(cliJson(['scan', '--history'], r.dir).code).toBe(0);
    const { code, report } = cliJson(['scan', '--history', '--all-objects'], r.dir);
    expect(code).toBe(1);
    expect(report.findings.map((f: any) => f.ruleId).sort()).toEqual(['github-pat', 'google-api-key']);
    const amended = report.findings.find((f: any) => f.ruleId === 'google-api-key');
    expect(amended.refs).toEqual([]);
    expect(amended.subject).toBe('oops');
  });

  it('scans every stash entry, not only the latest', () => {
    const r = Repo.init();
    r.write('a.txt', 'a\n').add().commit('first');
    r.write('a.txt', `k=${fake.googleKey()}\n`).git('stash', '-q');
    r.write('a.txt', 'harmless\n').git('stash', '-q');
    const { report } = cliJson(['scan', '--history'], r.dir);
    expect(report.findings.map((f: any) => f.ruleId)).toEqual(['google-api-key']);
    expect(report.findings[0].refs).toEqual(['refs/stash@{1}']);
  });

  it('an empty repository is a clean scan', () => {
    const r = Repo.init();
    const res = cliJson(['scan', '--history'], r.dir);
    expect(res.code).toBe(0);
    expect(res.report.stats.commits).toBe(0);
  });

  it('says so for shallow clones, submodules and LFS pointers', () => {
    const sub = Repo.init();
    sub.write('x', 'y').add().commit();
    const src = Repo.init();
    src.write('a', '1').add().commit().write('.env', 'A=1').add().commit();
    src.write(
      'weights.pt',
      'version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345678\n',
    );
    src.git('-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', sub.dir, 'vendor/sub');
    src.add().commit('lfs and submodule');
    const dir = join(tempDir(), 'shallow');
    run('git', ['clone', '-q', '--depth', '1', `file://${src.dir}`, dir], '/');
    const { report, stderr } = cliJson(['scan', '--history'], dir);
    const warnings = report.stats.warnings.join('\n');
    expect(warnings).toMatch(/shallow clone/);
    expect(warnings).toMatch(/submodule path\(s\) were not entered/);
    expect(warnings).toMatch(/1 Git LFS pointer/);
    expect(report.findings.map((f: any) => f.ruleId)).toEqual(['dotenv-file']); // the LFS-stored weights are where they belong
    expect(stderr).toBe(''); // no progress output off a terminal
  });

  it('handles paths with newlines, non-UTF-8 names and messages, and 10,000 refs', () => {
    const r = Repo.init();
    r.write('line\nbreak/.env', 'A=1\n');
    writeFileSync(Buffer.concat([Buffer.from(`${r.dir}/`), Buffer.from([0x6e, 0xe9, 0xff, 0x2e, 0x70, 0x74])]), 'x');
    r.add();
    r.git('-c', 'i18n.commitEncoding=ISO-8859-1', 'commit', '-q', '-m', 'caf\xe9');
    // a deleted path that starts like a raw entry (':'): its deletion must be read as a path
    r.write(':x/.env', 'A=1\n').add().commit('colon');
    r.git('--literal-pathspecs', 'rm', '-q', ':x/.env');
    r.commit('colon gone');
    const head = r.git('rev-parse', 'HEAD').trim();
    const lines = Array.from({ length: 10_000 }, (_, i) => `create refs/tags/t${i} ${head}`).join('\n');
    run('git', ['update-ref', '--stdin'], r.dir, undefined, `${lines}\n`);
    const started = Date.now();
    const { code, report } = cliJson(['scan', '--history'], r.dir);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(code).toBe(1);
    expect(report.stats.commits).toBe(3);
    const paths = report.findings.map((f: any) => f.path).sort();
    expect(paths).toEqual([':x/.env', 'line\nbreak/.env', 'n\uFFFD\uFFFD.pt']);
    expect(report.findings.find((f: any) => f.path === ':x/.env').subject).toBe('colon');
    expect(report.findings[0].refs.length).toBe(50);
    expect(report.findings[0].refsTotal).toBe(10_001);
  });

  it('refs to trees and blobs are named in a warning and not walked; tags are peeled to their commits', () => {
    const r = Repo.init();
    r.write('a.txt', `k=${fake.googleKey()}\n`).add().commit('base');
    r.git('tag', '-a', '-m', 'annotated', 'v1');
    r.git('tag', '-a', '-m', 'tag of a tag', 'v1-again', 'v1');
    r.git('update-ref', 'refs/tags/a-tree', r.git('rev-parse', 'HEAD^{tree}').trim());
    r.git('tag', '-a', '-m', 'a blob', 'a-blob', r.git('rev-parse', 'HEAD:a.txt').trim());
    for (const engine of ['git', 'isomorphic']) {
      const { code, report } = cliJson(['scan', '--history', '--engine', engine], r.dir);
      expect(code).toBe(1);
      expect(report.stats.warnings).toEqual(
        expect.arrayContaining([
          'ref refs/tags/a-tree points at a tree, not a commit; it is not walked',
          'ref refs/tags/a-blob points at a blob, not a commit; it is not walked',
        ]),
      );
      expect(report.findings[0].refs).toEqual(['refs/heads/main', 'refs/tags/v1', 'refs/tags/v1-again']);
    }
  });

  it('a missing object is an error naming it, with the partial report still printed', () => {
    const r = Repo.init();
    r.write('a.txt', `k=${fake.googleKey()}\n`).write('b.txt', 'plain\n').add().commit();
    const oid = r.git('rev-parse', 'HEAD:b.txt').trim();
    rmSync(join(r.dir, '.git', 'objects', oid.slice(0, 2), oid.slice(2)));
    const res = cli(['scan', '--history', '--format', 'json'], r.dir);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(new RegExp(`^leakguard: scan incomplete: .*${oid}.*b\\.txt`));
    expect(JSON.parse(res.stdout).findings.map((f: any) => f.ruleId)).toEqual(['google-api-key']);
  });

  it('a corrupt object is an error, never an all-clear', () => {
    const r = Repo.init();
    r.write('b.txt', 'plain text that will be corrupted\n').add().commit();
    const oid = r.git('rev-parse', 'HEAD:b.txt').trim();
    const file = join(r.dir, '.git', 'objects', oid.slice(0, 2), oid.slice(2));
    chmodSync(file, 0o644);
    writeFileSync(file, Buffer.from('this is not zlib data at all'));
    const res = cli(['scan', '--history'], r.dir);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/^leakguard: /);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('a ref that moves during the scan changes nothing', async () => {
    const r = Repo.init();
    r.write('a.txt', `k=${fake.googleKey()}\n`).add().commit('base');
    for (let i = 0; i < 40; i++) r.write(`f${i}.txt`, `${i}\n`).add().commit(`c${i}`);
    const { spawn } = await import('node:child_process');
    const child = spawn(
      process.execPath,
      [join(import.meta.dirname, '..', 'bin', 'leakguard.js'), 'scan', '--history', '--format', 'json'],
      { cwd: r.dir },
    );
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    // move main while the scan runs
    for (let i = 0; i < 5; i++) r.write(`g${i}.txt`, `${i}\n`).add().commit(`moving ${i}`);
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(code).toBe(1);
    expect(JSON.parse(out).findings.map((f: any) => f.ruleId)).toEqual(['google-api-key']);
  });
});

describe('history with a 2 GB blob', () => {
  itTime(
    "reads its size from git's answer and never its content",
    () => {
      const r = Repo.init();
      sparse(r, 'exports/dump.zip', 2 * 1024 ** 3);
      r.write('a.txt', `k=${fake.googleKey()}\n`).add().commit('huge');
      const res = run(
        '/usr/bin/time',
        [
          '-f',
          'maxrss=%M',
          process.execPath,
          join(import.meta.dirname, '..', 'bin', 'leakguard.js'),
          'scan',
          '--history',
          '--format',
          'json',
        ],
        r.dir,
      );
      const report = JSON.parse(res.stdout);
      expect(report.findings.map((f: any) => f.ruleId).sort()).toEqual([
        'google-api-key',
        'large-data-file',
        'oversized-file',
      ]);
      expect(report.stats.skipped['too-large']).toBe(1);
      expect(Number(/maxrss=(\d+)/.exec(res.stderr)![1])).toBeLessThan(300_000);
    },
    120_000,
  );
});

describe('sizes come with the contents', () => {
  const sizeRule = [
    '  - id: big-bin',
    '    description: big binary',
    '    severity: low',
    "    paths: ['**/*.bin']",
    '    min_size: 3kB',
  ];
  const config = ['max_content_size: 2kB', 'rules:', ...ACME_RULE, ...sizeRule, ''].join('\n');
  const token = (i: number) => `acme_${String(i).padStart(16, '0')}`;
  const bigBin = (i: number) => `t = ${token(100 + i)}\n${'x'.repeat(3000 + i)}\n`;
  const sizeFindings = Array.from({ length: 8 }, (_, i) => `big-bin big/${i}.bin ${bigBin(i).length}`);

  /** Small files with a token each, between files over the content limit that hold tokens too. */
  function mixed(): Repo {
    const r = Repo.init();
    r.write('.leakguard.yml', config).add().commit('config');
    for (let i = 0; i < 8; i++) {
      r.write(`small/${i}.txt`, `t = ${token(i)}\n`)
        .write(`big/${i}.bin`, bigBin(i))
        .write(`big/${i}.txt`, `${'y'.repeat(2500)}\nt = ${token(200 + i)}\n`)
        .add()
        .commit(`step ${i}`);
    }
    return r;
  }

  it("a blob over the content limit is sized from git's answer, not read, and the blobs queued behind it are still scanned", async () => {
    const r = mixed();
    const expected = Array.from({ length: 8 }, (_, i) => `acme-token small/${i}.txt ${token(i)}`)
      .concat(sizeFindings)
      .sort();
    const seen: string[][] = [];
    for (const engine of ['git', 'isomorphic']) {
      const { code, report } = cliJson(['scan', '--history', '--no-redact', '--engine', engine], r.dir);
      expect(code).toBe(1);
      seen.push(report.findings.map((f: any) => `${f.ruleId} ${f.path} ${f.secret ?? f.size}`).sort());
      expect(report.stats.skipped['too-large']).toBe(16);
      expect(report.stats.files).toBe(25);
    }
    expect(seen[0]).toEqual(expected);
    expect(seen[1]).toEqual(expected);
    // one thread, where reads and scans share the calling thread
    const { scan } = await import('../src/index.js');
    const one = await scan({ path: r.dir, history: true, workers: 1, redact: false });
    expect(one.findings.map((f) => `${f.ruleId} ${f.path} ${f.secret ?? f.size}`).sort()).toEqual(expected);
    // one lane on the calling thread beside a worker thread, each reading and scanning its share
    const mixedLanes = await scan({
      path: r.dir,
      history: true,
      workers: 2,
      scanOnCallingThread: true,
      cache: false,
      redact: false,
    });
    expect(mixedLanes.findings.map((f) => `${f.ruleId} ${f.path} ${f.secret ?? f.size}`).sort()).toEqual(expected);
    expect(mixedLanes.stats.skipped['too-large']).toBe(16);
  });

  it('with no content rule at all, sizes are still read and size rules still fire', () => {
    const r = mixed();
    r.write('.leakguard.yml', ['rules:', ...sizeRule, ''].join('\n'))
      .add()
      .commit('a size rule only');
    const { code, report } = cliJson(['scan', '--history', '--no-default-rules'], r.dir);
    expect(code).toBe(1);
    expect(report.findings.map((f: any) => `${f.ruleId} ${f.path} ${f.size}`).sort()).toEqual([...sizeFindings].sort());
    expect(report.stats.rules).toBe(1);
  });

  for (const [how, discardUpTo] of [
    ['stopping git at the header', 0],
    ['dropping the content as it streams', undefined],
  ] as const) {
    it(`the reader answers oversized, missing and ordinary objects in order, ${how}`, async () => {
      const r = Repo.init();
      r.write('a.txt', 'small a\n')
        .write('b.txt', 'B'.repeat(5000))
        .write('c.txt', 'small c\n')
        .write('d.txt', 'D'.repeat(7000))
        .add()
        .commit();
      const oid = (p: string) => r.git('rev-parse', `HEAD:${p}`).trim();
      const { CatFileReader, MissingObject, TooLarge } = await import('../src/sources/catfile.js');
      const reader = new CatFileReader(r.dir, 'batch', process.env, discardUpTo);
      const absent = '0123456789abcdef0123456789abcdef01234567';
      const order = [oid('a.txt'), oid('b.txt'), absent, oid('d.txt'), oid('c.txt'), oid('b.txt'), oid('a.txt')];
      const answers = await Promise.allSettled(reader.readMany(order, 4096));
      const shown = answers.map((a) =>
        a.status === 'rejected'
          ? a.reason instanceof MissingObject
            ? 'missing'
            : 'error'
          : a.value instanceof TooLarge
            ? `too large ${a.value.size}`
            : a.value.toString(),
      );
      expect(shown).toEqual([
        'small a\n',
        'too large 5000',
        'missing',
        'too large 7000',
        'small c\n',
        'too large 5000',
        'small a\n',
      ]);
      // and it keeps serving afterwards
      expect((await reader.read(oid('c.txt'))).toString()).toBe('small c\n');
      reader.close();
    });
  }
});

describe('baselines over history', () => {
  it('leakguard baseline --history accepts a finding at every path it ever occurred at', () => {
    const r = Repo.init();
    r.write('old/config.py', `K = "${fake.googleKey()}"\n`).add().commit('first');
    r.git('rm', '-q', 'old/config.py');
    r.write('new/config.py', `K = "${fake.googleKey()}"\n`).add().commit('moved');
    r.write('.env', 'A=1\n').add().commit('env');
    expect(cli(['baseline', '--history'], r.dir).code).toBe(0);
    const file = join(r.dir, '.leakguard-baseline.json');
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    expect(doc.entries.map((e: any) => `${e.ruleId} ${e.path}`).sort()).toEqual([
      'dotenv-file .env',
      'google-api-key new/config.py',
      'google-api-key old/config.py',
    ]);
    expect(cliJson(['scan', '--history', '--baseline', file], r.dir).code).toBe(0);
    expect(cliJson(['scan', '--baseline', file], r.dir).code).toBe(0);
    r.write('new/other.py', `T = "${fake.githubPat()}"\n`).add().commit('new leak');
    const { code, report } = cliJson(['scan', '--history', '--baseline', file], r.dir);
    expect(code).toBe(1);
    expect(report.findings.map((f: any) => f.ruleId)).toEqual(['github-pat']);
  });
});

describe('progress', () => {
  itScript('shows commits, blobs and bytes on a terminal, and nothing with --quiet', () => {
    const r = Repo.init();
    for (let i = 0; i < 20; i++) r.write(`f${i}.txt`, `${i}\n`.repeat(100)).add().commit(`c${i}`);
    const bin = join(import.meta.dirname, '..', 'bin', 'leakguard.js');
    const env = { ...process.env, CI: '', TERM: 'xterm' };
    delete env.CI;
    const tty = run(
      'script',
      ['-qec', `${process.execPath} ${bin} scan --history --output /dev/null`, '/dev/null'],
      r.dir,
      env,
    );
    expect(tty.stdout).toMatch(/reading history|scanning blobs · \d+ commits · \d+\/\d+ blobs/);
    const quiet = run('script', ['-qec', `${process.execPath} ${bin} scan --history --quiet`, '/dev/null'], r.dir, env);
    expect(quiet.stdout).not.toMatch(/blobs/);
  });
});

describe('a history scan ends with its git processes', () => {
  it('leaves no process behind in its group, cat-file of the worker threads included', async () => {
    const { spawn, execFileSync } = await import('node:child_process');
    const r = Repo.init();
    for (let i = 0; i < 30; i++) r.write(`f${i % 7}.txt`, `line ${i}\n`).commit(`c${i}`);
    for (let round = 0; round < 3; round++) {
      // its own process group, so what it leaves is found by group id
      const child = spawn(process.execPath, [BIN, 'scan', '--range', 'HEAD~25..HEAD', '--workers', '2', '--quiet'], {
        cwd: r.dir,
        env: GIT_ENV,
        detached: true,
        stdio: 'ignore',
      });
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      expect(code).toBe(0);
      const left = execFileSync('ps', ['-eo', 'pgid=,stat=,args='], { encoding: 'utf8' })
        .split('\n')
        .filter((l) => l.trim().split(/\s+/)[0] === String(child.pid));
      expect(left, `round ${round}`).toEqual([]);
    }
  });
});
