/**
 * The purge plan as data: what to rotate, what to remove from history, what to replace inside
 * files that stay, and where to push. The Markdown, shell and JSON renderings all come from this.
 * It holds neither the secrets nor any hash of them (a hash of a short password next to its rule and
 * path is undone by a dictionary): the script finds them again at run time with a fresh scan.
 */
import { archivePathOf, type Finding, type TextSource } from '../types.js';
import { ARCHIVE_INCOMPLETE, archiveIncompleteRule } from '../engine/archive-scan.js';
import type { Ruleset } from '../engine/compile.js';
import { redact } from '../engine/fingerprint.js';
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
  paths: string[];
  /** Absent for files; a commit message, tag message or note otherwise. */
  source?: TextSource;
  firstCommit?: string;
  date?: string;
  refs: string[];
  rotate: string;
}

/** A filter-repo path rule: `literal:` exact path (or directory) or `regex:` (any depth). */
export interface PathTarget {
  spec: string;
  ruleId: string;
  reason: string;
  paths: string[];
}

/** A secret replaced in place: inside kept files and notes (--replace-text) or in messages (--replace-message). */
export interface Replacement {
  ruleId: string;
  secret: string;
  paths: string[];
  source?: TextSource;
}

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

const DEFAULT_ROTATE =
  'Revoke or rotate it with whatever issued it, then load it from a secret manager or the environment.';

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
    if (f.source && f.source !== 'file') continue; // a message has no path to remove
    // inside an archive, whatever the finding: the archive goes (its bytes are compressed, so a
    // secret in it cannot be replaced, and a member cannot be removed on its own)
    for (const a of archivesOf(f))
      addFile(
        a,
        f.ruleId,
        `archive holding ${f.ruleId === ARCHIVE_INCOMPLETE ? 'what could not be scanned' : (byId.get(f.ruleId)?.description ?? f.ruleId)}`,
      );
    const paths = filePathsOf(f);
    if (f.kind === 'content') {
      for (const p of paths) {
        const holder = holders.find((h) => h.matchPath!(p));
        if (holder) add(`literal:${p}`, holder.id, `${holder.description} (holds ${f.ruleId})`, p);
      }
      continue;
    }
    const rule = byId.get(f.ruleId);
    for (const p of paths) {
      const dirGlob =
        f.kind === 'path'
          ? rule?.spec.paths
              ?.map((g) => /^\*\*\/([^*?[\]{}!]+)\/\*\*$/.exec(g)?.[1])
              .find((d) => d && `/${p}`.includes(`/${d}/`))
          : undefined;
      if (dirGlob) add(`regex:(^|/)${escapeRegex(dirGlob)}(/|$)`, f.ruleId, `${dirGlob}/ at any depth`, p);
      else addFile(p, f.ruleId, f.kind === 'size' ? 'large file' : (rule?.description ?? f.ruleId));
    }
  }
  return [...targets.values()];

  function addFile(p: string, ruleId: string, reason: string): void {
    // filter-repo reads one rule a line: a path with a line break (or one that looks like a rule) becomes an anchored regex
    if (/[\x00-\x1f\x7f]/.test(p) || /^(literal|regex|glob):/.test(p))
      add(
        `regex:^${escapeRegex(p).replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}$`,
        ruleId,
        reason,
        p,
      );
    else add(`literal:${p}`, ruleId, reason, p);
  }
}

/** The paths of a finding's occurrences that are files of their own (not archive members). */
export function filePathsOf(f: Finding): string[] {
  const out = new Set<string>();
  if (f.member === undefined) out.add(f.path);
  for (const o of f.occurrences ?? []) if (o.member === undefined) out.add(o.path);
  return [...out];
}

/** The archives (repository paths) a finding sits inside, at any of its occurrences; none for a plain file. */
export function archivesOf(f: Finding): string[] {
  const out = new Set<string>();
  if (f.member !== undefined) out.add(archivePathOf(f));
  for (const o of f.occurrences ?? []) if (o.member !== undefined) out.add(archivePathOf(o));
  return [...out];
}

/** Whether filter-repo removes `path` under these targets (`regex:` searched, `literal:` exact). */
export function removedBy(targets: Pick<PathTarget, 'spec'>[], path: string): boolean {
  return targets.some((t) =>
    t.spec.startsWith('regex:') ? new RegExp(t.spec.slice(6)).test(path) : t.spec.slice(8) === path,
  );
}

/**
 * The secrets to replace in place: content findings in files that stay, and every secret found in a
 * commit message, tag message or note (those have no path to remove). One replacement per secret.
 */
export function replacementsFor(findings: Finding[], removePaths: Pick<PathTarget, 'spec'>[]): Replacement[] {
  const bySecret = new Map<string, Replacement>();
  for (const f of findings) {
    if (f.kind !== 'content' || f.secret === undefined) continue;
    const inText = f.source && f.source !== 'file';
    // a secret inside an archive is never replaced: its archive is removed (see removalTargets)
    const paths = inText ? [...new Set([f.path, ...(f.occurrences ?? []).map((o) => o.path)])] : filePathsOf(f);
    const kept = inText ? paths : paths.filter((p) => !removedBy(removePaths, p));
    if (!kept.length) continue;
    const r = bySecret.get(f.secret) ?? {
      ruleId: f.ruleId,
      secret: f.secret,
      paths: [],
      ...(inText ? { source: f.source } : {}),
    };
    for (const p of kept) if (!r.paths.includes(p)) r.paths.push(p);
    bySecret.set(f.secret, r);
  }
  return [...bySecret.values()];
}

/** Whether any replacement is in a commit or tag message, which needs --replace-message. */
export const inMessages = (rs: Pick<Replacement, 'source'>[]) =>
  rs.some((r) => r.source === 'commit-message' || r.source === 'tag-message');

export async function buildPlan(root: string, findings: Finding[], ruleset: Ruleset, bare = false): Promise<Plan> {
  const byId = new Map(ruleset.rules.map((r) => [r.id, r]));
  const removePaths = removalTargets(findings, ruleset);
  const credentials: Credential[] = [];
  for (const f of findings) {
    const rule = byId.get(f.ruleId) ?? (f.ruleId === ARCHIVE_INCOMPLETE ? archiveIncompleteRule() : undefined);
    const paths = [...new Set([f.path, ...(f.occurrences ?? []).map((o) => o.path)])];
    const isCredential = f.kind === 'content' || !rule?.spec.tags?.includes('artifact');
    if (isCredential) {
      credentials.push({
        ruleId: f.ruleId,
        description: f.description,
        severity: f.severity,
        secret: f.secret === undefined ? undefined : redact(f.secret),
        paths,
        firstCommit: f.commit,
        date: f.date,
        refs: f.refs ?? [],
        rotate: rule?.spec.rotate ?? DEFAULT_ROTATE,
        ...(f.source && f.source !== 'file' ? { source: f.source } : {}),
      });
    }
  }
  const replacements = replacementsFor(findings, removePaths);
  const warnings: string[] = [];
  const status = bare
    ? []
    : (await git(['status', '--porcelain', '-z', '--untracked-files=no'], root))
        .toString('utf8')
        .split('\0')
        .filter(Boolean);
  if (status.length)
    warnings.push(
      `the work tree has ${status.length} uncommitted change(s); the rewrite happens in a separate mirror and never touches them, but after the push this clone must be replaced, so commit or save them first`,
    );
  const unpushedR = await gitRaw(['log', '--branches', '--not', '--remotes', '--format=%H'], { cwd: root });
  const unpushed = unpushedR.stdout.toString('utf8').split('\n').filter(Boolean);
  const remotes = await listRemotes(root);
  const pushUrlRemotes = remotes.filter((r) => r.pushUrl && r.pushUrl !== r.url);
  for (const r of pushUrlRemotes)
    warnings.push(
      `remote ${r.name} fetches from ${r.url} but pushes to ${r.pushUrl}: both are backed up; the rewrite goes where git pushes, and the fetch URL is checked and reported, never written`,
    );
  if (unpushed.length && remotes.length)
    warnings.push(
      `${unpushed.length} local commit(s) are on no remote; they are kept in the backup and rewritten with the rest, but they are only pushed if they are on a remote branch`,
    );
  if (!remotes.length) warnings.push('the repository has no remotes: the plan rewrites it but has nowhere to push');
  const anchor = (await git(['rev-list', '-n', '1', '--all'], root)).toString('utf8').trim();
  return {
    tool: 'leakguard',
    version: 1,
    repository: { root, anchorCommit: anchor, remotes, dirty: status, unpushed },
    filterRepo: await detectFilterRepo(root),
    credentials,
    removePaths,
    replacements,
    warnings,
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
    const re = r.secret.replace(/[^A-Za-z0-9_]/g, (c) =>
      c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '=' ? '=' : `\\${c}`,
    );
    return `regex:${re.replace(/==>/g, '=\\=>')}==>${marker}`;
  });
  return `${lines.join('\n')}\n`;
}
