/**
 * Proof by execution: a repository shaped like the incident, pushed to three bare repositories
 * standing in for GitHub, GitLab and Bitbucket (real-looking URLs mapped with url.<path>.insteadOf),
 * purged by running the generated script with the real git-filter-repo.
 */
import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, cliJson, fake, GIT_ENV, hasTool, Repo, run, tempDir, withTool } from './helpers.js';

const itFR = withTool(hasTool('git', ['filter-repo', '-h']), 'git-filter-repo');

const REMOTES = {
  origin: 'git@github.com:acme/app.git',
  gitlab: 'https://gitlab.com/acme/app.git',
  bitbucket: 'git@bitbucket.org:acme/app.git',
};
const INLINE = () => `export const key = "${fake.googleKey()}"; // used by the AI job\n`;

function bare(): Repo {
  return Repo.init({ bare: true });
}

/** The incident, pushed everywhere; returns the remotes' bare directories. */
function incidentOnThreeRemotes(opts: { remotes?: boolean } = {}) {
  const r = Repo.init();
  r.write('README.md', 'Set GOOGLE_API_KEY=AIza...your-key... in .env\n')
    .write('.env.example', 'GOOGLE_API_KEY=\n')
    .write('src/app.js', 'console.log("app")\n')
    .add()
    .commit('initial');
  r.write('.gemini/settings.json', `{"mcpServers":{"s":{"env":{"API_KEY":"${fake.githubPat()}"}}}}\n`)
    .write('tools/.gemini/.env', 'X=1\n')
    .write('.env', `GOOGLE_API_KEY=${fake.googleKey()}\n`)
    .write('src/config.js', INLINE())
    .add()
    .commit('debug AI job');
  r.write('exports/chat.jsonl', '');
  truncateSync(join(r.dir, 'exports/chat.jsonl'), 51 * 1000 * 1000);
  r.write('models/model.pt', 'weights').add().commit('artifacts');
  r.git('tag', 'v1');
  r.git('tag', '-a', '-m', 'annotated release', 'v1-annotated');
  r.git('checkout', '-q', '-b', 'feature');
  r.write('src/feature.js', 'export const f = 1;\n').add().commit('feature');
  r.git('checkout', '-q', 'main');
  r.git('rm', '-q', '-r', '.env', '.gemini');
  r.write('src/app.js', 'console.log("app v2")\n').add().commit('cleanup');
  const remotes: Record<string, Repo> = {};
  if (opts.remotes !== false) {
    for (const [name, url] of Object.entries(REMOTES)) {
      const b = bare();
      remotes[name] = b;
      r.git('remote', 'add', name, url);
      r.git('config', `url.${b.dir}.insteadOf`, url);
      r.git('push', '-q', name, '--all');
      r.git('push', '-q', name, '--tags');
    }
    // a merge-request ref on "GitLab", which no push can rewrite (advertised to fetches, hidden from pushes, as there)
    remotes.gitlab!.git('update-ref', 'refs/merge-requests/1/head', r.git('rev-parse', 'feature').trim());
    remotes.gitlab!.git('config', 'receive.hideRefs', 'refs/merge-requests');
  }
  return { r, remotes };
}

function refsOf(b: Repo): Map<string, string> {
  const out = b.git('for-each-ref', '--format=%(refname) %(objectname)', 'refs/heads', 'refs/tags');
  return new Map(
    out
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(' ') as [string, string]),
  );
}

/** path -> blob id of every file at a ref */
function treeOf(b: Repo, ref: string): Map<string, string> {
  const out = b.git('ls-tree', '-r', '-z', `${ref}^{commit}`);
  return new Map(
    out
      .split('\0')
      .filter(Boolean)
      .map((l) => {
        const [meta, path] = l.split('\t');
        return [path!, meta!.split(' ')[2]!];
      }),
  );
}

function runPlan(r: Repo, extraEnv: NodeJS.ProcessEnv = {}) {
  const script = join(tempDir(), 'purge.sh');
  const gen = cli(['purge', '--plan', '--format', 'sh', '--output', script], r.dir);
  expect(gen.code, gen.stderr).toBe(0);
  const res = run('bash', [script, '--yes'], r.dir, { ...GIT_ENV, LEAKGUARD_BACKUP_DIR: tempDir(), ...extraEnv });
  return { script, ...res };
}

describe('leakguard purge --plan', () => {
  itFR(
    'the sh plan, run with --yes, removes every purged secret and path from every remote and keeps everything else',
    () => {
      const { r, remotes } = incidentOnThreeRemotes();
      const before = Object.fromEntries(Object.entries(remotes).map(([n, b]) => [n, refsOf(b)]));
      const beforeTrees = new Map([...before.origin!.keys()].map((ref) => [ref, treeOf(remotes.origin!, ref)]));
      const res = runPlan(r);
      expect(res.status, `${res.stdout}\n${res.stderr}`).toBe(0);
      expect(res.stderr).toMatch(/verify: passed \(fresh scan of the rewrite: 0 finding\(s\); \d+ refs compared/);
      expect(res.stderr + res.stdout).toMatch(
        /gitlab keeps refs the push cannot rewrite[\s\S]*refs\/merge-requests\/1\/head/,
      );
      const targeted = (p: string) =>
        ['.gemini/settings.json', 'tools/.gemini/.env', '.env', 'exports/chat.jsonl', 'models/model.pt'].includes(p);
      for (const [name, b] of Object.entries(remotes)) {
        // every branch and tag still exists
        expect([...refsOf(b).keys()].sort(), name).toEqual([...before[name]!.keys()].sort());
        // nothing purged is reachable from any branch or tag
        const check = join(tempDir(), `${name}.git`);
        run('git', ['clone', '-q', '--mirror', b.dir, check], '/');
        const branchesAndTags = new Repo(check);
        for (const ref of refsOf(branchesAndTags).keys()) {
          const tree = treeOf(branchesAndTags, ref);
          for (const p of tree.keys()) expect(targeted(p), `${name} ${ref} ${p}`).toBe(false);
        }
        const all = run('git', ['log', '--branches', '--tags', '-p', '--format=%H'], check).stdout;
        expect(all).not.toContain(fake.googleKey());
        expect(all).not.toContain(fake.githubPat());
        // untargeted files are byte-identical; the file with an inline secret changed only there
        for (const [ref, oldTree] of beforeTrees) {
          const newTree = treeOf(branchesAndTags, ref);
          for (const [p, oid] of oldTree) {
            if (targeted(p)) continue;
            if (p === 'src/config.js') {
              const text = branchesAndTags.git('cat-file', 'blob', newTree.get(p)!);
              expect(text).toBe(INLINE().replace(fake.googleKey(), '***REMOVED:google-api-key***'));
              continue;
            }
            expect(newTree.get(p), `${name} ${ref} ${p}`).toBe(oid);
          }
        }
      }
      // the working clone was never touched, and the secrets never reached the terminal
      expect(readFileSync(join(r.dir, 'src/config.js'), 'utf8')).toBe(INLINE());
      expect(res.stdout + res.stderr).not.toContain(fake.googleKey());
      expect(readFileSync(res.script, 'utf8')).not.toContain(fake.googleKey());
    },
    120_000,
  );

  it('classifies remotes by their configured URL, not the insteadOf rewrite', () => {
    const { r } = incidentOnThreeRemotes();
    const { report: plan } = cliJson(['purge', '--plan'], r.dir);
    expect(plan.repository.remotes.map((x: any) => `${x.name}:${x.provider}`).sort()).toEqual([
      'bitbucket:bitbucket',
      'gitlab:gitlab',
      'origin:github',
    ]);
    expect(plan.removePaths.map((t: any) => t.spec)).toEqual(
      expect.arrayContaining([
        'literal:.gemini/settings.json',
        'literal:tools/.gemini/.env',
        'literal:.env',
        'literal:exports/chat.jsonl',
        'literal:models/model.pt',
      ]),
    );
    expect(plan.replacements).toHaveLength(1);
    expect(JSON.stringify(plan)).not.toContain(fake.googleKey());
    const md = cli(['purge', '--plan'], r.dir).stdout;
    for (const text of [
      'Rotate every exposed credential first',
      'refs/pull/*',
      'Allowed to force push',
      'Atlassian Support',
      'git clone --mirror',
      '--force-with-lease',
      "'+refs/*:refs/leakguard/t<N>/*'",
    ])
      expect(md).toContain(text);
  }, 60_000);

  itFR(
    'a remote that rejects the push stops the script, naming it',
    () => {
      const { r, remotes } = incidentOnThreeRemotes();
      remotes.bitbucket!.git('config', 'receive.denyNonFastForwards', 'true');
      const before = remotes.bitbucket!.git('for-each-ref');
      const res = runPlan(r);
      expect(res.status).toBe(1);
      expect(res.stderr).toMatch(
        /push to bitbucket \(git@bitbucket\.org:acme\/app\.git\) was rejected \(atomic: nothing on it changed\)/,
      );
      // denyNonFastForwards refuses the branches, not the annotated tag: only an atomic push keeps the tag from moving alone
      expect(remotes.bitbucket!.git('for-each-ref')).toBe(before);
    },
    120_000,
  );

  it('without git-filter-repo the script refuses with the install command, and the md plan still renders', () => {
    const { r } = incidentOnThreeRemotes({ remotes: false });
    const shim = join(tempDir(), 'bin');
    run('mkdir', ['-p', shim], '/');
    // a PATH with git and node but no git-filter-repo
    for (const tool of [
      'git',
      'bash',
      'mktemp',
      'chmod',
      'rm',
      'date',
      'dirname',
      'basename',
      'cat',
      'sed',
      'awk',
      'sort',
      'grep',
      'mkdir',
    ]) {
      const p = run('sh', ['-c', `command -v ${tool}`], '/').stdout.trim();
      if (p) run('ln', ['-s', p, join(shim, tool)], '/');
    }
    const md = cli(['purge', '--plan'], r.dir, { ...GIT_ENV, PATH: shim });
    expect(md.code).toBe(0);
    expect(md.stdout).toMatch(/git-filter-repo is not installed/);
    const res = runPlan(r, { PATH: shim });
    expect(res.status).toBe(2);
    expect(res.stderr).toMatch(
      /git-filter-repo is not installed; install git-filter-repo: apt-get install git-filter-repo/,
    );
  }, 60_000);

  itFR(
    'no remotes, a dirty work tree and unpushed work: warned, rewritten, never lost',
    () => {
      const { r } = incidentOnThreeRemotes({ remotes: false });
      r.write('src/app.js', 'uncommitted edit\n');
      const md = cli(['purge', '--plan'], r.dir).stdout;
      expect(md).toMatch(/no remotes: the plan rewrites it but has nowhere to push/);
      expect(md).toMatch(/uncommitted change/);
      const res = runPlan(r);
      expect(res.status, res.stderr).toBe(0);
      expect(res.stdout).toMatch(/no remotes: nothing to push/);
      expect(readFileSync(join(r.dir, 'src/app.js'), 'utf8')).toBe('uncommitted edit\n');
      expect(r.git('log', '--all', '--format=%s')).toContain('debug AI job');
    },
    60_000,
  );

  it('plans from a saved history report, and refuses one from another repository or a malformed one', () => {
    const { r } = incidentOnThreeRemotes({ remotes: false });
    const report = join(tempDir(), 'report.json');
    expect(cli(['scan', '--history', '--format', 'json', '--output', report], r.dir).code).toBe(1);
    const { code, report: plan } = cliJson(['purge', '--plan', '--from', report], r.dir);
    expect(code).toBe(0);
    expect(plan.credentials.length).toBeGreaterThan(0);
    const other = Repo.init();
    other.write('a', 'a').add().commit();
    const bad = cli(['purge', '--plan', '--from', report], other.dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/is from another repository/);
    const broken = join(tempDir(), 'broken.json');
    writeFileSync(broken, '{"findings": 3}');
    expect(cli(['purge', '--plan', '--from', broken], r.dir).stderr).toMatch(/has no findings list/);
    const worktreeReport = join(tempDir(), 'wt.json');
    cli(['scan', '--format', 'json', '--output', worktreeReport], r.dir);
    expect(cli(['purge', '--plan', '--from', worktreeReport], r.dir).stderr).toMatch(/is not a history scan/);
  }, 60_000);
});

describe('nothing to purge', () => {
  it('says so, and its script rewrites nothing', () => {
    const r = Repo.init();
    r.write('README.md', 'hello\n').add().commit();
    const head = r.git('rev-parse', 'HEAD').trim();
    expect(cli(['purge', '--plan'], r.dir).stdout).toMatch(/Nothing to purge/);
    const res = runPlan(r);
    expect(res.status).toBe(0);
    expect(res.stdout).toMatch(/Nothing to purge/);
    expect(r.git('rev-parse', 'HEAD').trim()).toBe(head);
  });
});

describe('manual steps', () => {
  itFR('without a terminal and without --yes, the script stops at the first manual step and changes nothing', () => {
    const { r } = incidentOnThreeRemotes({ remotes: false });
    const script = join(tempDir(), 'purge.sh');
    cli(['purge', '--plan', '--format', 'sh', '--output', script], r.dir);
    const backups = tempDir();
    const res = run('setsid', ['bash', script], r.dir, { ...GIT_ENV, LEAKGUARD_BACKUP_DIR: backups });
    expect(res.status).toBe(2);
    expect(res.stderr).toMatch(/a manual step needs confirmation: run this from a terminal, or with --yes/);
    expect(run('ls', ['-A', backups], '/').stdout).toBe('');
  });
});

describe('verification guards the push', () => {
  itFR(
    'a rewrite that leaves a purged path behind is never pushed',
    () => {
      const { r, remotes } = incidentOnThreeRemotes();
      const before = refsOf(remotes.origin!);
      const script = join(tempDir(), 'purge.sh');
      cli(['purge', '--plan', '--format', 'sh', '--output', script], r.dir);
      // a reviewer drops the Gemini state file from the paths file by mistake
      const text = readFileSync(script, 'utf8');
      expect(text).toContain('literal:tools/.gemini/.env\n');
      writeFileSync(script, text.replace('literal:tools/.gemini/.env\n', ''));
      const res = run('bash', [script, '--yes'], r.dir, { ...GIT_ENV, LEAKGUARD_BACKUP_DIR: tempDir() });
      expect(res.status).toBe(1);
      expect(res.stderr).toMatch(/still present after the rewrite: gemini-state-folder/);
      expect(res.stderr).toMatch(/verification failed: nothing was pushed/);
      expect(refsOf(remotes.origin!)).toEqual(before);
    },
    120_000,
  );

  it('warns about local commits that are on no remote', () => {
    const { r } = incidentOnThreeRemotes();
    r.write('local.txt', 'not pushed\n').add().commit('local only');
    const md = cli(['purge', '--plan'], r.dir).stdout;
    expect(md).toMatch(/1 local commit\(s\) are on no remote/);
  }, 60_000);
});
