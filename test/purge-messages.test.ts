/**
 * Secrets that live outside every file: a commit message, an annotated tag's message, a git note.
 * The plan replaces them (--replace-message for messages; notes are rewritten like files and
 * re-filed under the rewritten commits), pushes the notes refs with the rest, and the checker
 * walks every commit, tag and note object of every remote.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allRefs, checkRemote } from './purge-checker.js';
import { cli, cliJson, fake, GIT_ENV, hasTool, Repo, run, tempDir, withTool } from './helpers.js';

const itFR = withTool(hasTool('git', ['filter-repo', '-h']), 'git-filter-repo');
const SECRETS = () => [fake.githubPat(), fake.googleKey(), fake.awsKeyId()];

/** Every secret is only in a message or a note; no file ever held one. */
function messagesRepo(): Repo {
  const r = Repo.init();
  r.write('README.md', 'app\n').add().commit('initial');
  r.write('src/app.js', 'console.log(1)\n').add().commit(`ci: use token ${fake.githubPat()} for the release job`);
  r.git('tag', '-a', '-m', `release notes\n\nGOOGLE_API_KEY=${fake.googleKey()}`, 'v1');
  r.git('notes', 'add', '-m', `deployed with ${fake.awsKeyId()}`, 'HEAD');
  r.write('src/app.js', 'console.log(2)\n').add().commit('later work');
  return r;
}

describe('purge: secrets in commit messages, tag messages and notes', () => {
  it('the plan lists them by where they are and replaces them in messages', () => {
    const r = messagesRepo();
    const { code, report: plan } = cliJson(['purge', '--plan'], r.dir);
    expect(code).toBe(0);
    expect(plan.credentials.map((c: any) => c.source).sort()).toEqual(['commit-message', 'note', 'tag-message']);
    expect(plan.removePaths).toEqual([]);
    expect(JSON.stringify(plan)).not.toMatch(/secretHash/);
    for (const s of SECRETS()) expect(JSON.stringify(plan)).not.toContain(s);
    const md = cli(['purge', '--plan'], r.dir).stdout;
    expect(md).toContain('--replace-message expressions.txt');
    expect(md).toMatch(/secrets found in commit and tag messages/);
  }, 60_000);

  itFR(
    'the sh plan purges them from every remote, notes refs included',
    () => {
      const r = messagesRepo();
      const remotes: Record<string, Repo> = {};
      for (const [name, url] of [
        ['origin', 'git@github.com:acme/app.git'],
        ['gitlab', 'https://gitlab.com/acme/app.git'],
      ] as const) {
        const b = Repo.init({ bare: true });
        remotes[name] = b;
        r.git('remote', 'add', name, url);
        r.git('config', `url.${b.dir}.insteadOf`, url);
        r.git('push', '-q', name, 'main', 'v1', 'refs/notes/commits');
      }
      const before = Object.fromEntries(Object.entries(remotes).map(([n, b]) => [n, allRefs(b)]));
      const snaps = Object.fromEntries(
        Object.entries(remotes).map(([n, b]) => {
          const dir = join(tempDir(), `${n}.git`);
          run('git', ['clone', '-q', '--mirror', b.dir, dir], '/');
          return [n, new Repo(dir)];
        }),
      );
      const script = join(tempDir(), 'purge.sh');
      expect(cli(['purge', '--plan', '--format', 'sh', '--output', script], r.dir).code).toBe(0);
      const res = run('bash', [script, '--yes'], r.dir, { ...GIT_ENV, LEAKGUARD_BACKUP_DIR: tempDir() });
      expect(res.status, `${res.stdout}\n${res.stderr}`).toBe(0);
      expect(res.stderr).toMatch(/--replace-message/);
      for (const [name, b] of Object.entries(remotes)) {
        checkRemote(name, b, {
          secrets: SECRETS(),
          purged: () => false,
          before: before[name]!,
          beforeRepo: snaps[name]!,
        });
        // the messages keep everything but the secret, and the note is on the rewritten commit
        const leak = b.git('rev-parse', 'main~1').trim();
        expect(b.git('log', '-1', '--format=%s', leak).trim()).toBe(
          'ci: use token ***REMOVED:github-pat*** for the release job',
        );
        expect(b.git('cat-file', '-p', 'v1')).toMatch(
          /release notes\n\nGOOGLE_API_KEY=\*\*\*REMOVED:google-api-key\*\*\*/,
        );
        expect(b.git('notes', 'show', leak)).toMatch(/deployed with \*\*\*REMOVED:aws-access-key-id\*\*\*/);
      }
      for (const s of SECRETS()) expect(res.stdout + res.stderr).not.toContain(s);
    },
    120_000,
  );
});
