/**
 * A second, independent reader of history: isomorphic-git, a pure JavaScript implementation of the
 * object store. It spawns no git process, so it works where no git binary is installed. It reads
 * everything on this thread: slower than the git engine, and meant as a cross-check and a fallback.
 * Like every source it only reads: the engine scans what it hands over.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { LeakguardError } from '../errors.js';
import { HistoryIndex, type RefInfo } from './history.js';
import type { TagMessage } from './messages.js';

/** What the isomorphic reader hands the engine: the walk, the messages, and a way to read blobs. */
export interface IsomorphicHistory {
  index: HistoryIndex;
  /** Raw message of every commit walked. */
  messages: { commit: string; text: Buffer }[];
  tags: TagMessage[];
  /** A blob's bytes; undefined when the object store does not have it. Throws when it cannot be read. */
  readBlob(oid: string): Promise<Buffer | undefined>;
}

type Git = typeof import('isomorphic-git');

/** git's %aI: strict ISO 8601 in the author's own time zone. */
function isoDate(seconds: number, offsetMinutes: number): string {
  // isomorphic-git gives the offset as JavaScript does: minutes behind UTC (so +02:00 is -120)
  const east = -offsetMinutes;
  const d = new Date((seconds + east * 60) * 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  const sign = east < 0 ? '-' : '+';
  const abs = Math.abs(east);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** git's %s: the message's first paragraph, lines joined by spaces. */
function subjectOf(message: string): string {
  const para = message.replace(/^\s*\n/, '').split(/\n\s*\n/)[0] ?? '';
  return para
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' ');
}

async function listCommitRefs(git: Git, gitdir: string): Promise<{ refs: RefInfo[]; warnings: string[] }> {
  const refs: RefInfo[] = [];
  const warnings: string[] = [];
  const names = await git.listRefs({ fs, gitdir, filepath: 'refs' });
  for (const rel of names.sort()) {
    if (rel.endsWith('^{}')) continue; // a peeled line of packed-refs, not a ref
    const name = `refs/${rel}`;
    let oid = await git.resolveRef({ fs, gitdir, ref: name });
    let type = (await git.readObject({ fs, gitdir, oid, format: 'parsed' })).type;
    while (type === 'tag') {
      const tag = await git.readTag({ fs, gitdir, oid });
      oid = tag.tag.object;
      type = tag.tag.type;
    }
    if (type === 'commit') refs.push({ name, commit: oid });
    else warnings.push(`ref ${name} points at a ${type}, not a commit; it is not walked`);
  }
  // older stash entries live only in the stash's reflog (oldest first in the file)
  try {
    const lines = fs
      .readFileSync(join(gitdir, 'logs', 'refs', 'stash'), 'utf8')
      .split('\n')
      .filter(Boolean);
    const oids = lines.map((l) => l.split(' ')[1]!).reverse();
    oids.slice(1).forEach((oid, i) => refs.push({ name: `refs/stash@{${i + 1}}`, commit: oid }));
  } catch {
    /* no stash */
  }
  return { refs, warnings };
}

interface Entry {
  path: string;
  oid: string;
  mode: string;
  type: string;
}

async function treeEntries(git: Git, gitdir: string, oid: string): Promise<Map<string, Entry>> {
  const { tree } = await git.readTree({ fs, gitdir, oid });
  return new Map(tree.map((e) => [e.path, { path: e.path, oid: e.oid, mode: e.mode, type: e.type }]));
}

/** Blobs a commit adds or changes relative to its first parent (what `git log --raw` reports). */
async function changedBlobs(
  git: Git,
  gitdir: string,
  tree: string,
  parentTree: string | undefined,
  prefix: string,
  emit: (path: string, oid: string) => void,
  gitlink: (path: string) => void,
): Promise<void> {
  const now = await treeEntries(git, gitdir, tree);
  const before = parentTree ? await treeEntries(git, gitdir, parentTree) : new Map<string, Entry>();
  for (const e of now.values()) {
    const path = prefix + e.path;
    const old = before.get(e.path);
    if (e.type === 'tree') {
      if (old?.oid === e.oid && old.type === 'tree') continue;
      await changedBlobs(git, gitdir, e.oid, old?.type === 'tree' ? old.oid : undefined, `${path}/`, emit, gitlink);
    } else if (e.type === 'commit') {
      if (!(old && old.oid === e.oid && old.mode === e.mode)) gitlink(path);
    } else if (!(old && old.oid === e.oid && old.mode === e.mode)) {
      emit(path, e.oid);
    }
  }
}

export async function readIsomorphicHistory(
  dir: string,
  opts: { range?: string; allObjects?: boolean },
): Promise<IsomorphicHistory> {
  if (opts.allObjects) throw new LeakguardError('--all-objects needs the git engine (--engine git)');
  // loaded from node_modules only when this engine runs, so it adds nothing to the CLI bundle
  const git = createRequire(import.meta.url)('isomorphic-git') as Git;
  const gitdir = fs.existsSync(join(dir, '.git')) ? join(dir, '.git') : dir;
  const index = new HistoryIndex();
  if (fs.existsSync(join(gitdir, 'shallow'))) {
    index.warnings.push(
      'this is a shallow clone: history before the shallow boundary is not in the repository and was not scanned (git fetch --unshallow first)',
    );
  }
  let tips: string[];
  const exclude = new Set<string>();
  const resolve = async (rev: string) => {
    try {
      return await git.resolveRef({ fs, gitdir, ref: rev });
    } catch {
      if (/^[0-9a-f]{40}$/.test(rev)) return rev;
      try {
        return await git.expandOid({ fs, gitdir, oid: rev });
      } catch {
        throw new LeakguardError(`invalid revision range: unknown revision ${rev}`);
      }
    }
  };
  if (opts.range) {
    const m = /^(.*)\.\.(.*)$/.exec(opts.range);
    if (!m || opts.range.startsWith('-'))
      throw new LeakguardError(`invalid revision range: ${opts.range} (the isomorphic engine takes A..B)`);
    const base = await resolve(m[1] || 'HEAD');
    tips = [await resolve(m[2] || 'HEAD')];
    const stack = [base];
    while (stack.length) {
      const c = stack.pop()!;
      if (exclude.has(c)) continue;
      exclude.add(c);
      const { commit } = await git.readCommit({ fs, gitdir, oid: c });
      stack.push(...commit.parent);
    }
  } else {
    const { refs, warnings } = await listCommitRefs(git, gitdir);
    index.refs = refs;
    index.warnings.push(...warnings);
    tips = [...new Set(refs.map((r) => r.commit))];
  }
  const messages: { commit: string; text: Buffer }[] = [];
  const stack = [...tips];
  const seen = new Set<string>(exclude);
  const shallow = new Set(
    fs.existsSync(join(gitdir, 'shallow'))
      ? fs.readFileSync(join(gitdir, 'shallow'), 'utf8').split('\n').filter(Boolean)
      : [],
  );
  while (stack.length) {
    const oid = stack.pop()!;
    if (seen.has(oid)) continue;
    seen.add(oid);
    const { commit } = await git.readCommit({ fs, gitdir, oid });
    const parents = shallow.has(oid) ? [] : commit.parent;
    const ci = index.addCommit(oid, commit.committer.timestamp);
    for (const p of commit.parent) index.addParent(p);
    index.about.set(ci, {
      author: `${commit.author.name} <${commit.author.email}>`,
      date: isoDate(commit.author.timestamp, commit.author.timezoneOffset),
      subject: subjectOf(commit.message),
    });
    messages.push({ commit: oid, text: Buffer.from(commit.message, 'utf8') });
    // each commit is diffed against its first parent, even one outside a range, as git log does
    const parentTree = parents[0] ? (await git.readCommit({ fs, gitdir, oid: parents[0] })).commit.tree : undefined;
    await changedBlobs(
      git,
      gitdir,
      commit.tree,
      parentTree,
      '',
      (path, blob) => index.addOccurrence(ci, path, blob),
      (path) => index.gitlinks.add(path),
    );
    for (const p of parents) if (!seen.has(p)) stack.push(p);
  }
  index.settle();
  const readBlob = async (oid: string): Promise<Buffer | undefined> => {
    try {
      const { blob } = await git.readBlob({ fs, gitdir, oid });
      return Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
    } catch (e) {
      if ((e as { code?: string }).code === 'NotFoundError') return undefined;
      throw e;
    }
  };
  return { index, messages, tags: await annotatedTags(git, gitdir), readBlob };
}

/** Every annotated tag under refs/tags, followed through tags of tags to what it names. */
async function annotatedTags(git: Git, gitdir: string): Promise<TagMessage[]> {
  const out: TagMessage[] = [];
  const names = await git.listRefs({ fs, gitdir, filepath: 'refs/tags' });
  for (const rel of names.sort()) {
    if (rel.endsWith('^{}')) continue;
    const ref = `refs/tags/${rel}`;
    const oid = await git.resolveRef({ fs, gitdir, ref });
    if ((await git.readObject({ fs, gitdir, oid, format: 'parsed' })).type !== 'tag') continue;
    const first = await git.readTag({ fs, gitdir, oid });
    let { object, type } = first.tag;
    for (let depth = 0; type === 'tag' && depth < 8; depth++)
      ({ object, type } = (await git.readTag({ fs, gitdir, oid: object })).tag);
    // the message as the object holds it: after the header, with any signature that follows it
    const raw = Buffer.from((await git.readObject({ fs, gitdir, oid, format: 'content' })).object as Uint8Array);
    const end = raw.indexOf('\n\n');
    out.push({
      ref,
      oid,
      target: type === 'commit' ? object : undefined,
      text: end === -1 ? Buffer.alloc(0) : raw.subarray(end + 2),
    });
  }
  return out;
}
