/**
 * Checks a rewritten repository before anything is pushed: a fresh history scan (every ref, with
 * messages and notes as the scan reads them) finds nothing at all to purge, every ref of the backup
 * still exists, and every file the plan did not target is byte-identical at every tip (a file that
 * held an inline secret may differ only by that secret's replacement).
 */
import { readFileSync } from 'node:fs';
import { scan, type ScanOptions } from '../api.js';
import { git, gitRaw, splitNul } from '../sources/git.js';
import type { Finding } from '../types.js';
import { readObjects } from './objects.js';
import { removedBy, type PathTarget, type Replacement } from './plan.js';

/** A path as one visible line: control characters (a line break in a file name) shown escaped. */
export const shown = (p: string) => (/[\x00-\x1f\x7f]/.test(p) ? JSON.stringify(p) : p);

export interface VerifyResult {
  problems: string[];
  refsChecked: number;
  findingsChecked: number;
}

/** A finding as a one-line problem: rule, where, and the commit; never the secret. */
export function describeFinding(f: Finding, prefix: string): string {
  return `${prefix}: ${f.ruleId} at ${shown(f.path)}${f.commit ? ` (commit ${f.commit.slice(0, 12)})` : ''}${f.refs?.length ? ` reachable from ${f.refs.slice(0, 3).join(', ')}${(f.refsTotal ?? f.refs.length) > 3 ? ' and more' : ''}` : ''}`;
}

/** Applies the replacements the way filter-repo does, for comparing a kept file before and after. */
export function replacer(replacements: Pick<Replacement, 'secret' | 'ruleId'>[]): (b: Buffer) => Buffer {
  const rules = replacements.map((r) => ({
    from: Buffer.from(r.secret, 'utf8').toString('latin1'),
    to: `***REMOVED:${r.ruleId}***`,
  }));
  return (b) => {
    let s = b.toString('latin1');
    for (const r of rules) s = s.split(r.from).join(r.to);
    return Buffer.from(s, 'latin1');
  };
}

/** Reads an expressions file of this tool (literal and regex lines, `==>` and the replacement). */
export function readExpressions(file: string): (b: Buffer) => Buffer {
  const rules = readFileSync(file, 'latin1')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
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

/** ref name -> id, and the commit it peels to (absent for refs to trees and blobs). */
export async function listRefs(repo: string, prefix?: string): Promise<Map<string, { oid: string; commit?: string }>> {
  const out = await git(
    [
      'for-each-ref',
      '--format=%(objectname) %(objecttype) %(*objectname) %(*objecttype) %(refname)',
      ...(prefix ? [prefix] : []),
    ],
    repo,
  );
  const refs = new Map<string, { oid: string; commit?: string }>();
  for (const line of out.toString('utf8').split('\n')) {
    const m = /^(\S+) (\S+) (\S*) (\S*) (.+)$/.exec(line);
    if (!m) continue;
    const [, oid, type, peeled, peeledType, name] = m;
    refs.set(name!, { oid: oid!, commit: type === 'commit' ? oid : peeledType === 'commit' ? peeled : undefined });
  }
  return refs;
}

/** A fresh full history scan of `repo`; every finding is something the purge should have removed. */
export async function freshScan(
  repo: string,
  scanOpts: Pick<ScanOptions, 'config' | 'baseline' | 'defaultRules'>,
): Promise<Finding[]> {
  // a fresh scan of the rewrite, never one helped by a cache
  const report = await scan({ ...scanOpts, path: repo, history: true, redact: false, cache: false });
  return report.findings;
}

const isNotes = (ref: string) => /(^|\/)notes\//.test(ref.replace(/^refs\/leakguard\/t\d+\//, 'refs/'));

export async function verifyRewrite(opts: {
  backup: string;
  rewritten: string;
  removePaths: Pick<PathTarget, 'spec'>[];
  replacements: Pick<Replacement, 'secret' | 'ruleId' | 'paths'>[];
  apply?: (b: Buffer) => Buffer;
  scan: Pick<ScanOptions, 'config' | 'baseline' | 'defaultRules'>;
}): Promise<VerifyResult> {
  const problems: string[] = [];
  const [findings, oldRefs, newRefs] = await Promise.all([
    freshScan(opts.rewritten, opts.scan),
    listRefs(opts.backup),
    listRefs(opts.rewritten),
  ]);
  for (const f of findings) problems.push(describeFinding(f, 'still present after the rewrite'));
  // the local clone's remote-tracking refs are stale copies of the remotes, which are in their own namespaces
  const checked = [...oldRefs.keys()].filter((r) => !r.startsWith('refs/remotes/') && !r.endsWith('/HEAD'));
  const pairs = new Map<string, Set<string>>();
  for (const name of checked) {
    const now = newRefs.get(name);
    if (!now) {
      problems.push(`${name} is missing after the rewrite`);
      continue;
    }
    const before = oldRefs.get(name)!;
    if (!before.commit || !now.commit || isNotes(name)) continue; // notes are re-keyed to new commits; the scan checks their text
    if (before.commit === now.commit) continue;
    (pairs.get(now.commit) ?? pairs.set(now.commit, new Set()).get(now.commit)!).add(before.commit);
  }
  const apply = opts.apply ?? replacer(opts.replacements);
  const keptWithSecrets = new Set(opts.replacements.flatMap((r) => r.paths));
  const env = { ...process.env, GIT_ALTERNATE_OBJECT_DIRECTORIES: `${opts.backup}/objects` };
  // one diff-tree for every (old tip, new tip) pair; it names the new commit before each pair's changes
  const lines: string[] = [];
  for (const [n, olds] of pairs) for (const o of olds) lines.push(`${n} ${o}`);
  const byNew = new Map<string, string[]>();
  for (const l of lines) {
    const [n, o] = l.split(' ');
    (byNew.get(n!) ?? byNew.set(n!, []).get(n!)!).push(o!);
  }
  const batches: string[][] = [];
  // a new commit paired with two old ones would be ambiguous in one stream: those go in later batches
  for (;;) {
    const batch: string[] = [];
    for (const [n, olds] of byNew) if (olds.length) batch.push(`${n} ${olds.shift()}`);
    if (!batch.length) break;
    batches.push(batch);
  }
  const refName = new Map<string, string>();
  for (const name of checked) {
    const c = newRefs.get(name)?.commit;
    if (c && !refName.has(c)) refName.set(c, name);
  }
  // files that held a replaced secret: each (old blob, new blob) pair is compared once, however many tips share it
  const replacedPairs = new Map<string, { path: string; at: string }>();
  for (const batch of batches) {
    const r = await gitRaw(['diff-tree', '-r', '-z', '--no-renames', '--stdin'], {
      cwd: opts.rewritten,
      input: `${batch.join('\n')}\n`,
      env,
    });
    if (r.code !== 0) {
      problems.push(`could not compare the tips: ${r.stderr.trim()}`);
      continue;
    }
    const parts = splitNul(r.stdout);
    let at = '';
    for (let i = 0; i < parts.length; i++) {
      const tok = parts[i]!.toString('latin1');
      if (!tok.startsWith(':')) {
        at = refName.get(tok) ?? tok;
        continue;
      }
      const [, , oldOid, newOid, status] = tok.slice(1).split(' ');
      const path = parts[++i]!.toString('utf8');
      if (status === 'D' && removedBy(opts.removePaths, path)) continue;
      if (status === 'M' && keptWithSecrets.has(path)) {
        if (!replacedPairs.has(`${oldOid} ${newOid}`)) replacedPairs.set(`${oldOid} ${newOid}`, { path, at });
        continue;
      }
      problems.push(`${shown(path)} at ${at} changed (${status}) though the plan did not target it`);
    }
  }
  const ids = [...new Set([...replacedPairs.keys()].flatMap((k) => k.split(' ')))];
  const bodies = await readObjects(opts.rewritten, ids, env);
  for (const [pair, where] of replacedPairs) {
    const [o, n] = pair.split(' ');
    const before = bodies.get(o!);
    const after = bodies.get(n!);
    if (before && after && apply(before).equals(after)) continue;
    problems.push(`${shown(where.path)} at ${where.at} changed beyond the replaced secret`);
  }
  return { problems, refsChecked: checked.length, findingsChecked: findings.length };
}
