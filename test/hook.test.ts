/** The pre-commit hook, exercised through real `git commit`. */
import { chmodSync, existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, fake, Repo, run, GIT_ENV } from './helpers.js';

function tryCommit(r: Repo, cwd = r.dir) {
  return run('git', ['commit', '-q', '-m', 'attempt'], cwd, GIT_ENV);
}

describe('leakguard hook', () => {
  it('blocks a commit with a secret and lets a clean one through', () => {
    const r = Repo.init();
    expect(cli(['hook', 'install'], r.dir).code).toBe(0);
    r.write('.gemini/oauth_creds.json', '{}').add();
    const blocked = tryCommit(r);
    expect(blocked.status).toBe(1);
    expect(blocked.stdout + blocked.stderr).toMatch(/gemini-state-folder/);
    expect(r.git('rev-list', '--all').trim()).toBe(''); // nothing committed
    r.git('rm', '-q', '-r', '--cached', '.gemini');
    r.write('README.md', 'hi\n').add('README.md');
    const ok = tryCommit(r);
    expect(ok.status, ok.stdout + ok.stderr).toBe(0);
  });

  it('checks the staged content of a partial commit (git commit <path>)', () => {
    const r = Repo.init();
    r.write('a.txt', 'a\n').add().commit();
    cli(['hook', 'install'], r.dir);
    r.write('a.txt', `k=${fake.googleKey()}\n`);
    const res = run('git', ['commit', '-q', '-m', 'partial', 'a.txt'], r.dir);
    expect(res.status).toBe(1);
  });

  it('chains an existing hook, keeps it working, and uninstall restores it', () => {
    const r = Repo.init();
    const hooks = join(r.dir, '.git', 'hooks');
    const original = '#!/bin/sh\necho "original hook ran" >&2\nexit 0\n';
    writeFileSync(join(hooks, 'pre-commit'), original);
    chmodSync(join(hooks, 'pre-commit'), 0o755);
    const inst = cli(['hook', 'install'], r.dir);
    expect(inst.stderr).toMatch(/runs the existing hook first/);
    r.write('a.txt', 'fine\n').add();
    const ok = tryCommit(r);
    expect(ok.status).toBe(0);
    expect(ok.stderr).toMatch(/original hook ran/);
    // the chained hook can still veto the commit
    writeFileSync(join(hooks, 'pre-commit.leakguard-chained'), '#!/bin/sh\necho veto >&2\nexit 3\n');
    r.write('b.txt', 'fine\n').add();
    const vetoed = tryCommit(r);
    expect(vetoed.status).toBe(1);
    expect(vetoed.stderr).toMatch(/veto/);
    writeFileSync(join(hooks, 'pre-commit.leakguard-chained'), original);
    // installing twice does not chain leakguard to itself
    cli(['hook', 'install'], r.dir);
    expect(readFileSync(join(hooks, 'pre-commit.leakguard-chained'), 'utf8')).toBe(original);
    expect(cli(['hook', 'uninstall'], r.dir).code).toBe(0);
    expect(readFileSync(join(hooks, 'pre-commit'), 'utf8')).toBe(original);
    expect(existsSync(join(hooks, 'pre-commit.leakguard-chained'))).toBe(false);
    const again = cli(['hook', 'uninstall'], r.dir);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/no leakguard hook installed/);
  });

  it('honours core.hooksPath', () => {
    const r = Repo.init();
    mkdirSync(join(r.dir, '.githooks'));
    r.git('config', 'core.hooksPath', '.githooks');
    cli(['hook', 'install'], r.dir);
    expect(existsSync(join(r.dir, '.githooks', 'pre-commit'))).toBe(true);
    expect(existsSync(join(r.dir, '.git', 'hooks', 'pre-commit'))).toBe(false);
    r.write('.env', 'A=1').add();
    expect(tryCommit(r).status).toBe(1);
  });

  it('works from a subdirectory and from a linked worktree', () => {
    const r = Repo.init();
    r.write('src/a.txt', 'a').add().commit();
    expect(cli(['hook', 'install'], join(r.dir, 'src')).code).toBe(0);
    r.write('src/.env', 'A=1').add();
    expect(tryCommit(r, join(r.dir, 'src')).status).toBe(1);
    r.git('reset', '-q');
    const wt = `${r.dir}-wt`;
    r.git('worktree', 'add', '-q', wt);
    const w = new Repo(wt);
    w.write('id_rsa', 'x').add();
    const res = tryCommit(w);
    expect(res.status).toBe(1);
    expect(res.stdout + res.stderr).toMatch(/ssh-private-key-file/);
    r.git('worktree', 'remove', '--force', wt);
  });

  it('fails closed with instructions when leakguard has moved', () => {
    const r = Repo.init();
    cli(['hook', 'install'], r.dir);
    const hook = join(r.dir, '.git', 'hooks', 'pre-commit');
    writeFileSync(
      hook,
      readFileSync(hook, 'utf8').replace(/LEAKGUARD_BIN='[^']*'/, "LEAKGUARD_BIN='/nowhere/leakguard.js'"),
    );
    r.write('a', 'a').add();
    const env = { ...GIT_ENV, PATH: '/usr/bin:/bin' };
    const res = run('git', ['commit', '-q', '-m', 'x'], r.dir, env);
    expect(res.status).not.toBe(0);
    expect(res.stderr).toMatch(/leakguard is not installed at \/nowhere\/leakguard.js/);
  });
});
