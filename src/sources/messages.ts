/**
 * Texts git keeps outside trees: commit messages and annotated-tag messages. (Notes are blobs in
 * the trees of `refs/notes/*` commits: the history walk reads them like files, and the engine tells
 * them apart by the refs that reach them.) Messages are read raw, as bytes, and handed over one at
 * a time, so memory does not grow with the number of commits.
 */
import { spawn } from 'node:child_process';
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
 * Streams the raw message of every commit `revs` reach (the same revisions the walk was given)
 * as `(commit id, message bytes)`. Messages are what `%B` prints: subject and body, unwrapped.
 */
export function commitMessages(
  cwd: string,
  revs: { stdin?: string[]; args?: string[] },
  onMessage: (commit: string, text: Buffer) => void,
): Promise<void> {
  const args = ['log', '-z', '--no-color', '--format=%H%x00%B'];
  if (revs.stdin) args.push('--stdin');
  if (revs.args) args.push('--end-of-options', ...revs.args);
  args.push('--');
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { cwd, env: HISTORY_ENV, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    let rest = Buffer.alloc(0);
    // records alternate: a commit id, then its message; -z ends each commit's output with a NUL
    let commit: string | undefined;
    const onToken = (buf: Buffer, s: number, e: number) => {
      if (commit === undefined) {
        while (s < e && buf[s] === 10) s++;
        if (s < e) commit = buf.toString('latin1', s, e);
        return;
      }
      onMessage(commit, buf.subarray(s, e));
      commit = undefined;
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
        reject(new LeakguardError(`git log failed while reading commit messages: ${gitComplaint(stderr)}`));
        return;
      }
      resolve();
    });
    child.stdin.on('error', () => {
      /* reported through close */
    });
    child.stdin.end(revs.stdin ? `${revs.stdin.join('\n')}\n` : '');
  });
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
