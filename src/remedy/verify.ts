/**
 * Checks a rewritten repository before anything is pushed: nothing the plan purges may remain, every
 * branch and tag must still exist, and every file the plan did not target must be byte-identical
 * at every tip (a file that held an inline secret may differ only by that secret's replacement).
 */
import { readFileSync } from 'node:fs';
import { scan } from '../api.js';
import { sha256Hex } from '../engine/fingerprint.js';
import { git, gitRaw, splitNul } from '../sources/git.js';
import { publicPlan, removedBy } from './plan.js';

export interface VerifyResult { problems: string[]; refsChecked: number; findingsChecked: number }

type PublicPlan = ReturnType<typeof publicPlan>;

const targeted = (plan: PublicPlan, path: string) => removedBy(plan.removePaths, path);

/** Reads the expressions file this tool writes: literal and regex lines, `==>` then the replacement. */
function readReplacements(file: string): ((s: Buffer) => Buffer) {
  const rules = readFileSync(file, 'latin1').split('\n').filter(Boolean).map((line) => {
    const arrow = line.lastIndexOf('==>');
    const lhs = line.slice(0, arrow);
    const to = line.slice(arrow + 3);
    if (lhs.startsWith('regex:')) return { re: new RegExp(lhs.slice(6).replace(/=\\=>/g, '==>'), 'g'), to };
    return { re: new RegExp(lhs.slice(8).replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'g'), to };
  });
  return (b) => {
    let s = b.toString('latin1');
    for (const r of rules) s = s.replace(r.re, () => r.to);
    return Buffer.from(s, 'latin1');
  };
}

export async function verifyRewrite(opts: { plan: PublicPlan; newRepo: string; oldRepo?: string; replacements?: string; config?: string }): Promise<VerifyResult> {
  const { plan } = opts;
  const problems: string[] = [];
  // 1. nothing purged remains: a fresh history scan of the rewritten repository
  const report = await scan({ path: opts.newRepo, history: true, redact: false, config: opts.config, workers: 1 });
  const hashes = new Set(plan.credentials.map((c) => c.secretHash).filter(Boolean));
  const fingerprints = new Set([...plan.credentials.map((c) => c.fingerprint), ...plan.replacements.map((r) => r.fingerprint)]);
  for (const f of report.findings) {
    const paths = [f.path, ...(f.occurrences ?? []).map((o) => o.path)];
    const left = (f.secret !== undefined && hashes.has(sha256Hex(f.secret))) || fingerprints.has(f.fingerprint)
      || (f.kind !== 'content' && paths.some((p) => targeted(plan, p)));
    if (left) problems.push(`still present after the rewrite: ${f.ruleId} at ${f.path}${f.commit ? ` (commit ${f.commit.slice(0, 12)})` : ''}`);
  }
  let refsChecked = 0;
  if (opts.oldRepo) {
    // 2. every old branch and tag exists, and differs only where the plan said
    const apply = opts.replacements ? readReplacements(opts.replacements) : (b: Buffer) => b;
    const keptWithSecrets = new Set(plan.replacements.flatMap((r) => r.paths));
    // refs/remotes/* are left out: filter-repo drops them, and the plan keeps each remote's branches under refs/leakguard/remotes/
    await git(['fetch', '-q', '--no-tags', opts.oldRepo, '+refs/heads/*:refs/leakguard-old/heads/*', '+refs/tags/*:refs/leakguard-old/tags/*', '+refs/leakguard/*:refs/leakguard-old/leakguard/*'], opts.newRepo);
    try {
      const refs = (await git(['for-each-ref', '--format=%(refname)', 'refs/leakguard-old/'], opts.newRepo)).toString('utf8').split('\n').filter(Boolean);
      for (const oldRef of refs) {
        const name = `refs/${oldRef.slice('refs/leakguard-old/'.length)}`;
        if (name.endsWith('/HEAD')) continue;
        refsChecked++;
        const exists = await gitRaw(['rev-parse', '--verify', '-q', `${name}^{commit}`], { cwd: opts.newRepo });
        if (exists.code !== 0) { problems.push(`${name} is missing after the rewrite`); continue; }
        const diff = await git(['diff-tree', '-r', '-z', '--no-renames', '--no-commit-id', `${oldRef}^{commit}`, `${name}^{commit}`], opts.newRepo);
        const parts = splitNul(diff);
        for (let i = 0; i + 1 < parts.length; i += 2) {
          const [, , oldOid, newOid, status] = parts[i]!.toString('latin1').replace(/^:/, '').split(' ');
          const path = parts[i + 1]!.toString('utf8');
          if (status === 'D' && targeted(plan, path)) continue;
          if (status === 'M' && keptWithSecrets.has(path)) {
            const [before, after] = await Promise.all([git(['cat-file', 'blob', oldOid!], opts.newRepo), git(['cat-file', 'blob', newOid!], opts.newRepo)]);
            if (apply(before).equals(after)) continue;
            problems.push(`${path} at ${name} changed beyond the replaced secret`);
            continue;
          }
          problems.push(`${path} at ${name} changed (${status}) though the plan did not target it`);
        }
      }
    } finally {
      const del = (await git(['for-each-ref', '--format=delete %(refname)', 'refs/leakguard-old/'], opts.newRepo)).toString('utf8');
      if (del.trim()) await git(['update-ref', '--stdin'], opts.newRepo, del);
    }
  }
  return { problems, refsChecked, findingsChecked: report.findings.length };
}
