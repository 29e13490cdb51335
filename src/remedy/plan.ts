/**
 * The purge plan as data: what to rotate, what to remove from history, what to replace inside
 * files that stay, and where to push. The Markdown, shell and JSON renderings all come from this.
 * It holds hashes of secrets, never the secrets themselves.
 */
import type { Finding } from '../types.js';
import type { Ruleset } from '../engine/compile.js';
import { sha256Hex, redact } from '../engine/fingerprint.js';
import { git, gitRaw } from '../sources/git.js';
import { escapeRegex } from '../engine/compile.js';
import { detectFilterRepo, type FilterRepoInfo } from './filter-repo.js';
import { listRemotes, type RemoteInfo } from './remotes.js';

export interface Credential {
  ruleId: string;
  description: string;
  severity: string;
  /** Redacted: a recognisable prefix at most. */
  secret?: string;
  secretHash?: string;
  fingerprint: string;
  paths: string[];
  firstCommit?: string;
  date?: string;
  refs: string[];
  rotate: string;
}

/** A filter-repo path rule: `literal:` exact path (or directory) or `regex:` (any depth). */
export interface PathTarget { spec: string; ruleId: string; reason: string; paths: string[] }

export interface Replacement { ruleId: string; secretHash: string; fingerprint: string; secret: string; paths: string[] }

export interface Plan {
  tool: 'leakguard';
  version: 1;
  repository: {
    root: string;
    /** A commit the plan was made from: the script checks it runs in the same repository. */
    anchorCommit: string;
    remotes: RemoteInfo[];
    dirty: string[];
    unpushed: string[];
  };
  filterRepo: FilterRepoInfo;
  credentials: Credential[];
  removePaths: PathTarget[];
  replacements: Replacement[];
  warnings: string[];
}

const DEFAULT_ROTATE = 'Revoke or rotate it with whatever issued it, then load it from a secret manager or the environment.';


/** Removal targets for path and size findings: folders by a regex that catches every depth. */
export function removalTargets(findings: Finding[], ruleset: Ruleset): PathTarget[] {
  const byId = new Map(ruleset.rules.map((r) => [r.id, r]));
  const targets = new Map<string, PathTarget>();
  const add = (spec: string, ruleId: string, reason: string, path: string) => {
    const t = targets.get(spec) ?? { spec, ruleId, reason, paths: [] };
    if (!t.paths.includes(path)) t.paths.push(path);
    targets.set(spec, t);
  };
  // configuration files that are local state once they hold a credential (ignore_when_found): the
  // file goes, as a credential file would, not only the secret inside it
  const holders = ruleset.rules.filter((r) => r.spec.ignore_when_found && r.matchPath);
  for (const f of findings) {
    const paths = [...new Set([f.path, ...(f.occurrences ?? []).map((o) => o.path)])];
    if (f.kind === 'content') {
      for (const p of paths) {
        const holder = holders.find((h) => h.matchPath!(p));
        if (holder) add(`literal:${p}`, holder.id, `${holder.description} (holds ${f.ruleId})`, p);
      }
      continue;
    }
    const rule = byId.get(f.ruleId);
    for (const p of paths) {
      const dirGlob = f.kind === 'path' ? rule?.spec.paths?.map((g) => /^\*\*\/([^*?[\]{}!]+)\/\*\*$/.exec(g)?.[1]).find((d) => d && (`/${p}`).includes(`/${d}/`)) : undefined;
      if (dirGlob) add(`regex:(^|/)${escapeRegex(dirGlob)}(/|$)`, f.ruleId, `${dirGlob}/ at any depth`, p);
      else add(`literal:${p}`, f.ruleId, f.kind === 'size' ? 'large file' : rule?.description ?? f.ruleId, p);
    }
  }
  return [...targets.values()];
}

/** Whether filter-repo removes `path` under these targets (`regex:` searched, `literal:` exact). */
export function removedBy(targets: Pick<PathTarget, 'spec'>[], path: string): boolean {
  return targets.some((t) => (t.spec.startsWith('regex:') ? new RegExp(t.spec.slice(6)).test(path) : t.spec.slice(8) === path));
}

export async function buildPlan(root: string, findings: Finding[], ruleset: Ruleset): Promise<Plan> {
  const byId = new Map(ruleset.rules.map((r) => [r.id, r]));
  const removePaths = removalTargets(findings, ruleset);
  const credentials: Credential[] = [];
  const replacements: Replacement[] = [];
  for (const f of findings) {
    const rule = byId.get(f.ruleId);
    const paths = [...new Set([f.path, ...(f.occurrences ?? []).map((o) => o.path)])];
    const isCredential = f.kind === 'content' || !rule?.spec.tags?.includes('artifact');
    if (isCredential) {
      credentials.push({
        ruleId: f.ruleId, description: f.description, severity: f.severity, fingerprint: f.fingerprint,
        secret: f.secret === undefined ? undefined : redact(f.secret),
        secretHash: f.secret === undefined ? undefined : sha256Hex(f.secret),
        paths, firstCommit: f.commit, date: f.date, refs: f.refs ?? [], rotate: rule?.spec.rotate ?? DEFAULT_ROTATE,
      });
    }
    if (f.kind === 'content' && f.secret !== undefined) {
      const kept = paths.filter((p) => !removedBy(removePaths, p));
      if (kept.length) replacements.push({ ruleId: f.ruleId, secretHash: sha256Hex(f.secret), fingerprint: f.fingerprint, secret: f.secret, paths: kept });
    }
  }
  const warnings: string[] = [];
  const status = (await git(['status', '--porcelain', '-z', '--untracked-files=no'], root)).toString('utf8').split('\0').filter(Boolean);
  if (status.length) warnings.push(`the work tree has ${status.length} uncommitted change(s); the rewrite happens in a separate mirror and never touches them, but after the push this clone must be replaced, so commit or save them first`);
  const unpushedR = await gitRaw(['log', '--branches', '--not', '--remotes', '--format=%H'], { cwd: root });
  const unpushed = unpushedR.stdout.toString('utf8').split('\n').filter(Boolean);
  const remotes = await listRemotes(root);
  if (unpushed.length && remotes.length) warnings.push(`${unpushed.length} local commit(s) are on no remote; they are kept in the backup and rewritten with the rest, but they are only pushed if they are on a remote branch`);
  if (!remotes.length) warnings.push('the repository has no remotes: the plan rewrites it but has nowhere to push');
  const anchor = (await git(['rev-list', '-n', '1', '--all'], root)).toString('utf8').trim();
  return {
    tool: 'leakguard', version: 1,
    repository: { root, anchorCommit: anchor, remotes, dirty: status, unpushed },
    filterRepo: await detectFilterRepo(root),
    credentials, removePaths, replacements, warnings,
  };
}

/** The plan as written out: replacements keep their hashes, never their secrets. */
export function publicPlan(plan: Plan): Omit<Plan, 'replacements'> & { replacements: Omit<Replacement, 'secret'>[] } {
  return { ...plan, replacements: plan.replacements.map(({ secret: _secret, ...rest }) => rest) };
}

/** filter-repo's --replace-text lines: literal for one-line secrets, an escaped regex across lines. */
export function replaceTextLines(replacements: Replacement[]): string {
  const lines = replacements.map((r) => {
    const marker = `***REMOVED:${r.ruleId}***`;
    if (!/[\r\n]/.test(r.secret) && !r.secret.includes('==>')) return `literal:${r.secret}==>${marker}`;
    const re = r.secret.replace(/[^A-Za-z0-9_]/g, (c) => (c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '=' ? '=' : `\\${c}`));
    return `regex:${re.replace(/==>/g, '=\\=>')}==>${marker}`;
  });
  return `${lines.join('\n')}\n`;
}
