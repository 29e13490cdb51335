/**
 * The programmatic API. The CLI is a thin layer over these functions.
 */
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { archiveLimits, buildRuleset, loadConfig, type Config } from './config.js';
import type { ReadLimits } from './sources/archive.js';
import { LeakguardError } from './errors.js';
import { readBaseline } from './engine/baseline.js';
import { preloadDefaultRules } from './engine/rule-pack.js';
import type { Ruleset } from './engine/compile.js';
import { redactReport } from './engine/findings.js';
import { GitleaksIgnore } from './engine/gitleaks-compat.js';
import { countSkip, Engine, newStats } from './engine/scan.js';
import { GitNotFound, openRepo, openRepoWithoutGit, repoAtTop, type RepoInfo } from './sources/git.js';
import { openObjects } from './sources/catfile.js';
import { stagedEntries, stagedItems } from './sources/staged.js';
import { worktreeItems } from './sources/worktree.js';
import { CONFIDENCES, MESSAGE_PATHS, type Confidence, type Finding, type ScanReport, type ScanStats } from './types.js';
import { git } from './sources/git.js';
import { effectiveRules } from './config.js';
import type { HistoryOptions } from './engine/history-scan.js';
import { IncompleteScan } from './engine/incomplete.js';

export interface ScanOptions {
  /** Directory or file to scan (work tree mode) or any directory inside the repository. Default: cwd. */
  path?: string;
  /** Scan the index (what the next commit would contain) instead of the work tree. */
  staged?: boolean;
  /** Config file; default `.leakguard.yml` at the repository root. */
  config?: string;
  /** Baseline file whose fingerprints are dropped. */
  baseline?: string;
  /** false: only the config's own rules. */
  defaultRules?: boolean;
  /** false: findings carry full secrets. Default true. */
  redact?: boolean;
  /** Overrides the config's max_content_size. */
  maxContentBytes?: number;
  /** Scan everything reachable from every ref (branches, tags, remotes, stash, notes). */
  history?: boolean;
  /** Scan what the commits of `A..B` introduced. */
  range?: string;
  /** With history: also objects no ref reaches. */
  allObjects?: boolean;
  /** Worker threads for history content (default: one per core). */
  workers?: number;
  /**
   * With history: one of those lanes runs on the calling thread instead of a worker thread of its
   * own. One V8 heap and one compiled rule pack fewer (about 25 MB of the node process's peak on
   * git/git), at the price of the calling thread's time: on lodash, whose few large files keep
   * that thread from feeding the others, 15% more wall time; on git/git none. The CLI uses it for
   * small histories (a worker's fixed cost weighs most there) and in the process it starts for
   * large ones.
   */
  scanOnCallingThread?: boolean;
  onProgress?: HistoryOptions['onProgress'];
  /** History reader: 'git' (default) or 'isomorphic' (isomorphic-git; used automatically without a git binary). */
  engine?: 'git' | 'isomorphic';
  /**
   * The scan cache of history and range scans: a directory, or false for none. Default: `leakguard/scan-cache`
   * under the repository's common git directory (skipped when it cannot be created there).
   */
  cache?: string | false;
  /** Drop findings below this confidence (counted in `stats.suppressed.confidence`). Default: keep all. */
  minConfidence?: Confidence;
  /** Archive limits over the config's (`archives:` in .leakguard.yml), or false: archives are not entered. */
  archives?: Partial<ReadLimits> | false;
}

export interface PreparedScan {
  repo: RepoInfo;
  root: string;
  config: Config;
  ruleset: Ruleset;
  baseline?: Set<string>;
}

/** Opens the repository and compiles the rules: everything a scan needs before reading any file. */
export async function prepare(
  opts: ScanOptions,
  /** The repository, when the caller started looking for it already (see startStaged). */
  opening?: Promise<RepoInfo>,
): Promise<PreparedScan & { engine: 'git' | 'isomorphic' }> {
  const dir = await existingDir(resolve(opts.path ?? '.'));
  const historyMode = Boolean(opts.history || opts.range);
  let engine: 'git' | 'isomorphic' = opts.engine ?? 'git';
  let repo: RepoInfo;
  if (engine === 'isomorphic') {
    if (!historyMode) throw new LeakguardError('--engine isomorphic reads history; use it with --history or --range');
    repo = openRepoWithoutGit(dir);
  } else {
    try {
      repo = await (opening ?? openRepo(dir));
    } catch (e) {
      if (!(e instanceof GitNotFound) || !historyMode || opts.engine === 'git') throw e;
      // no git binary: history can still be read, by isomorphic-git
      engine = 'isomorphic';
      repo = openRepoWithoutGit(dir);
    }
  }
  const root = repo.root ?? repo.gitDir;
  const config = await loadConfig(repo.root, opts.config);
  const ruleset = await buildRuleset(config, { defaultRules: opts.defaultRules });
  const baselineFile =
    opts.baseline ??
    (config.baseline ? (isAbsolute(config.baseline) ? config.baseline : join(root, config.baseline)) : undefined);
  return { repo, root, config, ruleset, baseline: baselineFile ? readBaseline(baselineFile) : undefined, engine };
}

async function existingDir(p: string): Promise<string> {
  let s;
  try {
    s = statSync(p);
  } catch {
    s = undefined;
  }
  if (!s) throw new LeakguardError(`no such file or directory: ${p}`);
  return s.isDirectory() ? p : p.replace(/\/[^/]*$/, '') || '/';
}

/**
 * The git processes a pre-commit scan needs, started before anything else: git finds the
 * repository, lists the index and opens the object store on another core while this one reads the
 * rule pack (read here, after the spawns, for that reason; prepare() then finds it parsed).
 */
async function startStaged(opts: ScanOptions) {
  const dir = await existingDir(resolve(opts.path ?? '.'));
  // prepare() awaits the repository first and reports its error; the others' errors wait for it
  // the hook runs at the top of the work tree, where the file system can say what git would
  const atTop = opts.path === undefined ? repoAtTop(dir) : undefined;
  const repo = atTop ? Promise.resolve(atTop) : openRepo(dir);
  repo.catch(() => undefined);
  const listing = settle(stagedEntries(dir));
  const objects = openObjects(dir);
  if (opts.defaultRules !== false) await preloadDefaultRules().catch(() => undefined); // prepare() reports it
  return { repo, listing, objects };
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };
const settle = <T>(p: Promise<T>): Promise<Settled<T>> =>
  p.then(
    (value) => ({ ok: true as const, value }),
    (error) => ({ ok: false as const, error }),
  );
const unsettle = <T>(s: Settled<T>): T => {
  if (s.ok) return s.value;
  throw s.error;
};

/** Findings with their secrets redacted, and any secret among them wherever else it appears. */
export function redactFindings(findings: Finding[], secrets: Iterable<string> = []): Finding[] {
  const copies = findings.map((f) => ({
    ...f,
    occurrences: f.occurrences?.map((o) => ({ ...o })),
    refs: f.refs && [...f.refs],
  }));
  return redactReport(
    { findings: copies, stats: { warnings: [], skippedExamples: {} } as unknown as ScanReport['stats'] },
    secrets,
  ).findings;
}

/** Findings at or above `min` confidence; the others are counted, never silently lost. */
function atLeastConfidence(findings: Finding[], min: Confidence | undefined, stats: ScanStats): Finding[] {
  if (!min) return findings;
  const rank = (c: Confidence | undefined) => CONFIDENCES.indexOf(c ?? 'low');
  const kept = findings.filter((f) => rank(f.confidence) <= rank(min));
  if (kept.length < findings.length)
    stats.suppressed.confidence = (stats.suppressed.confidence ?? 0) + findings.length - kept.length;
  return kept;
}

/** Scans the work tree (tracked plus untracked, not ignored) or, with `staged`, the index. */
/** The report, with the compiled rules and the repository it came from for callers that go on from it. */
export async function scan(
  opts: ScanOptions = {},
): Promise<ScanReport & { ruleset: Ruleset; repo: RepoInfo; knownSecrets?: Set<string> }> {
  if (opts.minConfidence !== undefined && !CONFIDENCES.includes(opts.minConfidence)) {
    throw new LeakguardError(
      `invalid minimum confidence '${String(opts.minConfidence)}' (expected ${CONFIDENCES.join(', ')})`,
    );
  }
  if (opts.staged && (opts.history || opts.range))
    throw new LeakguardError('--staged cannot be combined with --history or --range');
  // For --staged, git lists the index while the repository is opened and the rules compiled; an
  // error there waits until prepare() has had the chance to say something clearer (not a repository).
  const early = opts.staged ? await startStaged(opts) : undefined;
  try {
    return await scanPrepared(opts, early);
  } catch (e) {
    // the object reader is the staged scan's to close once handed to it; until then, ours (a
    // reader left open would keep a library caller's process alive)
    void early?.objects.close();
    throw e;
  }
}

async function scanPrepared(
  opts: ScanOptions,
  early: Awaited<ReturnType<typeof startStaged>> | undefined,
): Promise<ScanReport & { ruleset: Ruleset; repo: RepoInfo; knownSecrets?: Set<string> }> {
  const p = await prepare(opts, early?.repo);
  const stats = newStats(p.ruleset.rules.length);
  const maxContentBytes = opts.maxContentBytes ?? p.config.maxContentBytes;
  const archives =
    opts.archives === false
      ? undefined
      : archiveLimits(
          { ...p.config, archives: p.config.archives && { ...p.config.archives, ...opts.archives } },
          maxContentBytes,
        );
  const engine = new Engine(p.ruleset, { maxContentBytes, baseline: p.baseline, archives }, stats);
  const onSkip = (path: string, reason: Parameters<typeof countSkip>[2]) => {
    stats.files++;
    countSkip(stats, path, reason);
  };
  let findings: Finding[];
  let secrets: Set<string>;
  const redacted = opts.redact !== false;
  // the last step of the findings stage: the secret, and every known secret in any other field
  // unredacted, the report keeps the secrets it knows, so a caller that redacts later (the SARIF
  // and GitLab formats, which need each secret's extent first) scrubs every field as this would
  const finish = <R extends Omit<ScanReport, 'redacted'>>(
    unfiltered: R,
  ): R & { redacted: boolean; knownSecrets?: Set<string> } => {
    // findings under --min-confidence leave first, counted
    const report = withGitleaksIgnore(
      { ...unfiltered, findings: atLeastConfidence(unfiltered.findings, opts.minConfidence, unfiltered.stats) },
      p.root,
    );
    return redacted ? { ...redactReport(report, secrets), redacted } : { ...report, redacted, knownSecrets: secrets };
  };
  if (opts.history || opts.range) {
    const cwd = p.repo.root ?? p.repo.gitDir;
    const target = { mode: opts.range ? ('range' as const) : ('history' as const), root: p.root, range: opts.range };
    // loaded here, not with this module: a one-off scan needs neither worker threads nor the cache
    const [{ scanHistory }, { ensureCacheDir }] = await Promise.all([
      import('./engine/history-scan.js'),
      import('./engine/scan-cache.js'),
    ]);
    try {
      ({ findings, secrets } = await scanHistory(
        cwd,
        p.ruleset,
        {
          range: opts.range,
          allObjects: opts.allObjects,
          workers: opts.workers,
          scanOnCallingThread: opts.scanOnCallingThread,
          onProgress: opts.onProgress,
          maxContentBytes,
          archives,
          baseline: p.baseline,
          specs: await effectiveRules(p.config, { defaultRules: opts.defaultRules }),
          allow: p.config.allowlist,
          shallow: p.repo.shallow,
          engine: p.engine,
          cacheDir: p.engine === 'git' ? scanCacheDir(p.repo, opts.cache, ensureCacheDir) : undefined,
        },
        stats,
      ));
      if (p.engine === 'isomorphic' && !opts.engine)
        stats.warnings.push('git was not found on PATH: history was read with isomorphic-git');
    } catch (e) {
      if (e instanceof IncompleteScan) {
        // the findings are real and must still be reported; the error says the all-clear is not
        secrets = e.secrets;
        e.report = finish({ findings: e.findings, stats, target, ruleset: p.ruleset });
      }
      throw e;
    }
    return finish({ findings, stats, target, ruleset: p.ruleset, repo: p.repo });
  }
  if (opts.staged) {
    if (!p.repo.root) throw new LeakguardError('--staged needs a work tree; this is a bare repository');
    const { items, close } = await stagedItems(p.repo.root, onSkip, {
      listed: early!.listing.then(unsettle),
      objects: early!.objects,
    });
    try {
      findings = await engine.scanAll(items);
    } finally {
      void close();
    }
  } else {
    if (!p.repo.root) throw new LeakguardError('a bare repository has no work tree to scan; use --history');
    findings = await engine.scanAll(worktreeItems(p.repo.root, resolve(opts.path ?? '.'), onSkip));
  }
  secrets = engine.secrets;
  return finish({
    findings,
    stats,
    target: { mode: opts.staged ? 'staged' : 'worktree', root: p.root },
    ruleset: p.ruleset,
    repo: p.repo,
  });
}

/** Where a history scan keeps its cache: the given directory (which must be usable), else the git directory's. */
function scanCacheDir(
  repo: RepoInfo,
  cache: string | false | undefined,
  ensureCacheDir: (dir: string) => void,
): string | undefined {
  if (cache === false) return undefined;
  if (cache !== undefined) {
    if (!cache.trim()) throw new LeakguardError('--cache needs a directory');
    const dir = resolve(cache);
    ensureCacheDir(dir);
    return dir;
  }
  const dir = defaultCacheDir(repo);
  try {
    ensureCacheDir(dir);
    return dir;
  } catch {
    return undefined; // a read-only repository: scanned without a cache
  }
}

export function defaultCacheDir(repo: RepoInfo): string {
  return join(repo.commonDir, 'leakguard', 'scan-cache');
}

/** Removes the scan cache's files (the default directory, or `cache`); returns how many were removed. */
export async function clearScanCache(
  opts: { path?: string; cache?: string } = {},
): Promise<{ dir: string; removed: number }> {
  if (opts.cache !== undefined && !opts.cache.trim()) throw new LeakguardError('--cache needs a directory');
  const dir =
    opts.cache !== undefined
      ? resolve(opts.cache)
      : defaultCacheDir(await openRepo(await existingDir(resolve(opts.path ?? '.'))));
  const { clearCache } = await import('./engine/scan-cache.js');
  return { dir, removed: clearCache(dir) };
}

/** Drops what the repository's .gitleaksignore accepts (a team moving from gitleaks keeps its decisions), counted with the baseline. */
function withGitleaksIgnore<R extends Pick<ScanReport, 'findings' | 'stats'>>(report: R, root: string): R {
  const ignore = GitleaksIgnore.load(root);
  if (!ignore) return report;
  const { kept, dropped } = ignore.filter(report.findings);
  report.stats.suppressed.baseline += dropped;
  return { ...report, findings: kept };
}

/** A commit message to scan: the file git hands the commit-msg hook, or the text itself. */
export type MessageOptions = Pick<ScanOptions, 'path' | 'config' | 'baseline' | 'defaultRules' | 'redact'> &
  ({ file: string; text?: undefined } | { text: string; file?: undefined });

function readMessageFile(file: string): string {
  try {
    return readFileSync(resolve(file), 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new LeakguardError(
      `cannot read ${file}: ${err.code === 'ENOENT' ? 'no such file' : (err.code ?? err.message)}`,
    );
  }
}

/**
 * Scans a commit message with the same rules as a file. Comment lines are blanked as git strips
 * them (so line numbers still match the file) and everything below the scissors line is cut.
 */
export async function scanMessage(
  opts: MessageOptions,
): Promise<ScanReport & { ruleset: Ruleset; repo: RepoInfo; knownSecrets?: Set<string> }> {
  const raw = opts.file !== undefined ? readMessageFile(opts.file) : opts.text;
  const p = await prepare(opts);
  const commentChar = (
    await git(['config', '--default', '#', 'core.commentChar'], p.root).catch(() => Buffer.from('#'))
  )
    .toString('utf8')
    .trim();
  const text = stripComments(raw, commentChar === 'auto' || !commentChar ? '#' : commentChar);
  const stats = newStats(p.ruleset.rules.length);
  const engine = new Engine(p.ruleset, { maxContentBytes: Infinity, baseline: p.baseline }, stats);
  const body = Buffer.from(text, 'utf8');
  const found = await engine.scanAll([
    { path: MESSAGE_PATHS['commit-message'], size: body.length, read: async () => body },
  ]);
  const findings = found.filter((f) => f.kind === 'content').map((f) => ({ ...f, source: 'commit-message' as const }));
  const redacted = opts.redact !== false;
  return {
    findings: redacted ? redactFindings(findings, engine.secrets) : findings,
    stats,
    target: { mode: 'staged', root: p.root },
    redacted,
    ruleset: p.ruleset,
    repo: p.repo,
    ...(redacted ? {} : { knownSecrets: engine.secrets }),
  };
}

function stripComments(message: string, commentChar: string): string {
  const lines = message.split('\n');
  const scissors = lines.findIndex((l) => l.startsWith(`${commentChar} `) && l.includes('>8'));
  return (scissors === -1 ? lines : lines.slice(0, scissors))
    .map((l) => (l.startsWith(commentChar) ? '' : l))
    .join('\n');
}
