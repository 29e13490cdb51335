/**
 * The pre-push backstop: which commits a push sends that the remote does not have yet. git gives
 * the hook one line per ref, `<local ref> <local sha> <remote ref> <remote sha>`; everything
 * reachable from the local tips, minus what the remote's tracking refs and the replaced remote tips
 * already hold, is what a rebase, cherry-pick or amend may have slipped past the commit hooks.
 */
import { git, gitRaw } from '../sources/git.js';

const ZERO = /^0+$/;
const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

export interface PushUpdate {
  localRef: string;
  localSha: string;
  remoteRef: string;
  remoteSha: string;
}

export function parsePushLines(input: string): PushUpdate[] {
  const out: PushUpdate[] = [];
  for (const line of input.split('\n')) {
    const parts = line.trim().split(/\s+/);
    if (parts.length !== 4 || !SHA.test(parts[1]!) || !SHA.test(parts[3]!)) continue;
    out.push({ localRef: parts[0]!, localSha: parts[1]!, remoteRef: parts[2]!, remoteSha: parts[3]! });
  }
  return out;
}

/**
 * The revisions for a range scan (`tip ... ^known ...`), or undefined when the push sends no commit
 * (only deletions). `remote` is the hook's first argument: a remote's name, or a URL pushed to
 * directly (which has no tracking refs to subtract).
 */
export async function pushRevisions(cwd: string, remote: string, updates: PushUpdate[]): Promise<string | undefined> {
  const tips = [...new Set(updates.filter((u) => !ZERO.test(u.localSha)).map((u) => u.localSha))];
  if (!tips.length) return undefined;
  const known = new Set<string>();
  if (/^[\w.-]+$/.test(remote)) {
    const refs = await git(['for-each-ref', '--format=%(objectname)', `refs/remotes/${remote}/`], cwd);
    for (const sha of refs.toString('utf8').split('\n')) if (SHA.test(sha)) known.add(sha);
  }
  const replaced = updates.map((u) => u.remoteSha).filter((s) => !ZERO.test(s) && !known.has(s));
  if (replaced.length) {
    // a remote tip this clone has never fetched cannot be subtracted; the tracking refs still are
    const r = await gitRaw(['cat-file', '--batch-check=%(objectname) %(objecttype)'], {
      cwd,
      input: `${replaced.join('\n')}\n`,
    });
    for (const line of r.stdout.toString('utf8').split('\n')) {
      const [sha, type] = line.split(' ');
      if (type === 'commit' && sha) known.add(sha);
    }
  }
  return [...tips, ...[...known].map((s) => `^${s}`)].join(' ');
}

/**
 * The range a pre-push hook scans, from git's lines on stdin or, under the pre-commit framework
 * (which keeps stdin and exports the push instead: its first ref only, and for a push of a whole
 * new history only the local branch), from its PRE_COMMIT_* variables. No usable FROM_REF means a
 * new branch: only the remote-tracking refs are subtracted.
 */
export async function pushRange(
  cwd: string,
  remote: string,
  stdin: string,
  env: NodeJS.ProcessEnv,
): Promise<string | undefined> {
  let updates = parsePushLines(stdin);
  const tip = env.PRE_COMMIT_TO_REF || env.PRE_COMMIT_LOCAL_BRANCH;
  if (!updates.length && tip) {
    const from = SHA.test(env.PRE_COMMIT_FROM_REF ?? '') ? env.PRE_COMMIT_FROM_REF! : '0'.repeat(40);
    const sha = (await git(['rev-parse', '--verify', '--end-of-options', `${tip.trim()}^{commit}`], cwd))
      .toString('utf8')
      .trim();
    updates = parsePushLines(`HEAD ${sha} HEAD ${from}`);
    remote = env.PRE_COMMIT_REMOTE_NAME || remote;
  }
  return pushRevisions(cwd, remote, updates);
}
