/**
 * What each plain git hook catches in the ways commits reach a branch without `git commit`
 * (merges, rebases, cherry-picks, amends), and the pre-push backstop that catches the rest before
 * anything leaves the machine. Real git, a real bare remote.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, fake, GIT_ENV, Repo, run, tempDir } from './helpers.js';

/** A clone of a bare remote, with leakguard's hooks installed (all of them: the default). */
function setup() {
  const remote = Repo.init({ bare: true });
  const dir = join(tempDir(), 'clone');
  run('git', ['clone', '-q', remote.dir, dir], '/');
  const r = new Repo(dir);
  r.write('a.txt', 'one\ntwo\nthree\n').add().commit('initial');
  r.git('push', '-q', 'origin', 'main');
  const inst = cli(['hook', 'install'], r.dir);
  expect(inst.code, inst.stderr).toBe(0);
  for (const h of ['pre-commit', 'pre-merge-commit', 'commit-msg', 'pre-push'])
    expect(inst.stderr).toMatch(new RegExp(`${h} hook installed`));
  return { r, remote };
}

const secretLine = () => `key = "${fake.googleKey()}"\n`;
const git = (r: Repo, ...args: string[]) => run('git', args, r.dir, GIT_ENV);
const remoteHead = (remote: Repo, ref = 'main') =>
  run('git', ['rev-parse', '--verify', '-q', ref], remote.dir).stdout.trim();

describe('hooks beyond pre-commit', () => {
  it('commit-msg: a token in the message (or an amended one) is refused; comments git strips are not scanned', () => {
    const { r } = setup();
    r.write('b.txt', 'b\n').add();
    const res = git(r, 'commit', '-q', '-m', `deploy with ${fake.githubPat()}`);
    expect(res.status).not.toBe(0);
    expect(res.stdout + res.stderr).toMatch(/\(commit message\)[\s\S]*github/i);
    expect(res.stdout + res.stderr).not.toContain(fake.githubPat());
    expect(git(r, 'commit', '-q', '-m', 'add b').status).toBe(0);
    const amend = git(r, 'commit', '-q', '--amend', '-m', `add b, token ${fake.githubPat()}`);
    expect(amend.status).not.toBe(0);
    expect(r.git('log', '-1', '--format=%s').trim()).toBe('add b');
    // a commented line (as in git's template) is stripped by git, so it is not a finding
    r.write('c.txt', 'c\n').add();
    expect(git(r, 'commit', '-q', '--cleanup=strip', '-m', 'add c', '-m', `# ${fake.githubPat()}`).status).toBe(0);
  });

  it('amend: a secret staged into an amended commit is refused by pre-commit', () => {
    const { r } = setup();
    r.write('.env', 'API=1\n').add();
    expect(git(r, 'commit', '-q', '--amend', '--no-edit').status).not.toBe(0);
  });

  it('pre-merge-commit: a merge that brings a secret in is refused; a clean merge passes', () => {
    const { r } = setup();
    r.git('checkout', '-q', '-b', 'feature');
    r.write('config.js', secretLine()).add();
    r.git('commit', '-q', '--no-verify', '-m', 'a teammate without the hook');
    r.git('checkout', '-q', 'main');
    r.write('b.txt', 'b\n').add().commit('main moves on');
    const merged = git(r, 'merge', '--no-edit', 'feature');
    expect(merged.status).not.toBe(0);
    expect(merged.stdout + merged.stderr).toMatch(/google-api-key/);
    r.git('merge', '--abort');
    r.git('checkout', '-q', '-b', 'clean', 'main~1');
    r.write('d.txt', 'd\n').add().commit('clean work');
    r.git('checkout', '-q', 'main');
    expect(git(r, 'merge', '-q', '--no-edit', 'clean').status).toBe(0);
  });

  it('pre-push catches what the commit hooks cannot see: a cherry-pick, a rebase resolved to a token', () => {
    const { r, remote } = setup();
    const pushed = remoteHead(remote);
    // cherry-pick: no commit hook runs
    r.git('checkout', '-q', '-b', 'other');
    r.write('config.js', secretLine()).add();
    r.git('commit', '-q', '--no-verify', '-m', 'secret elsewhere');
    const leak = r.git('rev-parse', 'HEAD').trim();
    r.git('checkout', '-q', 'main');
    expect(git(r, 'cherry-pick', leak).status).toBe(0);
    const push = git(r, 'push', '-q', 'origin', 'main');
    expect(push.status).not.toBe(0);
    expect(push.stdout + push.stderr).toMatch(/google-api-key/);
    expect(remoteHead(remote)).toBe(pushed); // nothing left the machine
    r.git('reset', '-q', '--hard', 'HEAD~1');

    // a rebase whose conflict is resolved to a token
    r.git('checkout', '-q', '-b', 'topic');
    r.write('a.txt', 'one\nTOPIC\nthree\n').add().commit('topic edit');
    r.git('checkout', '-q', 'main');
    r.write('a.txt', 'one\nMAIN\nthree\n').add().commit('main edit');
    r.git('checkout', '-q', 'topic');
    expect(git(r, 'rebase', '-q', 'main').status).not.toBe(0); // conflict
    r.write('a.txt', `one\n${secretLine()}three\n`);
    r.git('add', 'a.txt');
    const cont = run('git', ['-c', 'core.editor=true', 'rebase', '--continue'], r.dir, GIT_ENV);
    const rebasedIn = cont.status === 0;
    if (rebasedIn) {
      const p = git(r, 'push', '-q', 'origin', 'topic');
      expect(p.status).not.toBe(0);
      expect(run('git', ['rev-parse', '--verify', '-q', 'refs/heads/topic'], remote.dir).status).not.toBe(0);
    } else {
      expect(cont.stdout + cont.stderr).toMatch(/google-api-key/); // this git ran pre-commit on --continue
      r.git('rebase', '--abort');
    }
  });

  it('pre-push scans only what the remote lacks: a secret already there does not block a clean push; deleting a branch passes', () => {
    const { r, remote } = setup();
    r.write('old.env', 'A=1\n').add();
    r.git('commit', '-q', '--no-verify', '-m', 'old leak');
    r.git('push', '-q', '--no-verify', 'origin', 'main');
    r.write('b.txt', 'b\n').add().commit('clean');
    expect(git(r, 'push', '-q', 'origin', 'main').status).toBe(0);
    expect(remoteHead(remote)).toBe(r.git('rev-parse', 'HEAD').trim());
    // a new branch: only its own commits are scanned, not main's history
    r.git('checkout', '-q', '-b', 'feature');
    r.write('c.txt', 'c\n').add().commit('feature');
    expect(git(r, 'push', '-q', 'origin', 'feature').status).toBe(0);
    expect(git(r, 'push', '-q', 'origin', ':feature').status).toBe(0);
    // a new branch with a secret of its own is refused
    r.git('checkout', '-q', '-b', 'leaky');
    r.write('key.js', secretLine()).add();
    r.git('commit', '-q', '--no-verify', '-m', 'leak');
    expect(git(r, 'push', '-q', 'origin', 'leaky').status).not.toBe(0);
  });
});
