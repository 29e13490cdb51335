/**
 * git-filter-repo rewrites a notes ref as ordinary history: the note texts go through
 * --replace-text like any file, but each note stays filed under the id of the commit it annotated
 * before the rewrite, which no longer exists. This re-files every note under the rewritten id, from
 * filter-repo's commit-map, as one new commit on top of each notes ref.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { git, gitRaw, splitNul } from '../sources/git.js';

function commitMap(repo: string): Map<string, string> {
  const file = join(repo, 'filter-repo', 'commit-map');
  const map = new Map<string, string>();
  if (!existsSync(file)) return map;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const [old, now] = line.split(' ');
    if (old && now && /^[0-9a-f]{40,64}$/.test(old) && old !== now) map.set(old, now);
  }
  return map;
}

const ZERO = /^0+$/;
const IDENTITY = {
  GIT_COMMITTER_NAME: 'leakguard',
  GIT_COMMITTER_EMAIL: 'leakguard@localhost',
  GIT_AUTHOR_NAME: 'leakguard',
  GIT_AUTHOR_EMAIL: 'leakguard@localhost',
};

/** Returns how many notes were re-filed. `repo` is a bare repository filter-repo has just rewritten. */
export async function rekeyNotes(repo: string): Promise<number> {
  const map = commitMap(repo);
  if (!map.size) return 0;
  const refs = (await git(['for-each-ref', '--format=%(refname)', 'refs/'], repo))
    .toString('utf8')
    .split('\n')
    .filter((r) => /^refs\/(leakguard\/t\d+\/)?notes\//.test(r));
  let moved = 0;
  for (const ref of refs) {
    const entries = splitNul(await git(['ls-tree', '-r', '-z', `${ref}^{tree}`], repo)).map((b) => b.toString('utf8'));
    let changed = false;
    const lines: string[] = [];
    for (const e of entries) {
      const tab = e.indexOf('\t');
      const meta = e.slice(0, tab);
      const path = e.slice(tab + 1);
      const annotated = path.replace(/\//g, '');
      const now = map.get(annotated);
      if (now && ZERO.test(now)) {
        changed = true;
        continue;
      } // the annotated commit is gone
      if (now) {
        changed = true;
        moved++;
      }
      // a flat tree: git reads notes at any fan-out
      lines.push(`${meta}\t${now ?? (/^[0-9a-f]{40,64}$/.test(annotated) ? annotated : path)}`);
    }
    if (!changed) continue;
    if (lines.some((l) => l.slice(l.indexOf('\t') + 1).includes('/'))) continue; // not a notes tree we understand: leave it
    const tree = (await git(['mktree', '-z'], repo, lines.join('\0') + '\0')).toString('utf8').trim();
    const parent = (await git(['rev-parse', `${ref}^{commit}`], repo)).toString('utf8').trim();
    // dated like the notes commit it follows, so every remote's copy of the same notes gets the same id
    const when = (await git(['log', '-1', '--format=%ct', parent], repo)).toString('utf8').trim();
    const env = {
      ...IDENTITY,
      ...process.env,
      GIT_COMMITTER_DATE: `@${when} +0000`,
      GIT_AUTHOR_DATE: `@${when} +0000`,
    };
    const c = await gitRaw(['commit-tree', tree, '-p', parent, '-m', 'Notes re-filed under the rewritten commits'], {
      cwd: repo,
      env,
    });
    if (c.code !== 0) throw new Error(`git commit-tree failed: ${c.stderr}`);
    await git(['update-ref', ref, c.stdout.toString('utf8').trim(), parent], repo);
  }
  return moved;
}
