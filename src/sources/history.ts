/**
 * History: every file version reachable from every ref (or introduced by a range of commits), read
 * as metadata in one `git log --raw` pass. Contents are not read here; the engine reads each unique
 * blob once, however many commits and paths share it.
 */
import { spawn } from 'node:child_process';
import { LeakguardError } from '../errors.js';
import { gitComplaint, gitRaw } from './git.js';
import { batchCheck } from './catfile.js';
import { HistoryIndex, type CommitAbout, type RefInfo } from './history-index.js';

export { HistoryIndex, type CommitAbout, type RefInfo } from './history-index.js';

const GITLINK_MODE = Buffer.from('160000');

/** A history with nothing in it: what a scan without refs, or with nothing new, stands on. */
export function emptyIndex(): HistoryIndex {
  const index = new HistoryIndex();
  index.settle();
  return index;
}

/**
 * Settings for the git processes of a history scan, as environment config (git 2.31+; older git
 * ignores it). Git maps pack files in windows of up to 1 GB and keeps them mapped up to 8 GB, so a
 * `git log --raw` over git/git and each `cat-file` reading its blobs held about 400 MB of the pack
 * resident; mapped in 32 MB windows, 128 MB at most, they peaked at 175 and 207 MB, for about 5%
 * more of git's CPU time (unmapping and mapping again).
 *
 * The delta base cache (96 MB by default) is most of what is left. Measured on git/git, half of
 * its blobs through one `cat-file --batch` in walk order: 180 MB at 96 MB, 133 MB at 48 MB for
 * about 25% more of that process's CPU (3.0 against 3.8 s; a tenth of what a scan spends), 109 MB
 * at 24 MB for 65% more. `git log --raw` reads each tree about once, so the cache buys it nothing:
 * 176 MB at 96 MB, 78 MB at 16 MB, at the same CPU time (6.0 s).
 */
function withGitConfig(env: NodeJS.ProcessEnv, settings: [string, string][]): NodeJS.ProcessEnv {
  const count = Number(env.GIT_CONFIG_COUNT) || 0;
  const out: NodeJS.ProcessEnv = { ...env, GIT_CONFIG_COUNT: String(count + settings.length) };
  settings.forEach(([key, value], i) => {
    out[`GIT_CONFIG_KEY_${count + i}`] = key;
    out[`GIT_CONFIG_VALUE_${count + i}`] = value;
  });
  return out;
}

/**
 * The environment of a history scan's git processes: git must not reach for a promisor remote
 * mid-scan (partial clones; ignored by older git), and pack windows and delta base caches are
 * kept small (see above).
 */
export const HISTORY_ENV = withGitConfig({ ...process.env, GIT_NO_LAZY_FETCH: '1' }, [
  ['core.packedGitWindowSize', '32m'],
  ['core.packedGitLimit', '128m'],
  ['core.deltaBaseCacheLimit', '48m'],
]);
/** The history walk's `git log --raw`: a later setting of a key wins, so this one's cache is smaller still. */
const WALK_ENV = withGitConfig(HISTORY_ENV, [['core.deltaBaseCacheLimit', '16m']]);

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
  const odd = refs.filter((r) => index.findCommit(r.commit) < 0);
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
  return { refs: refs.filter((r) => index.findCommit(r.commit) >= 0), warnings };
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
  onBlob?: (oid: string, path: string, commits: number, blob: number) => Promise<void> | void,
  onMessage?: (commit: number, text: Buffer) => void,
): Promise<HistoryIndex> {
  const index = new HistoryIndex();
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
    const child = spawn('git', args, { cwd, env: WALK_ENV, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    let rest = Buffer.alloc(0);
    // Parser state: the commit being read, how many header fields are still due, and whether the
    // next token is the path of a raw entry (and if so, where its new blob id sits in `pending`).
    // Tokens are read in place, as byte ranges of the chunk git sent: ids go into the index as
    // bytes, and only paths become strings.
    let commit = -1;
    let headerLeft = 0;
    let pathDue = false; // the next token is a raw entry's path
    let pendingBlob = false; // ... and that entry names a blob, whose id is in `pending`
    let pendingGitlink = false;
    const pending = Buffer.alloc(64);
    let pendingDigits = 0;
    const onHeader = (buf: Buffer, s: number, e: number) => {
      headerLeft--;
      // the message, when asked for, is the last header token; it is handed over, not kept
      if (onMessage && headerLeft === 0) {
        onMessage(commit, buf.subarray(s, e));
        return;
      }
      index.setLastTime(Number(buf.toString('latin1', s, e)));
    };
    const onPath = (buf: Buffer, s: number, e: number) => {
      const path = buf.toString('utf8', s, e);
      if (pendingGitlink) {
        index.gitlinks.add(path);
        return;
      }
      const blob = index.addOccurrenceHex(commit, index.pathId(path), pending, 0, pendingDigits);
      if (blob < 0 || !onBlob) return;
      const wait = onBlob(index.blobOid(blob), path, commit + 1, blob);
      if (wait) waitFor ??= wait;
    };
    /** A raw entry after its ':': oldmode newmode oldoid newoid status; ids of 40 (SHA-1) or 64 (SHA-256) hex digits. */
    const onRaw = (buf: Buffer, m: number, e: number) => {
      const idLen = (e - m - 16) >> 1;
      const status = buf[e - 1];
      const at = m + 15 + idLen;
      pathDue = true;
      // deletions, and entries git could not name a new blob for (all zeros), carry no content:
      // their path token is still due, and is then passed over
      let zero = true;
      for (let k = at; k < at + idLen && zero; k++) zero = buf[k] === 48;
      pendingBlob = status !== 68 /* D */ && !zero;
      if (pendingBlob) {
        buf.copy(pending, 0, at, at + idLen);
        pendingDigits = idLen;
      }
      // the new mode, read in place (a string per entry is garbage the walk makes by the million)
      pendingGitlink = buf.compare(GITLINK_MODE, 0, 6, m + 7, m + 13) === 0;
    };
    /** `\x01<id> <parent> <parent>...`: the commit's own id, then its parents (none for a root). */
    const onCommitLine = (buf: Buffer, s: number, e: number) => {
      let i = s;
      let first = true;
      while (i < e) {
        let j = buf.indexOf(32, i);
        if (j === -1 || j > e) j = e;
        if (j > i) {
          if (first) commit = index.addCommitHex(buf, i, j - i, 0);
          else index.addParentHex(buf, i, j - i);
          first = false;
        }
        i = j + 1;
      }
      headerLeft = onMessage ? 2 : 1;
    };
    const onToken = (buf: Buffer, s: number, e: number) => {
      if (headerLeft > 0) {
        onHeader(buf, s, e);
        return;
      }
      if (pathDue) {
        pathDue = false;
        if (pendingBlob) onPath(buf, s, e);
        return;
      }
      while (s < e && buf[s] === 10) s++;
      if (buf[s] === 1) onCommitLine(buf, s + 1, e);
      else if (buf[s] === 58 /* : */) onRaw(buf, s + 1, e);
    };
    // what git said that the index could not take (an id of another length mid-walk): the walk stops
    let unreadable: Error | undefined;
    // what `onBlob` asked the walk to wait for: git's output is not read (and git waits) until then
    let waitFor: Promise<void> | undefined;
    child.stdout.on('data', (d: Buffer) => {
      if (unreadable) return;
      const buf = rest.length ? Buffer.concat([rest, d]) : d;
      let s = 0;
      try {
        for (;;) {
          const i = buf.indexOf(0, s);
          if (i === -1) break;
          onToken(buf, s, i);
          s = i + 1;
        }
      } catch (e) {
        unreadable = e as Error;
        child.kill();
        return;
      }
      // only the unfinished token is kept: git's output is never held whole
      rest = Buffer.from(buf.subarray(s));
      if (waitFor) {
        child.stdout.pause();
        void waitFor.then(() => {
          waitFor = undefined;
          child.stdout.resume();
        });
      }
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString('utf8');
    });
    child.on('error', (e) => reject(new LeakguardError(`could not run git log: ${e.message}`)));
    child.on('close', (code) => {
      if (unreadable) {
        reject(new LeakguardError(`git log printed what leakguard cannot read: ${unreadable.message}`));
        return;
      }
      try {
        if (rest.length) onToken(rest, 0, rest.length);
      } catch (e) {
        reject(new LeakguardError(`git log printed what leakguard cannot read: ${(e as Error).message}`));
        return;
      }
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
      index.settle();
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
