/** `leakguard scan --staged`: exactly what the next commit would contain. */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openRepo, repoAtTop } from '../src/sources/git.js';
import { cli, cliJson, fake, GIT_ENV, Repo, ROOT, run, tempDir } from './helpers.js';

const ids = (report: any) => report.findings.map((f: any) => `${f.ruleId} ${f.path}`).sort();

describe('leakguard scan --staged', () => {
  it('guards the very first commit of an empty repository', () => {
    const r = Repo.init();
    r.write('.env', `GOOGLE_API_KEY=${fake.googleKey()}\n`).write('README.md', 'hi\n').add();
    const { code, report } = cliJson(['scan', '--staged'], r.dir);
    expect(code).toBe(1);
    expect(ids(report)).toEqual(['dotenv-file .env', 'google-api-key .env']);
    expect(report.findings[0].blobId).toMatch(/^[0-9a-f]{40}$/);
  });

  it('reads the index, not the work tree', () => {
    const r = Repo.init();
    r.write('a.js', 'ok\n').add().commit();
    // staged secret, then removed from disk only: still in the commit
    r.write('a.js', `k = "${fake.googleKey()}"\n`).add().write('a.js', 'ok\n');
    expect(ids(cliJson(['scan', '--staged'], r.dir).report)).toEqual(['google-api-key a.js']);
    // secret on disk but not staged: not in the commit
    r.git('reset', '-q');
    r.write('b.js', `k = "${fake.githubPat()}"\n`);
    expect(cliJson(['scan', '--staged'], r.dir).code).toBe(0);
  });

  it('only looks at what changed since HEAD', () => {
    const r = Repo.init();
    r.write('old.js', `k = "${fake.googleKey()}"\n`).add().commit();
    r.write('new.js', 'fine\n').add();
    const { code, report } = cliJson(['scan', '--staged'], r.dir);
    expect(code).toBe(0);
    expect(report.stats.files).toBe(1);
  });

  it('handles staged deletions and renames', () => {
    const r = Repo.init();
    r.write('keys/.env', 'A=1\n').write('src/a.js', 'x\n').add().commit();
    r.git('rm', '-q', 'keys/.env');
    expect(cliJson(['scan', '--staged'], r.dir).code).toBe(0);
    r.git('mv', 'src/a.js', 'src/.env');
    const { report } = cliJson(['scan', '--staged'], r.dir);
    expect(ids(report)).toEqual(['dotenv-file src/.env']);
  });

  it('handles paths with spaces, quotes, newlines and non-ASCII characters', () => {
    const r = Repo.init();
    const names = ['dir with space/.env', 'quo"te\'s/.env', 'new\nline/.env', 'ünïcødé/日本/.env'];
    for (const n of names) r.write(n, `K=${fake.googleKey()}\n`);
    r.add();
    const { report } = cliJson(['scan', '--staged'], r.dir);
    const paths = [...new Set(report.findings.map((f: any) => f.path))].sort();
    expect(paths).toEqual([...names].sort());
    const text = cli(['scan', '--staged'], r.dir).stdout;
    expect(text).toContain('"new\\nline/.env"');
  });

  it('scans non-UTF-8 and UTF-16 content, and counts binary files', () => {
    const r = Repo.init();
    r.write('latin1.txt', Buffer.concat([Buffer.from([0xe9, 0xe0, 0x20]), Buffer.from(`k=${fake.googleKey()}\n`)]))
      .write('utf16.txt', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`k=${fake.githubPat()}\n`, 'utf16le')]))
      .write('cert.p12', Buffer.from([0x30, 0x82, 0x00, 0x00, 0x01]))
      .write('blob.bin', Buffer.concat([Buffer.from([0, 0, 0]), Buffer.from(fake.googleKey())]))
      .add();
    const { report } = cliJson(['scan', '--staged'], r.dir);
    expect(ids(report)).toEqual(['github-pat utf16.txt', 'google-api-key latin1.txt', 'pkcs12-file cert.p12']);
    expect(report.stats.skipped.binary).toBe(2);
  });

  it('does not enter submodules and says so', () => {
    const sub = Repo.init();
    sub.write('x', 'y').add().commit();
    const r = Repo.init();
    r.git('-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', sub.dir, 'vendor/sub');
    const { report } = cliJson(['scan', '--staged'], r.dir);
    expect(report.stats.skipped.submodule).toBe(1);
  });

  it('works from a linked worktree', () => {
    const r = Repo.init();
    r.write('a', 'a').add().commit();
    const wt = `${r.dir}-wt`;
    r.git('worktree', 'add', '-q', wt);
    const w = new Repo(wt);
    w.write('.env', 'A=1').add();
    expect(ids(cliJson(['scan', '--staged'], wt).report)).toEqual(['dotenv-file .env']);
    expect(cliJson(['scan', '--staged'], r.dir).code).toBe(0);
    r.git('worktree', 'remove', '--force', wt);
  });
});

describe('older git without cat-file --batch-command', () => {
  it('falls back to --batch-check plus --batch and finds the same things', () => {
    const bin = join(tempDir(), 'bin');
    mkdirSync(bin);
    const realGit = execFileSync('sh', ['-c', 'command -v git']).toString().trim();
    // a git that behaves like git 2.35: it does not know --batch-command
    writeFileSync(
      join(bin, 'git'),
      `#!/bin/sh\nfor a in "$@"; do [ "$a" = "--batch-command" ] && { echo "error: unknown option 'batch-command'" >&2; exit 129; }; done\nexec ${realGit} "$@"\n`,
    );
    chmodSync(join(bin, 'git'), 0o755);
    const r = Repo.init();
    r.write('.env', `K=${fake.googleKey()}\n`).add();
    const res = cli(['scan', '--staged', '--format', 'json'], r.dir, {
      ...GIT_ENV,
      PATH: `${bin}:${process.env.PATH}`,
    });
    expect(res.code).toBe(1);
    expect(
      JSON.parse(res.stdout)
        .findings.map((f: any) => f.ruleId)
        .sort(),
    ).toEqual(['dotenv-file', 'google-api-key']);
  });
});

describe('the repository at the top of the work tree, read without git', () => {
  it('says what git rev-parse says, or nothing', async () => {
    const r = Repo.init();
    r.write('a.txt', 'a\n').commit('init');
    expect(repoAtTop(r.dir)).toEqual(await openRepo(r.dir));
    const shallow = tempDir('lg-shallow-');
    run('git', ['clone', '-q', '--depth', '1', `file://${r.dir}`, shallow], r.dir);
    expect(repoAtTop(shallow)).toEqual(await openRepo(shallow));
    expect(repoAtTop(shallow)?.shallow).toBe(true);
    // where it cannot be sure, it leaves the question to git
    mkdirSync(join(r.dir, 'sub'));
    expect(repoAtTop(join(r.dir, 'sub'))).toBeUndefined();
    expect(repoAtTop(r.dir, { GIT_DIR: join(r.dir, '.git') })).toBeUndefined();
    const linked = join(tempDir('lg-linked-'), 'wt');
    r.git('worktree', 'add', '-q', linked);
    expect(repoAtTop(linked)).toBeUndefined();
    r.git('config', 'core.worktree', linked);
    expect(repoAtTop(r.dir)).toBeUndefined();
    r.git('config', '--unset', 'core.worktree');
    expect(repoAtTop(r.dir)).toEqual(await openRepo(r.dir));
    r.git('config', 'include.path', join(r.dir, 'elsewhere.gitconfig'));
    expect(repoAtTop(r.dir)).toBeUndefined();
    r.git('config', '--unset', 'include.path');
    r.git('config', 'core.bare', 'true');
    expect(repoAtTop(r.dir)).toBeUndefined();
  });
});

describe('a staged scan that fails after starting git', () => {
  // the object reader is started before anything is checked; a failure later must close it, or a
  // library caller's process would never exit
  it('closes its git processes, so the caller exits by itself', () => {
    const bare = Repo.init({ bare: true });
    const script = [
      `import { scan } from ${JSON.stringify(join(ROOT, 'dist', 'index.js'))};`,
      `for (const opts of [{ staged: true, history: true }, { staged: true, path: ${JSON.stringify(bare.dir)} }])`,
      `  await scan(opts).then(() => console.log('no error'), (e) => console.log(e.message));`,
    ].join('\n');
    const res = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: bare.dir,
      env: GIT_ENV,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(res.signal, 'still running after 30 s').toBeNull();
    expect(res.stdout).toBe(
      '--staged cannot be combined with --history or --range\n--staged needs a work tree; this is a bare repository\n',
    );
  });
});
