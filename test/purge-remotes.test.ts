/**
 * Purges against remotes that differ from each other and from the local clone, as real ones do:
 * a GitHub-like remote with read-only refs/pull/*, one ahead of the local clone, a branch only one
 * remote has, a remote whose pushurl is another repository with a branch and a tag of its own, a
 * tag only this clone has, a secret in a git note. The real script runs with the real
 * git-filter-repo; the checker then walks every object of every remote.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { allRefs, checkRemote, githubLike, gitlabProtected } from './purge-checker.js';
import { cli, fake, GIT_ENV, hasTool, Repo, run, tempDir, withTool } from './helpers.js';

const itFR = withTool(hasTool('git', ['filter-repo', '-h']), 'git-filter-repo');

const INLINE = () => `export const key = "${fake.googleKey()}";\n`;
const DEPLOY = () => `#!/bin/sh\ncurl -H "Authorization: token ${fake.githubPat()}" https://api.example.com\n`;
const NOTE = () => `deployed with AWS key ${fake.awsKeyId()}`;
const SECRETS = () => [fake.googleKey(), fake.githubPat(), fake.awsKeyId()];
const purged = (p: string) => p === '.env';

const bare = () => Repo.init({ bare: true });
/** A copy of a remote as it was, to compare with afterwards (refs/pull/* included: fetches see them). */
function snapshot(b: Repo): Repo {
  const dir = join(tempDir(), 'snap.git');
  run('git', ['clone', '-q', '--mirror', b.dir, dir], '/');
  return new Repo(dir);
}

function clone(from: Repo): Repo {
  const dir = join(tempDir(), 'colleague');
  run('git', ['clone', '-q', from.dir, dir], '/', GIT_ENV);
  return new Repo(dir);
}

/** The local clone: a leaked .env, an inline key, an annotated tag, a note holding a key, a tag only here. */
function localRepo(): Repo {
  const r = Repo.init();
  r.write('README.md', 'app\n').write('src/app.js', 'console.log(1)\n').add().commit('initial');
  r.write('.env', `GOOGLE_API_KEY=${fake.googleKey()}\n`)
    .write('src/config.js', INLINE())
    .add()
    .commit('wire the AI job');
  r.git('notes', 'add', '-m', NOTE(), 'HEAD');
  r.git('tag', '-a', '-m', 'first release', 'v1');
  r.git('rm', '-q', '.env');
  r.write('src/app.js', 'console.log(2)\n').add().commit('drop .env');
  r.git('tag', 'local-only');
  return r;
}

function addRemote(r: Repo, name: string, url: string, b: Repo, pushTo?: { url: string; repo: Repo }) {
  r.git('remote', 'add', name, url);
  r.git('config', `url.${b.dir}.insteadOf`, url);
  if (pushTo) {
    r.git('config', `remote.${name}.pushurl`, pushTo.url);
    r.git('config', `url.${pushTo.repo.dir}.insteadOf`, pushTo.url);
  }
  run(
    'git',
    ['push', '-q', b.dir, 'refs/heads/*:refs/heads/*', 'refs/tags/v1:refs/tags/v1', 'refs/notes/*:refs/notes/*'],
    r.dir,
  );
  if (pushTo)
    run(
      'git',
      [
        'push',
        '-q',
        pushTo.repo.dir,
        'refs/heads/*:refs/heads/*',
        'refs/tags/v1:refs/tags/v1',
        'refs/notes/*:refs/notes/*',
      ],
      r.dir,
    );
}

function runScript(r: Repo, backups = tempDir()) {
  const script = join(tempDir(), 'purge.sh');
  const gen = cli(['purge', '--plan', '--format', 'sh', '--output', script], r.dir);
  expect(gen.code, gen.stderr).toBe(0);
  const res = run('bash', [script, '--yes'], r.dir, { ...GIT_ENV, LEAKGUARD_BACKUP_DIR: backups });
  return { script, backups, ...res, out: `${res.stdout}\n${res.stderr}` };
}

describe('purge: every remote gets back exactly its own refs, clean', () => {
  itFR(
    'forge-like remotes that differ from each other and from this clone',
    () => {
      const r = localRepo();
      const leak = r.git('rev-parse', 'HEAD~1').trim();
      const gh = bare();
      const gl = bare();
      const fetchMirror = bare();
      const internal = bare();
      addRemote(r, 'origin', 'git@github.com:acme/app.git', gh);
      addRemote(r, 'gitlab', 'https://gitlab.com/acme/app.git', gl);
      addRemote(r, 'internal', 'https://git.internal.example/app.git', fetchMirror, {
        url: 'ssh://git@push.internal.example/app.git',
        repo: internal,
      });
      githubLike(gh, { 1: leak });
      // GitHub is ahead of this clone: a colleague pushed since
      const colleague = clone(gh);
      colleague.write('colleague.txt', 'their work\n').add().commit('colleague work');
      colleague.git('push', '-q', 'origin', 'main');
      // a branch only GitLab has, with a token in a file that stays
      const glWork = clone(gl);
      glWork.git('checkout', '-q', '-b', 'ci');
      glWork.write('ci/deploy.sh', DEPLOY()).add().commit('deploy script');
      glWork.git('push', '-q', 'origin', 'ci');
      // the push repository of "internal" has a branch and a tag of its own (the fetch mirror lags)
      const intWork = clone(internal);
      intWork.git('checkout', '-q', '-b', 'release/2', `${leak}`);
      intWork.write('RELEASE', '2\n').add().commit('release 2');
      intWork.git('tag', 'internal-v0');
      intWork.git('push', '-q', 'origin', 'release/2', 'internal-v0');
      // an older server without atomic pushes
      internal.git('config', 'receive.advertiseAtomic', 'false');
      const remotes = { origin: gh, gitlab: gl, internal };
      const before = Object.fromEntries(Object.entries(remotes).map(([n, b]) => [n, allRefs(b)]));
      const snaps = Object.fromEntries(Object.entries(remotes).map(([n, b]) => [n, snapshot(b)]));
      const mirrorBefore = allRefs(fetchMirror);

      const res = runScript(r);
      expect(res.status, res.out).toBe(0);
      for (const [name, b] of Object.entries(remotes)) {
        checkRemote(name, b, {
          secrets: SECRETS(),
          purged,
          before: before[name]!,
          beforeRepo: snaps[name]!,
          forgeRefs: name === 'origin' ? ['refs/pull/1/head'] : [],
        });
      }
      // the read-only pull ref is named as what still needs GitHub
      expect(res.stderr).toMatch(/origin keeps refs the push cannot rewrite[\s\S]*refs\/pull\/1\/head/);
      // the colleague's commit survived, rewritten; the note is re-filed on the rewritten commit and clean
      expect(gh.git('show', 'main:colleague.txt')).toBe('their work\n');
      const newLeak = gh.git('rev-parse', 'v1^{commit}').trim();
      expect(newLeak).not.toBe(leak);
      expect(gh.git('notes', 'show', newLeak)).toMatch(/deployed with AWS key \*\*\*REMOVED:[a-z0-9-]+\*\*\*/);
      // internal's own branch and tag are still there; the fetch mirror was never written to, and that was said
      expect(internal.git('show', 'release/2:RELEASE')).toBe('2\n');
      expect(allRefs(fetchMirror)).toEqual(mirrorBefore);
      expect(res.stderr).toMatch(/internal: the server does not support atomic pushes, so refs are updated one by one/);
      expect(res.stderr).toMatch(/pushed \d+ ref\(s\) to origin \(git@github\.com:acme\/app\.git\) atomically/);
      expect(res.stderr).toMatch(
        /internal fetches from https:\/\/git\.internal\.example\/app\.git, which no push reaches/,
      );
      // the working clone was never touched, and no secret reached the terminal or the script
      expect(r.git('rev-parse', 'HEAD~1').trim()).toBe(leak);
      for (const s of SECRETS()) {
        expect(res.out).not.toContain(s);
        expect(readFileSync(res.script, 'utf8')).not.toContain(s);
      }
    },
    120_000,
  );

  itFR(
    'a protected branch rejects the push: atomic, stops naming the remote and the reason, and the same script resumes to a clean end',
    () => {
      const r = localRepo();
      const gh = bare();
      const gl = bare();
      const bb = bare();
      addRemote(r, 'origin', 'git@github.com:acme/app.git', gh);
      addRemote(r, 'gitlab', 'https://gitlab.com/acme/app.git', gl);
      addRemote(r, 'bitbucket', 'git@bitbucket.org:acme/app.git', bb);
      const hook = gitlabProtected(gl, 'main');
      const remotes = { origin: gh, gitlab: gl, bitbucket: bb };
      const before = Object.fromEntries(Object.entries(remotes).map(([n, b]) => [n, allRefs(b)]));
      const snaps = Object.fromEntries(Object.entries(remotes).map(([n, b]) => [n, snapshot(b)]));

      const first = runScript(r);
      expect(first.status, first.out).toBe(1);
      expect(first.stderr).toMatch(
        /push to gitlab \(https:\/\/gitlab\.com\/acme\/app\.git\) was rejected \(atomic: nothing on it changed\)/,
      );
      expect(first.stderr).toMatch(/not allowed to force push code to a protected branch/);
      expect(first.stderr).toMatch(/already done: origin; not yet: gitlab, bitbucket/);
      const resume = /resume with:\n {2}(.+)\n/.exec(first.stderr)?.[1];
      expect(resume).toContain(first.script);
      // atomic: the tag was not rewritten while main stayed old
      expect(allRefs(gl)).toEqual(before.gitlab);
      expect(allRefs(bb)).toEqual(before.bitbucket);
      expect(allRefs(gh)).not.toEqual(before.origin);

      // a freshly generated plan, backed up anew from the half-rewritten remotes, does not stumble on
      // what the first run rewrote: origin is recognised as rewritten, gitlab still refuses
      const fresh = runScript(r);
      expect(fresh.status, fresh.out).toBe(1);
      expect(fresh.stderr).not.toMatch(/differ|changed since the backup/);
      expect(fresh.stderr).toMatch(/origin \(git@github\.com:acme\/app\.git\): every ref already equals the rewrite/);
      expect(fresh.stderr).toMatch(/push to gitlab .* was rejected/);
      expect(allRefs(gl)).toEqual(before.gitlab);

      run('rm', [hook], '/'); // the maintainer lifts the protection
      const second = run('bash', ['-c', resume!], '/', GIT_ENV);
      expect(second.status, `${second.stdout}\n${second.stderr}`).toBe(0);
      expect(second.stdout).toMatch(/resuming the purge/);
      // origin, done the first time, is recognised as done and not pushed again
      expect(second.stderr).not.toMatch(/to origin/);
      expect(second.stderr).toMatch(/already done: origin, gitlab, bitbucket; not yet: none/);
      for (const [name, b] of Object.entries(remotes))
        checkRemote(name, b, { secrets: SECRETS(), purged, before: before[name]!, beforeRepo: snaps[name]! });
      // every remote holds the same rewritten history
      expect(allRefs(gl)).toEqual(allRefs(gh));
      expect(allRefs(bb)).toEqual(allRefs(gh));
    },
    120_000,
  );
});

describe('purge: incident mirrors and odd names', () => {
  itFR(
    'in a bare mirror whose remote is a relative path, with a file name holding a line break',
    () => {
      const r = Repo.init();
      const odd = 'we\nird/.env';
      r.write('src/app.js', 'console.log(1)\n').add().commit('initial');
      r.write(odd, `GOOGLE_API_KEY=${fake.googleKey()}\n`).write('src/config.js', INLINE()).add().commit('leak');
      r.git('rm', '-q', '--cached', odd);
      r.commit('untrack');
      const dir = tempDir();
      run('git', ['init', '-q', '--bare', join(dir, 'origin.git')], '/');
      r.git('push', '-q', join(dir, 'origin.git'), 'main');
      run('git', ['clone', '-q', '--bare', join(dir, 'origin.git'), join(dir, 'incident.git')], '/');
      const mirror = new Repo(join(dir, 'incident.git'));
      mirror.git('config', 'remote.origin.url', '../origin.git');
      const origin = new Repo(join(dir, 'origin.git'));
      const before = allRefs(origin);
      const snap = snapshot(origin);
      const md = cli(['purge', '--plan'], mirror.dir);
      expect(md.code, md.stderr).toBe(0);
      expect(md.stdout).toContain(JSON.stringify(odd));
      const res = runScript(mirror);
      expect(res.status, res.out).toBe(0);
      // each message about the odd path stays on one line
      expect(res.stdout).not.toMatch(/^ird\/\.env/m);
      checkRemote('origin', origin, { secrets: SECRETS(), purged: (p) => p === odd, before, beforeRepo: snap });
      expect(origin.git('show', 'main:src/config.js')).toMatch(/\*\*\*REMOVED:google-api-key\*\*\*/);
    },
    60_000,
  );
});
