/**
 * History: every file version reachable from every ref (or introduced by a range of commits), read
 * as metadata in one `git log --raw` pass. Contents are not read here; the engine reads each unique
 * blob once, however many commits and paths share it.
 */
import { spawn } from 'node:child_process';
import { LeakguardError } from '../errors.js';
import { gitComplaint, gitRaw } from './git.js';
import { batchCheck } from './catfile.js';

export interface RefInfo {
  name: string;
  commit: string;
}

export interface Commit {
  oid: string;
  parents: string[];
  /** Committer time, seconds: orders occurrences to find the first. */
  time: number;
  /** Who, when and why: read only for the commits a report names (see `describeCommits`). */
  about?: CommitAbout;
}

export interface CommitAbout {
  author: string;
  date: string;
  subject: string;
}

/** Everything the walk saw; occurrence lists are flat [commitIndex, pathIndex, ...] pairs. */
export interface HistoryIndex {
  commits: Commit[];
  commitIndex: Map<string, number>;
  paths: string[];
  blobs: Map<string, number[]>;
  /** Submodule entries (gitlinks), by path: not entered. */
  gitlinks: Set<string>;
  refs: RefInfo[];
  /** Blobs found only outside any commit (with --all-objects). */
  dangling: string[];
  warnings: string[];
}

/**
 * Records that `commit` holds blob `oid` at `path` (paths interned once in `pathIds`); true when the
 * blob is new to the index. Both history readers build the index through it.
 */
export function addOccurrence(
  index: HistoryIndex,
  pathIds: Map<string, number>,
  commit: number,
  path: string,
  oid: string,
): boolean {
  let pid = pathIds.get(path);
  if (pid === undefined) {
    pid = index.paths.length;
    index.paths.push(path);
    pathIds.set(path, pid);
  }
  const occ = index.blobs.get(oid);
  if (occ) {
    occ.push(commit, pid);
    return false;
  }
  index.blobs.set(oid, [commit, pid]);
  return true;
}

/**
 * Once a walk is complete, drops what it no longer needs to keep: a parent's id, read as text
 * on its child's line, becomes the parent's own id string (one string per commit, not one per
 * commit and another per child), and occurrence lists grown by pushes are copied to their exact
 * length (a list grown past two entries reserves about twenty). Both readers end with it.
 */
export function settleIndex(index: HistoryIndex): void {
  const { commits, commitIndex } = index;
  for (const c of commits) {
    for (let i = 0; i < c.parents.length; i++) {
      const known = commitIndex.get(c.parents[i]!);
      if (known !== undefined) c.parents[i] = commits[known]!.oid;
    }
  }
  for (const [oid, occ] of index.blobs) if (occ.length > 2) index.blobs.set(oid, occ.slice());
}

const GITLINK_MODE = Buffer.from('160000');

/** A history with nothing in it yet: what every reader starts from. */
export function emptyIndex(): HistoryIndex {
  return {
    commits: [],
    commitIndex: new Map(),
    paths: [],
    blobs: new Map(),
    gitlinks: new Set(),
    refs: [],
    dangling: [],
    warnings: [],
  };
}

/** Git must not reach for a promisor remote mid-scan (partial clones). Ignored by older git. */
export const HISTORY_ENV = { ...process.env, GIT_NO_LAZY_FETCH: '1' };

/**
 * A snapshot of every ref, tags peeled, so refs that move during the scan change nothing.
 * `show-ref -d` takes peeled ids from packed-refs instead of parsing every object: on a mirror
 * with thousands of pull-request refs that is 3 ms against 27 ms, on the path before the walk.
 * Whether each target is a commit is learnt from the walk itself (see `nonCommitRefs`).
 */
export async function listRefs(cwd: string): Promise<RefInfo[]> {
  const r = await gitRaw(['show-ref', '-d'], { cwd });
  // exit 1 with no output: a repository without refs
  if (r.code !== 0 && (r.code !== 1 || r.stdout.length))
    throw new LeakguardError(`git show-ref failed: ${gitComplaint(r.stderr)}`);
  const target = new Map<string, string>();
  for (const line of r.stdout.toString('utf8').split('\n')) {
    const sp = line.indexOf(' ');
    if (sp === -1) continue;
    const name = line.slice(sp + 1);
    // `name^{}` is the object an annotated tag finally points at; it comes after the tag's own line
    if (name.endsWith('^{}')) target.set(name.slice(0, -3), line.slice(0, sp));
    else target.set(name, line.slice(0, sp));
  }
  const refs: RefInfo[] = [...target].map(([name, commit]) => ({ name, commit }));
  // older stash entries live only in the stash's reflog, asked for only when there is a stash
  const stash = target.has('refs/stash')
    ? await gitRaw(['log', '-g', '--format=%H', 'refs/stash', '--'], { cwd })
    : undefined;
  if (stash?.code === 0) {
    const lines = stash.stdout.toString('utf8').split('\n').filter(Boolean);
    lines.slice(1).forEach((oid, i) => refs.push({ name: `refs/stash@{${i + 1}}`, commit: oid }));
  }
  return refs;
}

/**
 * Refs whose target the walk never met are not commits (git log passes over trees and blobs given
 * as starting points): they are dropped, with a warning naming what they point at.
 */
export async function nonCommitRefs(
  cwd: string,
  index: HistoryIndex,
  refs: RefInfo[],
): Promise<{ refs: RefInfo[]; warnings: string[] }> {
  const odd = refs.filter((r) => !index.commitIndex.has(r.commit));
  if (!odd.length) return { refs, warnings: [] };
  const typeOf = new Map(
    await batchCheck(cwd, 'objecttype', {
      input: `${[...new Set(odd.map((r) => r.commit))].join('\n')}\n`,
      env: HISTORY_ENV,
    }),
  );
  const warnings = odd.map((r) => {
    const type = typeOf.get(r.commit);
    return type && type !== 'missing'
      ? `ref ${r.name} points at a ${type}, not a commit; it is not walked`
      : `ref ${r.name} points at a missing object (${r.commit}); it is not walked`;
  });
  return { refs: refs.filter((r) => index.commitIndex.has(r.commit)), warnings };
}

/** Notes that the repository is missing history: shallow or partial clones. */
export async function completenessWarnings(
  cwd: string,
  shallow: boolean,
): Promise<{ warnings: string[]; partial: boolean }> {
  const warnings: string[] = [];
  if (shallow)
    warnings.push(
      'this is a shallow clone: history before the shallow boundary is not in the repository and was not scanned (git fetch --unshallow first)',
    );
  const r = await gitRaw(['config', '--get-regexp', '^(remote\\..*\\.promisor|extensions\\.partialclone)$'], { cwd });
  const partial = r.code === 0 && /\S/.test(r.stdout.toString('utf8'));
  if (partial)
    warnings.push(
      'this is a partial clone: objects that were never fetched are not scanned (they are counted as missing)',
    );
  return { warnings, partial };
}

/**
 * The walk reads only what attribution needs for every commit: id, parents and time. Author, date
 * and subject are asked for afterwards, for the few commits that findings name.
 */
const FORMAT = '%x01%H %P%x00%ct';
/**
 * The same, with the raw message (`%B`) as one more token: commit messages are scanned too, and
 * reading them in the walk costs one token per commit instead of a second traversal. A message
 * cannot hold a NUL (git refuses one), so the NUL-separated tokens stay in step.
 */
const WITH_MESSAGE = `${FORMAT}%x00%B`;

/** Author, date and subject of the commits a report names: one `git log --no-walk`. */
export async function describeCommits(cwd: string, oids: string[]): Promise<Map<string, CommitAbout>> {
  const about = new Map<string, CommitAbout>();
  if (!oids.length) return about;
  const r = await gitRaw(
    ['log', '--no-walk=unsorted', '--stdin', '-z', '--no-color', '--format=%H%x00%an <%ae>%x00%aI%x00%s', '--'],
    { cwd, input: `${oids.join('\n')}\n`, env: HISTORY_ENV },
  );
  if (r.code !== 0) throw new LeakguardError(`git log failed while describing commits: ${gitComplaint(r.stderr)}`);
  const f = r.stdout.toString('utf8').split('\0');
  for (let i = 0; i + 3 < f.length; i += 4)
    about.set(f[i]!, { author: f[i + 1]!, date: f[i + 2]!, subject: f[i + 3]! });
  return about;
}

/**
 * Streams `git log --raw` over `revs` (ref snapshot ids, or a range) and indexes every blob that a
 * commit adds or changes, with the path and commit it appears under. Merges are diffed against
 * their first parent, so content that only a merge introduces is seen too.
 */
export function walkHistory(
  cwd: string,
  revs: { stdin?: string[]; args?: string[] },
  onBlob?: (oid: string, path: string, commits: number) => void,
  onMessage?: (commit: number, text: Buffer) => void,
): Promise<HistoryIndex> {
  const index = emptyIndex();
  const pathIds = new Map<string, number>();
  const args = [
    'log',
    '--raw',
    '--no-abbrev',
    '-z',
    '--no-renames',
    '--root',
    '--diff-merges=first-parent',
    '--no-color',
    '--no-ext-diff',
    '--no-textconv',
    `--format=${onMessage ? WITH_MESSAGE : FORMAT}`,
  ];
  if (revs.stdin) args.push('--stdin');
  if (revs.args) args.push('--end-of-options', ...revs.args);
  args.push('--');
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { cwd, env: HISTORY_ENV, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    let rest = Buffer.alloc(0);
    // Parser state: the commit being read, how many header fields are still due and the ones read
    // so far, and whether the next token is the path of a raw entry (and if so, its new blob id).
    // Tokens are read in place, as byte ranges of the chunk git sent.
    let commit = -1;
    let headerLeft = 0;
    let head = { oid: '', parents: [] as string[] };
    let pendingOid: string | undefined; // '' for an entry whose path is to be passed over
    let pendingGitlink = false;
    const onHeader = (buf: Buffer, s: number, e: number) => {
      headerLeft--;
      // the message, when asked for, is the last header token; it is handed over, not kept
      if (onMessage && headerLeft === 0) {
        onMessage(commit, buf.subarray(s, e));
        return;
      }
      // the whole commit at once: objects built field by field change shape as they go
      index.commits.push({ oid: head.oid, parents: head.parents, time: Number(buf.toString('latin1', s, e)) });
    };
    const onPath = (buf: Buffer, s: number, e: number, oid: string) => {
      const path = buf.toString('utf8', s, e);
      if (pendingGitlink) {
        index.gitlinks.add(path);
        return;
      }
      if (addOccurrence(index, pathIds, commit, path, oid)) onBlob?.(oid, path, commit + 1);
    };
    /** A raw entry after its ':': oldmode newmode oldoid newoid status; ids of 40 (SHA-1) or 64 (SHA-256) hex digits. */
    const onRaw = (buf: Buffer, m: number, e: number) => {
      const idLen = (e - m - 16) >> 1;
      const status = buf[e - 1];
      const oid = buf.toString('latin1', m + 15 + idLen, m + 15 + 2 * idLen);
      // deletions, and entries git could not name a new blob for (all zeros), carry no content:
      // their path token is still due, and is then passed over
      pendingOid = status === 68 /* D */ || (buf[m + 15 + idLen] === 48 && /^0+$/.test(oid)) ? '' : oid;
      // the new mode, read in place (a string per entry is garbage the walk makes by the million)
      pendingGitlink = buf.compare(GITLINK_MODE, 0, 6, m + 7, m + 13) === 0;
    };
    const onToken = (buf: Buffer, s: number, e: number) => {
      if (headerLeft > 0) {
        onHeader(buf, s, e);
        return;
      }
      if (pendingOid !== undefined) {
        const oid = pendingOid;
        pendingOid = undefined;
        if (oid) onPath(buf, s, e, oid);
        return;
      }
      while (s < e && buf[s] === 10) s++;
      if (buf[s] === 1) {
        const [oid, ...parents] = buf
          .toString('latin1', s + 1, e)
          .split(' ')
          .filter(Boolean);
        commit = index.commits.length;
        head = { oid: oid!, parents };
        index.commitIndex.set(oid!, commit);
        headerLeft = onMessage ? 2 : 1;
      } else if (buf[s] === 58 /* : */) {
        onRaw(buf, s + 1, e);
      }
    };
    child.stdout.on('data', (d: Buffer) => {
      const buf = rest.length ? Buffer.concat([rest, d]) : d;
      let s = 0;
      for (;;) {
        const i = buf.indexOf(0, s);
        if (i === -1) break;
        onToken(buf, s, i);
        s = i + 1;
      }
      rest = Buffer.from(buf.subarray(s));
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString('utf8');
    });
    child.on('error', (e) => reject(new LeakguardError(`could not run git log: ${e.message}`)));
    child.on('close', (code) => {
      if (rest.length) onToken(rest, 0, rest.length);
      if (code !== 0) {
        const why = gitComplaint(stderr);
        reject(
          new LeakguardError(
            /bad revision|unknown revision|ambiguous argument/.test(why)
              ? `invalid revision range: ${why}`
              : `git log failed while reading history: ${why}`,
          ),
        );
        return;
      }
      settleIndex(index);
      resolve(index);
    });
    child.stdin.on('error', () => {
      /* reported through close */
    });
    child.stdin.end(revs.stdin ? `${revs.stdin.join('\n')}\n` : '');
  });
}

/** Every commit and blob in the object store, reachable or not (--all-objects). */
export async function unreachableObjects(cwd: string): Promise<{ commits: string[]; blobs: string[]; tags: string[] }> {
  const commits: string[] = [];
  const blobs: string[] = [];
  const tags: string[] = [];
  for (const [oid, type] of await batchCheck(cwd, 'objecttype', { args: ['--batch-all-objects'], env: HISTORY_ENV })) {
    if (type === 'commit') commits.push(oid);
    else if (type === 'blob') blobs.push(oid);
    else if (type === 'tag') tags.push(oid);
  }
  return { commits, blobs, tags };
}
