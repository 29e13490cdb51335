/**
 * History: every file version reachable from every ref (or introduced by a range of commits), read
 * as metadata in one `git log --raw` pass. Contents are not read here; the engine reads each unique
 * blob once, however many commits and paths share it.
 */
import { spawn } from 'node:child_process';
import { LeakguardError } from '../errors.js';
import { git, gitComplaint, gitRaw } from './git.js';

export interface RefInfo { name: string; commit: string }

export interface Commit {
  oid: string;
  parents: string[];
  /** Committer time, seconds: orders occurrences to find the first. */
  time: number;
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

/** Git must not reach for a promisor remote mid-scan (partial clones). Ignored by older git. */
export const HISTORY_ENV = { ...process.env, GIT_NO_LAZY_FETCH: '1' };

/** A snapshot of every ref, peeled to commits, so refs that move during the scan change nothing. */
export async function listRefs(cwd: string): Promise<{ refs: RefInfo[]; warnings: string[] }> {
  // older stash entries live only in the stash's reflog; asked for alongside the refs
  const stashLog = gitRaw(['log', '-g', '--format=%H', 'refs/stash', '--'], { cwd });
  stashLog.catch(() => undefined); // awaited below, after the refs
  const out = await git(['for-each-ref', '--format=%(objectname) %(objecttype) %(*objectname) %(*objecttype) %(refname)'], cwd);
  const refs: RefInfo[] = [];
  const warnings: string[] = [];
  for (const line of out.toString('utf8').split('\n')) {
    if (!line) continue;
    const m = /^(\S+) (\S+) (\S*) (\S*) (.+)$/.exec(line);
    if (!m) continue;
    const [, oid, type, peeled, peeledType, name] = m;
    const target = type === 'tag' ? peeled! : oid!;
    const targetType = type === 'tag' ? peeledType : type;
    if (targetType === 'commit') refs.push({ name: name!, commit: target });
    else warnings.push(`ref ${name} points at a ${targetType}, not a commit; it is not walked`);
  }
  const stash = await stashLog;
  if (stash.code === 0) {
    const lines = stash.stdout.toString('utf8').split('\n').filter(Boolean);
    lines.slice(1).forEach((oid, i) => refs.push({ name: `refs/stash@{${i + 1}}`, commit: oid }));
  }
  return { refs, warnings };
}

/** Notes that the repository is missing history: shallow or partial clones. */
export async function completenessWarnings(cwd: string, shallow: boolean): Promise<{ warnings: string[]; partial: boolean }> {
  const warnings: string[] = [];
  if (shallow) warnings.push('this is a shallow clone: history before the shallow boundary is not in the repository and was not scanned (git fetch --unshallow first)');
  const r = await gitRaw(['config', '--get-regexp', '^(remote\\..*\\.promisor|extensions\\.partialclone)$'], { cwd });
  const partial = r.code === 0 && /\S/.test(r.stdout.toString('utf8'));
  if (partial) warnings.push('this is a partial clone: objects that were never fetched are not scanned (they are counted as missing)');
  return { warnings, partial };
}

const FORMAT = '%x01%H %P%x00%ct%x00%an <%ae>%x00%aI%x00%s';

/**
 * Streams `git log --raw` over `revs` (ref snapshot ids, or a range) and indexes every blob that a
 * commit adds or changes, with the path and commit it appears under. Merges are diffed against
 * their first parent, so content that only a merge introduces is seen too.
 */
export function walkHistory(cwd: string, revs: { stdin?: string[]; args?: string[] }, onBlob?: (oid: string, path: string, commits: number) => void): Promise<HistoryIndex> {
  const index: HistoryIndex = {
    commits: [], commitIndex: new Map(), paths: [], blobs: new Map(), gitlinks: new Set(), refs: [], dangling: [], warnings: [],
  };
  const pathIds = new Map<string, number>();
  const args = ['log', '--raw', '--no-abbrev', '-z', '--no-renames', '--root', '--diff-merges=first-parent', '--no-color',
    '--no-ext-diff', '--no-textconv', `--format=${FORMAT}`];
  if (revs.stdin) args.push('--stdin');
  if (revs.args) args.push('--end-of-options', ...revs.args);
  args.push('--');
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { cwd, env: HISTORY_ENV, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    let rest = Buffer.alloc(0);
    // parser state: the commit being read, how many header fields are still due, a pending raw entry
    let commit = -1;
    let headerLeft = 0;
    let pendingMeta: string | undefined;
    const onToken = (tok: Buffer) => {
      if (headerLeft > 0) {
        const c = index.commits[commit]!;
        const v = tok.toString('utf8');
        if (headerLeft === 4) c.time = Number(v);
        else if (headerLeft === 3) c.author = v;
        else if (headerLeft === 2) c.date = v;
        else c.subject = v;
        headerLeft--;
        return;
      }
      if (pendingMeta !== undefined) {
        const meta = pendingMeta;
        pendingMeta = undefined;
        // oldmode newmode oldoid newoid status, after the ':'; ids are 40 (SHA-1) or 64 (SHA-256) hex digits
        const idLen = (meta.length - 16) >> 1;
        const mode = meta.slice(7, 13);
        const oid = meta.slice(15 + idLen, 15 + 2 * idLen);
        const status = meta[meta.length - 1]!;
        if (status === 'D' || meta.charCodeAt(15 + idLen) === 48 && /^0+$/.test(oid)) return;
        const path = tok.toString('utf8');
        if (mode === '160000') { index.gitlinks.add(path); return; }
        let pid = pathIds.get(path);
        if (pid === undefined) { pid = index.paths.length; index.paths.push(path); pathIds.set(path, pid); }
        const occ = index.blobs.get(oid);
        if (occ) occ.push(commit, pid);
        else {
          index.blobs.set(oid, [commit, pid]);
          onBlob?.(oid, path, commit + 1);
        }
        return;
      }
      let start = 0;
      while (start < tok.length && tok[start] === 10) start++;
      const first = tok[start];
      if (first === 1) {
        const [oid, ...parents] = tok.subarray(start + 1).toString('latin1').split(' ').filter(Boolean);
        commit = index.commits.length;
        index.commits.push({ oid: oid!, parents, time: 0, author: '', date: '', subject: '' });
        index.commitIndex.set(oid!, commit);
        headerLeft = 4;
      } else if (first === 58 /* : */) {
        pendingMeta = tok.subarray(start + 1).toString('latin1');
      }
    };
    child.stdout.on('data', (d: Buffer) => {
      const buf = rest.length ? Buffer.concat([rest, d]) : d;
      let s = 0;
      for (;;) {
        const i = buf.indexOf(0, s);
        if (i === -1) break;
        onToken(buf.subarray(s, i));
        s = i + 1;
      }
      rest = Buffer.from(buf.subarray(s));
    });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString('utf8'); });
    child.on('error', (e) => reject(new LeakguardError(`could not run git log: ${e.message}`)));
    child.on('close', (code) => {
      if (rest.length) onToken(rest);
      if (code !== 0) {
        const why = gitComplaint(stderr);
        reject(new LeakguardError(/bad revision|unknown revision|ambiguous argument/.test(why)
          ? `invalid revision range: ${why}`
          : `git log failed while reading history: ${why}`));
        return;
      }
      resolve(index);
    });
    child.stdin.on('error', () => { /* reported through close */ });
    child.stdin.end(revs.stdin ? `${revs.stdin.join('\n')}\n` : '');
  });
}

/** Every commit and blob in the object store, reachable or not (--all-objects). */
export async function unreachableObjects(cwd: string): Promise<{ commits: string[]; blobs: string[] }> {
  const r = await gitRaw(['cat-file', '--batch-all-objects', '--batch-check=%(objectname) %(objecttype)'], { cwd, env: HISTORY_ENV });
  if (r.code !== 0) throw new LeakguardError(`git cat-file --batch-all-objects failed: ${gitComplaint(r.stderr)}`);
  const commits: string[] = [];
  const blobs: string[] = [];
  for (const line of r.stdout.toString('latin1').split('\n')) {
    const sp = line.indexOf(' ');
    if (sp === -1) continue;
    const oid = line.slice(0, sp);
    const type = line.slice(sp + 1);
    if (type === 'commit') commits.push(oid);
    else if (type === 'blob') blobs.push(oid);
  }
  return { commits, blobs };
}


