/**
 * Bare repositories that behave like forges where git can, and the checker every purge test runs
 * afterwards on every remote: it walks every object reachable from every ref (messages and notes
 * included) and holds the remote to what a purge promises.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { run, Repo } from './helpers.js';

export type Refs = Map<string, string>;

/** Every ref of a repository (HEAD aside), name -> id. */
export function allRefs(b: Repo): Refs {
  const out = b.git('for-each-ref', '--format=%(refname) %(objectname)');
  return new Map(
    out
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(' ') as [string, string]),
  );
}

/** GitHub: refs/pull/* are served to fetches and refused to pushes ("deny updating a hidden ref"). */
export function githubLike(b: Repo, pulls: Record<string, string>): void {
  for (const [n, commit] of Object.entries(pulls)) b.git('update-ref', `refs/pull/${n}/head`, commit);
  b.git('config', 'receive.hideRefs', 'refs/pull');
}

/**
 * GitLab: a protected branch, enforced ref by ref (an update hook) so that, without an atomic push,
 * the other refs of the same push would go through.
 */
export function gitlabProtected(b: Repo, branch: string): string {
  const hook = join(b.dir, 'hooks', 'update');
  writeFileSync(
    hook,
    `#!/bin/sh
z=0000000000000000000000000000000000000000
ref=$1 old=$2 new=$3
if [ "$ref" = "refs/heads/${branch}" ] && [ "$old" != "$z" ] && [ "$new" != "$z" ] && ! git merge-base --is-ancestor "$old" "$new"; then
  echo "GitLab: You are not allowed to force push code to a protected branch on this project." >&2
  exit 1
fi
`,
  );
  chmodSync(hook, 0o755);
  return hook;
}

/** path -> blob id of every file at a ref */
export function treeOf(b: Repo, ref: string): Map<string, string> {
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

export interface Expectation {
  /** Secrets that must be reachable from no ref (except `forgeRefs`). */
  secrets: string[];
  /** A path the purge removes. */
  purged: (path: string) => boolean;
  /** The remote's refs before the purge: exactly these must exist after (none lost, none gained). */
  before: Refs;
  /** The same refs' trees before, to compare untargeted files. */
  beforeRepo: Repo;
  /** Refs the forge keeps read-only: left as they were, not walked. */
  forgeRefs?: string[];
}

const REMOVED = /\*\*\*REMOVED:[a-z0-9-]+\*\*\*/;

/** Every file's bytes are the same, or the same with each secret replaced by filter-repo's marker. */
function sameButSecrets(before: string, after: string, secrets: string[]): boolean {
  let pattern = before.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  for (const s of secrets) pattern = pattern.split(s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join(REMOVED.source);
  return new RegExp(`^${pattern}$`).test(after);
}

export function checkRemote(name: string, remote: Repo, e: Expectation): void {
  const after = allRefs(remote);
  // no ref lost, none gained from another remote or the local clone
  expect([...after.keys()].sort(), `${name}: its refs`).toEqual([...e.before.keys()].sort());
  const forge = new Set(e.forgeRefs ?? []);
  for (const ref of forge) expect(after.get(ref), `${name}: ${ref} is the forge's`).toBe(e.before.get(ref));
  const walked = [...after.keys()].filter((r) => !forge.has(r));
  if (!walked.length) return;
  // every object reachable from every other ref: blobs (notes too), trees' paths, commit and tag messages
  const objects = run('git', ['rev-list', '--objects', '--no-object-names', ...walked], remote.dir)
    .stdout.trim()
    .split('\n')
    .filter(Boolean);
  const withNames = run('git', ['rev-list', '--objects', ...walked], remote.dir)
    .stdout.trim()
    .split('\n');
  for (const line of withNames) {
    const path = line.slice(41);
    if (path) expect(e.purged(path), `${name}: purged path ${path} is still reachable`).toBe(false);
  }
  const all = run('git', ['cat-file', '--batch'], remote.dir, undefined, `${objects.join('\n')}\n`).stdout;
  for (const s of e.secrets) expect(all.includes(s), `${name}: a purged secret is still reachable`).toBe(false);
  // untargeted files byte-identical at every tip
  for (const ref of walked) {
    const type = remote.git('cat-file', '-t', `${ref}^{}`).trim();
    if (type !== 'commit' || /(^|\/)notes\//.test(ref)) continue;
    const oldTree = treeOf(e.beforeRepo, e.before.get(ref)!);
    const newTree = treeOf(remote, ref);
    for (const [p, oid] of oldTree) {
      if (e.purged(p)) {
        expect(newTree.has(p), `${name} ${ref}: ${p} removed`).toBe(false);
        continue;
      }
      const now = newTree.get(p);
      expect(now, `${name} ${ref}: ${p} kept`).toBeDefined();
      if (now === oid) continue;
      const [a, b] = [e.beforeRepo.git('cat-file', 'blob', oid), remote.git('cat-file', 'blob', now!)];
      expect(sameButSecrets(a, b, e.secrets), `${name} ${ref}: ${p} changed beyond its secrets`).toBe(true);
    }
  }
}
