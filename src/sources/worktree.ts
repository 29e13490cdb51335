/**
 * The work tree: tracked files plus untracked files that are not ignored, as they are on disk now.
 */
// fs.promises is read at each call: node loads that module on first use, which a staged scan never makes
import { promises as fsp } from 'node:fs';
import { LeakguardError } from '../errors.js';
import type { SkipReason, SourceItem } from '../types.js';
import { git, splitNul } from './git.js';

export type SkipSink = (path: string, reason: SkipReason) => void;

/**
 * Lists files under `dir` (a directory or file inside the work tree whose top is `root`) and yields
 * the regular files. Symlinks, submodules and files gone from disk are reported through `onSkip`.
 */
export async function* worktreeItems(root: string, dir: string, onSkip: SkipSink): AsyncGenerator<SourceItem> {
  let cwd = dir;
  let pathspec: string[] = [];
  const st = await fsp.lstat(dir).catch(() => undefined);
  if (!st) throw new LeakguardError(`no such file or directory: ${dir}`);
  if (!st.isDirectory()) {
    const slash = dir.lastIndexOf('/');
    cwd = slash > 0 ? dir.slice(0, slash) : '/';
    pathspec = ['--', `:(literal)${dir.slice(slash + 1)}`];
  }
  const out = await git(
    ['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--full-name', ...pathspec],
    cwd,
  );
  const seen = new Set<string>();
  const rootBuf = Buffer.from(root.endsWith('/') ? root : `${root}/`);
  for (const raw of splitNul(out)) {
    const key = raw.toString('latin1');
    if (seen.has(key)) continue; // unmerged entries appear once per stage
    seen.add(key);
    const path = raw.toString('utf8');
    const abs = Buffer.concat([rootBuf, raw]);
    const s = await fsp.lstat(abs).catch(() => undefined);
    if (!s) {
      onSkip(path, 'missing');
      continue;
    }
    if (s.isSymbolicLink()) {
      // never followed (it may point outside the repository); its target text is what git stores
      yield { path, size: s.size, read: async () => Buffer.from(await fsp.readlink(abs, { encoding: 'buffer' })) };
      continue;
    }
    if (s.isDirectory()) {
      onSkip(path, 'submodule');
      continue;
    }
    if (!s.isFile()) {
      onSkip(path, 'unreadable');
      continue;
    }
    yield { path, size: s.size, read: () => fsp.readFile(abs) };
  }
}
