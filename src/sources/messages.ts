/**
 * Annotated-tag messages, the texts git keeps in tag objects. (Commit messages come with the
 * history walk, one more token per commit; notes are blobs in the trees of `refs/notes/*` commits,
 * which the walk reads like files and the engine tells apart by the refs that reach them.)
 */
import { LeakguardError } from '../errors.js';
import { gitComplaint, gitRaw } from './git.js';
import { HISTORY_ENV } from './history.js';

export interface TagMessage {
  /** The tag ref (`refs/tags/v1`). */
  ref: string;
  /** The tag object's id. */
  oid: string;
  /** The commit the tag finally points at, when it is one. */
  target?: string;
  text: Buffer;
}

/**
 * The message of every annotated tag: under `refs/tags/`, plus (with `extra`) tag objects no ref
 * names (`--all-objects`). A tag of a tag is followed to the commit it finally names.
 */
export async function tagMessages(cwd: string, extra: string[] = []): Promise<TagMessage[]> {
  const listed = await gitRaw(['for-each-ref', '--format=%(objecttype) %(objectname) %(refname)', 'refs/tags'], {
    cwd,
    env: HISTORY_ENV,
  });
  if (listed.code !== 0) throw new LeakguardError(`git for-each-ref failed: ${gitComplaint(listed.stderr)}`);
  const tags: { ref: string; oid: string }[] = [];
  for (const line of listed.stdout.toString('utf8').split('\n')) {
    const [type, oid, ...name] = line.split(' ');
    if (type === 'tag' && oid) tags.push({ oid, ref: name.join(' ') });
  }
  const named = new Set(tags.map((t) => t.oid));
  for (const oid of extra) if (!named.has(oid)) tags.push({ oid, ref: `(unreachable tag ${oid.slice(0, 12)})` });
  if (!tags.length) return [];
  const objects = await readObjects(
    cwd,
    tags.map((t) => t.oid),
  );
  const out: TagMessage[] = [];
  for (const t of tags) {
    const body = objects.get(t.oid);
    if (!body) continue;
    const { text } = splitTag(body);
    // follow a chain of tags (a tag of a tag) to what it finally names
    let target = splitTag(body);
    for (let depth = 0; target.type === 'tag' && target.object && depth < 8; depth++) {
      const next = objects.get(target.object) ?? (await readObjects(cwd, [target.object])).get(target.object);
      if (!next) break;
      target = splitTag(next);
    }
    out.push({ ref: t.ref, oid: t.oid, target: target.type === 'commit' ? target.object : undefined, text });
  }
  return out;
}

/**
 * The raw messages (`%B`, as the history walk reads them) of a few commits: what a scan cache
 * re-reads for the commits whose messages had matches, since it never keeps a message.
 */
export async function commitMessages(cwd: string, oids: string[]): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  if (!oids.length) return out;
  const r = await gitRaw(['log', '--no-walk=unsorted', '--stdin', '-z', '--no-color', '--format=%H%x00%B', '--'], {
    cwd,
    input: `${oids.join('\n')}\n`,
    env: HISTORY_ENV,
  });
  if (r.code !== 0) throw new LeakguardError(`git log failed while reading commit messages: ${gitComplaint(r.stderr)}`);
  const buf = r.stdout;
  let at = 0;
  while (at < buf.length) {
    const idEnd = buf.indexOf(0, at);
    if (idEnd === -1) break;
    const oid = buf.toString('latin1', at, idEnd).replace(/^\n+/, '');
    let end = buf.indexOf(0, idEnd + 1);
    if (end === -1) end = buf.length;
    out.set(oid, buf.subarray(idEnd + 1, end));
    at = end + 1;
  }
  return out;
}

/** A tag object: the header's `object` and `type`, and the message after the first blank line. */
function splitTag(body: Buffer): { object?: string; type?: string; text: Buffer } {
  const end = body.indexOf('\n\n');
  const head = body.toString('utf8', 0, end === -1 ? body.length : end);
  const object = /^object (\S+)$/m.exec(head)?.[1];
  const type = /^type (\S+)$/m.exec(head)?.[1];
  return { object, type, text: end === -1 ? Buffer.alloc(0) : body.subarray(end + 2) };
}

/** Raw contents of a few objects: one `cat-file --batch`. */
async function readObjects(cwd: string, oids: string[]): Promise<Map<string, Buffer>> {
  const r = await gitRaw(['cat-file', '--batch'], { cwd, input: `${oids.join('\n')}\n`, env: HISTORY_ENV });
  if (r.code !== 0) throw new LeakguardError(`git cat-file failed while reading tags: ${gitComplaint(r.stderr)}`);
  const out = new Map<string, Buffer>();
  const buf = r.stdout;
  let at = 0;
  while (at < buf.length) {
    const nl = buf.indexOf(10, at);
    if (nl === -1) break;
    const [oid, type, size] = buf.toString('latin1', at, nl).split(' ');
    if (type === 'missing' || size === undefined) {
      at = nl + 1;
      continue;
    }
    const n = Number(size);
    out.set(oid!, buf.subarray(nl + 1, nl + 1 + n));
    at = nl + 1 + n + 1;
  }
  return out;
}
