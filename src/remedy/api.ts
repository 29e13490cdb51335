/** Remediation entry points: `.gitignore` patching and purge planning, over a fresh scan. */
import { scan, type ScanOptions } from '../api.js';
import { LeakguardError } from '../errors.js';
import { git, hasHead } from '../sources/git.js';
import type { Finding } from '../types.js';
import type { Ruleset } from '../engine/compile.js';
import { planGitignore, writePatch, type GitignorePatch } from './gitignore.js';

/** History (when there is any) plus the work tree, unredacted only in memory. */
export async function scanForRemedy(
  opts: ScanOptions,
): Promise<{ findings: Finding[]; ruleset: Ruleset; root: string; gitDir: string }> {
  const work = await scan({ ...opts, redact: false });
  const root = work.target.root;
  let findings = work.findings;
  if (await hasHead(root)) {
    const history = await scan({ ...opts, history: true, redact: false });
    findings = [...history.findings, ...work.findings];
  }
  return { findings, ruleset: work.ruleset, root, gitDir: work.repo.gitDir };
}

export interface GitignoreResult extends GitignorePatch {
  written: boolean;
  untracked: string[];
}

export async function gitignore(opts: ScanOptions & { write?: boolean; untrack?: boolean }): Promise<GitignoreResult> {
  const s = await scanForRemedy(opts);
  const patch = await planGitignore(s.root, s.gitDir, s.findings, s.ruleset);
  const written = Boolean(opts.write && patch.text !== undefined);
  if (written) writePatch(patch);
  let untracked: string[] = [];
  if (opts.untrack && patch.tracked.length) {
    if (!written && patch.text !== undefined) throw new LeakguardError('--untrack needs the .gitignore written first');
    await git(['rm', '--cached', '-q', '-r', '--', ...patch.tracked.map((p) => `:(literal)${p}`)], s.root);
    untracked = patch.tracked;
  }
  return { ...patch, written, untracked };
}
