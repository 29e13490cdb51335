/**
 * The history scan: metadata first (one `git log --raw` pass), then each unique blob's content
 * once (its size read from the same answer), then attribution: every finding carries the commit
 * that first introduced it, every {commit, path} it occurs at, and the refs that reach it.
 */
import type { Finding, Occurrence, ScanStats } from '../types.js';
import { LeakguardError } from '../errors.js';
import { allowedValue, type CompiledRule, type Ruleset } from './compile.js';
import { detectPath, type RawFinding } from './detect.js';
import { fingerprint } from './fingerprint.js';
import { countSkip } from './scan.js';
import { ContentPool, type BlobOutcome } from './content-pool.js';
import { objectSizes } from '../sources/catfile.js';
import type { BlobMatch, BlobResult } from './blob-scan.js';
import type { AllowlistSpec, RuleSpec } from './rule-spec.js';
import {
  completenessWarnings, describeCommits, HISTORY_ENV, listRefs, nonCommitRefs, unreachableObjects, walkHistory, type HistoryIndex, type RefInfo,
} from '../sources/history.js';

export interface HistoryOptions {
  /** `A..B`: only what those commits introduced. */
  range?: string;
  /** Also commits and blobs no ref reaches (dropped stashes, deleted branches, amended commits). */
  allObjects?: boolean;
  maxContentBytes: number;
  guardMs?: number;
  baseline?: Set<string>;
  workers?: number;
  /** Rule specs and allowlist as data, for the worker threads to compile. */
  specs: RuleSpec[];
  allow?: AllowlistSpec;
  shallow: boolean;
  /** How history is read: git plumbing (default), or isomorphic-git, which needs no git binary. */
  engine?: 'git' | 'isomorphic';
  onProgress?: (p: { phase: string; commits?: number; blobsDone?: number; blobsTotal?: number; bytesDone?: number }) => void;
}

/** Where a dangling blob's path would be: it has none. */
export const DANGLING_PATH = '(unreachable blob)';
const MAX_REFS_LISTED = 50;

export async function readHistory(
  cwd: string,
  opts: Pick<HistoryOptions, 'range' | 'allObjects' | 'shallow'>,
  onBlob?: (oid: string, path: string, commits: number) => void,
): Promise<{ index: HistoryIndex; partial: boolean }> {
  // the two questions to git run at once: start-up time is on the pre-walk critical path
  const completeness = completenessWarnings(cwd, opts.shallow);
  completeness.catch(() => undefined); // awaited below; a walk that fails first must not leave it unhandled
  const warnings: string[] = [];
  let index: HistoryIndex;
  if (opts.range) {
    // several revisions separated by spaces (`tip ^known ...`, what the pre-push hook passes) are one range
    const revs = opts.range.trim().split(/\s+/);
    if (revs.some((r) => r.startsWith('-'))) throw new LeakguardError(`invalid revision range: ${opts.range}`);
    index = await walkHistory(cwd, { args: revs }, onBlob);
  } else {
    const listed = await listRefs(cwd);
    let revs = [...new Set(listed.map((r) => r.commit))];
    let unreachableBlobs: string[] = [];
    if (opts.allObjects) {
      const extra = await unreachableObjects(cwd);
      revs = [...new Set([...revs, ...extra.commits])];
      unreachableBlobs = extra.blobs;
    }
    index = revs.length ? await walkHistory(cwd, { stdin: revs }, onBlob) : emptyIndex();
    const { refs, warnings: refWarnings } = await nonCommitRefs(cwd, index, listed);
    warnings.push(...refWarnings);
    index.refs = refs;
    if (opts.allObjects) index.dangling = unreachableBlobs.filter((b) => !index.blobs.has(b));
  }
  const { warnings: incomplete, partial } = await completeness;
  index.warnings.unshift(...incomplete, ...warnings);
  return { index, partial };
}

function emptyIndex(): HistoryIndex {
  return { commits: [], commitIndex: new Map(), paths: [], blobs: new Map(), gitlinks: new Set(), refs: [], dangling: [], warnings: [] };
}

interface Group {
  rule: CompiledRule;
  kind: Finding['kind'];
  secret?: string;
  description: string;
  /** [commit, path, blob] per occurrence; commit -1 for a dangling blob */
  occ: { commit: number; path: string; blob: string; line?: number; column?: number }[];
}

/** LEAKGUARD_TIMING=1 prints how long each phase took, for diagnosing a slow scan. */
function timer(): (phase: string) => void {
  if (!process.env.LEAKGUARD_TIMING) return () => undefined;
  let last = performance.now();
  return (phase) => {
    const now = performance.now();
    process.stderr.write(`leakguard timing: ${phase} ${(now - last).toFixed(0)} ms (at ${now.toFixed(0)} ms)\n`);
    last = now;
  };
}

/** What a history reader hands to attribution: the walk, sizes, and the content results. */
export interface Gathered {
  index: HistoryIndex;
  partial: boolean;
  sizes: Map<string, number>;
  outcomes: BlobOutcome[];
  missing: string[];
  /** Blobs whose content went through the content rules. */
  scanned: number;
  counters: { chunks: number; reused: number; hashed: number; bytesMatched: number };
}

/**
 * The git engine: git log, cat-file and worker threads, all streaming at once. Blob sizes come with
 * the contents (each answer's header), so there is no separate sizing pass; only without content
 * rules is a `--batch-check` asked for sizes alone.
 */
async function gatherWithGit(
  cwd: string, ruleset: Ruleset, opts: HistoryOptions, lap: (p: string) => void,
  onWalked: (index: HistoryIndex) => void,
): Promise<Gathered> {
  // The walk is asked for first: listing refs and starting git log is the path before any blob
  // flows, and starting the threads costs this thread time. The walk feeds each new blob straight
  // to the threads, so git log, cat-file and the content rules all run at once.
  let commitsSeen = 0;
  let feed = (_oid: string, _path: string): void => undefined;
  const history = readHistory(cwd, opts, (oid, path, commits) => {
    commitsSeen = commits;
    feed(oid, path);
  });
  history.catch(() => undefined); // awaited below
  // no content rule, or no content allowed (max_content_size 0): sizes are all there is to read
  if (!ruleset.contentRules.length || opts.maxContentBytes <= 0) return sizesOnly(cwd, history, lap, onWalked);
  let done = 0;
  let bytesDone = 0;
  const pool = new ContentPool(cwd, ruleset, { specs: opts.specs, allow: opts.allow, guardMs: opts.guardMs ?? 2000, maxContentBytes: opts.maxContentBytes },
    opts.workers, (count, bytes) => {
      done += count;
      bytesDone += bytes;
      opts.onProgress?.({ phase: 'scanning blobs', commits: commitsSeen, blobsDone: done, blobsTotal: pool.added, bytesDone });
    });
  feed = (oid, path) => pool.add(oid, path);
  try {
    const { index, partial } = await history;
    commitsSeen = index.commits.length;
    lap(`history walk (${index.commits.length} commits, ${index.blobs.size} blobs)`);
    for (const oid of index.dangling) pool.add(oid, DANGLING_PATH);
    onWalked(index);
    const { outcomes, counters } = await pool.finish();
    return { index, partial, sizes: pool.sizes, outcomes, missing: pool.missing, scanned: pool.added, counters };
  } catch (e) {
    await pool.abort();
    throw e;
  }
}

/** Sizes alone, for path and size rules: one `--batch-check`. */
async function sizesOnly(
  cwd: string, history: ReturnType<typeof readHistory>, lap: (p: string) => void, onWalked: (index: HistoryIndex) => void,
): Promise<Gathered> {
  const { index, partial } = await history;
  onWalked(index);
  const oids = [...index.blobs.keys(), ...index.dangling];
  const sizes = await objectSizes(cwd, oids, HISTORY_ENV);
  lap('blob sizes');
  const missing = oids.filter((oid) => !sizes.has(oid));
  return { index, partial, sizes, outcomes: [], missing, scanned: 0, counters: { chunks: 0, reused: 0, hashed: 0, bytesMatched: 0 } };
}

export async function scanHistory(cwd: string, ruleset: Ruleset, opts: HistoryOptions, stats: ScanStats): Promise<Finding[]> {
  const started = Date.now();
  const lap = timer();
  opts.onProgress?.({ phase: 'reading history' });
  // path rules need only the walk: they run while the threads still scan
  let pathPass: Promise<Map<string, Group>> | undefined;
  const onWalked = (index: HistoryIndex) => {
    pathPass = pathRuleGroups(index, ruleset, opts.baseline, stats);
    pathPass.catch(() => undefined); // awaited below; a failed content scan must not leave it unhandled
  };
  const g = opts.engine === 'isomorphic'
    ? await (await import('../sources/isomorphic.js')).gatherWithIsomorphic(cwd, ruleset, opts, lap)
    : await gatherWithGit(cwd, ruleset, opts, lap, onWalked);
  const { index, partial, sizes, outcomes, missing, counters } = g;
  stats.warnings.push(...index.warnings);
  stats.commits = index.commits.length;
  stats.blobs = index.blobs.size + index.dangling.length;
  // Threads answer in whatever order they finish: counts and examples are taken in the order the
  // walk met the blobs, so the report is the same from run to run.
  const walked = [...index.blobs.keys(), ...index.dangling];
  for (const oid of walked) {
    const size = sizes.get(oid);
    if (size === undefined) continue;
    stats.files++;
    if (size > opts.maxContentBytes) countSkip(stats, pathOf(index, oid), 'too-large');
    else if (ruleset.contentRules.length) stats.bytesScanned += size;
  }
  let rank: Map<string, number> | undefined; // built only if there are two or more to order
  const byWalk = (a: string, b: string) => {
    rank ??= new Map(walked.map((oid, i) => [oid, i]));
    return rank.get(a)! - rank.get(b)!;
  };
  missing.sort(byWalk);
  for (const oid of missing) countSkip(stats, pathOf(index, oid), 'missing');
  if (index.gitlinks.size) {
    for (const p of index.gitlinks) countSkip(stats, p, 'submodule');
    stats.warnings.push(`${index.gitlinks.size} submodule path(s) were not entered; scan those repositories on their own`);
  }
  lap(`content (${counters.chunks} chunks, ${counters.reused} reused, ${counters.hashed} hashed, ${(counters.bytesMatched / 1e6).toFixed(0)} MB matched)`);
  stats.chunks = counters.chunks;
  stats.chunksReused = counters.reused;
  const results = new Map<string, BlobResult>();
  const unreadable: { oid: string; error: string }[] = [];
  for (const o of outcomes) {
    if ('error' in o) unreadable.push(o);
    else results.set(o.oid, o);
  }
  unreadable.sort((a, b) => byWalk(a.oid, b.oid));
  stats.contentScanned = g.scanned - unreadable.length;
  let lfs = 0;
  for (const oid of results.size ? walked : []) {
    const r = results.get(oid);
    if (!r) continue;
    const where = pathOf(index, r.oid);
    if (r.binary) countSkip(stats, where, 'binary');
    if (r.lfs) lfs++;
    for (const id of r.timeouts ?? []) {
      countSkip(stats, where, 'timeout');
      stats.warnings.push(`rule '${id}' exceeded its time limit on ${where} (its regex backtracks); it was switched off for the rest of the scan`);
    }
  }
  if (lfs) stats.warnings.push(`${lfs} Git LFS pointer(s): their objects live in LFS storage, and only the pointers were scanned`);
  for (const u of unreadable) countSkip(stats, pathOf(index, u.oid), 'missing');

  const groups = await (pathPass ?? pathRuleGroups(index, ruleset, opts.baseline, stats));
  sizeRuleGroups(groups, index, sizes, ruleset, opts.baseline, stats);
  lap('path and size rules');
  // an artifact stored in LFS is where the artifact rules want it
  for (const [key, g] of groups) {
    if (!g.rule.spec.tags?.includes('artifact')) continue;
    g.occ = g.occ.filter((o) => !results.get(o.blob)?.lfs);
    if (!g.occ.length) groups.delete(key);
  }
  const groupOf = (key: string, make: () => Group) => {
    let g = groups.get(key);
    if (!g) { g = make(); groups.set(key, g); }
    return g;
  };
  // content rules: a blob's matches hold at every {commit, path} the blob occurs at
  const ruleById = new Map(ruleset.rules.map((r) => [r.id, r]));
  for (const r of results.values()) {
    if (!r.matches.length) continue;
    const occ = index.blobs.get(r.oid);
    const places: [number, string][] = occ
      ? Array.from({ length: occ.length / 2 }, (_, k) => [occ[2 * k]!, index.paths[occ[2 * k + 1]!]!] as [number, string])
      : [[-1, DANGLING_PATH]];
    for (const m of r.matches) {
      const rule = ruleById.get(m.ruleId)!;
      if (m.inlineAllowed) { stats.suppressed.inline++; continue; }
      if (allowedValue(ruleset.globalAllow, m.secret)) { stats.suppressed.allowlist++; continue; }
      for (const [commit, path] of places) {
        if (path !== DANGLING_PATH && rule.matchPath && !rule.matchPath(path)) continue;
        if (ruleset.globalAllow.paths?.(path) || rule.allow.paths?.(path)) { stats.suppressed.allowlist++; continue; }
        if (opts.baseline?.has(fingerprint(rule.id, path, m.secret))) { stats.suppressed.baseline++; continue; }
        const g = groupOf(`${rule.id}\0${m.secret}`, () => ({ rule, kind: 'content', secret: m.secret, description: m.description, occ: [] }));
        g.occ.push({ commit, path, blob: r.oid, line: m.line, column: m.column });
      }
    }
  }

  const reach = new RefReach(index);
  for (const g of groups.values()) orderOccurrences(g, index, reach);
  await describeFirsts(cwd, index, [...groups.values()].map((g) => g.occ[0]!.commit));
  const findings = [...groups.values()].map((g) => toFinding(g, index, reach, results, sizes));
  findings.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : (a.line ?? 0) - (b.line ?? 0)));
  lap('attribution');
  stats.durationMs += Date.now() - started;

  if (unreadable.length && !partial) {
    const first = unreadable[0]!;
    throw new IncompleteScan(findings, `${unreadable.length} object(s) could not be read (first: ${first.oid} at ${pathOf(index, first.oid)}: ${first.error}); the repository may be corrupt (git fsck)`);
  }
  if (missing.length && !partial) {
    throw new IncompleteScan(findings, `${missing.length} blob(s) are missing from the object store (first: ${missing[0]} at ${pathOf(index, missing[0]!)}); the repository may be corrupt (git fsck)`);
  }
  return findings;
}

/**
 * Path rules over every path that ever existed: findings grouped by rule and path. It yields to
 * the event loop now and then, since it runs while the threads scan and they wait on this thread
 * for their next batch.
 */
async function pathRuleGroups(
  index: HistoryIndex, ruleset: Ruleset, baseline: Set<string> | undefined, stats: ScanStats,
): Promise<Map<string, Group>> {
  const groups = new Map<string, Group>();
  const pathMemo = new Map<number, RawFinding[]>();
  let sinceYield = 0;
  for (const [oid, occ] of index.blobs) {
    if (++sinceYield === 1000) { sinceYield = 0; await new Promise((r) => setImmediate(r)); }
    for (let i = 0; i < occ.length; i += 2) {
      const pid = occ[i + 1]!;
      let raws = pathMemo.get(pid);
      if (!raws) {
        raws = detectPath(ruleset, index.paths[pid]!, 0).filter((r) => r.kind === 'path');
        pathMemo.set(pid, raws);
      }
      if (raws.length) addToGroups(groups, raws, occ[i]!, index.paths[pid]!, oid, ruleset, baseline, stats);
    }
  }
  return groups;
}

/**
 * Size rules, once the sizes are in (they come with the contents): only a blob at least as large
 * as the smallest `min_size` can fire one, and those are few.
 */
function sizeRuleGroups(
  groups: Map<string, Group>, index: HistoryIndex, sizes: Map<string, number>, ruleset: Ruleset,
  baseline: Set<string> | undefined, stats: ScanStats,
): void {
  const floor = Math.min(...ruleset.pathRules.filter((r) => r.kind === 'size').map((r) => r.minSize ?? 0));
  for (const [oid, size] of sizes) {
    if (size < floor) continue;
    const occ = index.blobs.get(oid);
    if (!occ) continue; // a dangling blob has no path
    for (let i = 0; i < occ.length; i += 2) {
      const path = index.paths[occ[i + 1]!]!;
      const raws = detectPath(ruleset, path, size).filter((r) => r.kind === 'size');
      if (raws.length) addToGroups(groups, raws, occ[i]!, path, oid, ruleset, baseline, stats);
    }
  }
}

function addToGroups(
  groups: Map<string, Group>, raws: RawFinding[], commit: number, path: string, oid: string, ruleset: Ruleset,
  baseline: Set<string> | undefined, stats: ScanStats,
): void {
  if (ruleset.globalAllow.paths?.(path)) return;
  for (const r of raws) {
    if (baseline?.has(fingerprint(r.rule.id, path))) { stats.suppressed.baseline++; continue; }
    const key = `${r.rule.id}\0${path}`;
    let g = groups.get(key);
    if (!g) { g = { rule: r.rule, kind: r.kind, description: r.description, occ: [] }; groups.set(key, g); }
    g.occ.push({ commit, path, blob: oid });
  }
}

/** Raised after a scan that could not read everything: the findings are real, the all-clear is not. */
export class IncompleteScan extends LeakguardError {
  /** Filled in by the API: the report to print before the error. */
  report?: import('../types.js').ScanReport & { ruleset: Ruleset };
  constructor(readonly findings: Finding[], message: string) {
    super(`scan incomplete: ${message}`);
  }
}

function pathOf(index: HistoryIndex, oid: string): string {
  const occ = index.blobs.get(oid);
  return occ ? index.paths[occ[1]!]! : DANGLING_PATH;
}

/**
 * Oldest first; among equal timestamps an ancestor comes before its descendants, whatever order
 * the walk met them in, so both engines name the same first commit.
 */
function orderOccurrences(g: Group, index: HistoryIndex, reach: RefReach): void {
  const time = (c: number) => (c < 0 ? Number.MAX_SAFE_INTEGER : index.commits[c]!.time);
  const oid = (c: number) => (c < 0 ? '' : index.commits[c]!.oid);
  g.occ.sort((a, b) => time(a.commit) - time(b.commit) || reach.generation(a.commit) - reach.generation(b.commit)
    || (oid(a.commit) < oid(b.commit) ? -1 : oid(a.commit) > oid(b.commit) ? 1 : 0) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Author, date and subject of the commits that findings name first, where the walk did not read them. */
async function describeFirsts(cwd: string, index: HistoryIndex, firsts: number[]): Promise<void> {
  const todo = [...new Set(firsts)].filter((c) => c >= 0 && !index.commits[c]!.about).map((c) => index.commits[c]!);
  if (!todo.length) return;
  const about = await describeCommits(cwd, todo.map((c) => c.oid));
  for (const c of todo) c.about = about.get(c.oid);
}

/** One finding from a group whose occurrences are in order (see `orderOccurrences`). */
function toFinding(
  g: Group, index: HistoryIndex, reach: RefReach, results: Map<string, BlobResult>, sizes: Map<string, number>,
): Finding {
  const first = g.occ[0]!;
  const c = first.commit >= 0 ? index.commits[first.commit] : undefined;
  const f: Finding = {
    ruleId: g.rule.id, kind: g.kind, path: first.path,
    fingerprint: fingerprint(g.rule.id, first.path, g.secret),
    description: g.description, severity: g.rule.severity,
  };
  if (g.kind === 'content') { f.line = first.line; f.column = first.column; f.secret = g.secret; }
  // the largest version among the occurrences that fired the rule
  if (g.kind === 'size') f.size = g.occ.reduce((m, o) => Math.max(m, sizes.get(o.blob) ?? 0), 0);
  f.blobId = first.blob;
  if (results.get(first.blob)?.lfs) f.lfs = true;
  if (c) { f.commit = c.oid; f.author = c.about?.author; f.date = c.about?.date; f.subject = c.about?.subject; }
  const seen = new Set<string>();
  const occurrences: Occurrence[] = [];
  for (const o of g.occ) {
    const commit = o.commit >= 0 ? index.commits[o.commit]!.oid : undefined;
    const key = `${commit}\0${o.path}`;
    if (seen.has(key)) continue;
    seen.add(key);
    occurrences.push({ commit, path: o.path, blobId: o.blob, fingerprint: fingerprint(g.rule.id, o.path, g.secret) });
  }
  f.occurrences = occurrences;
  const refs = reach.refsReaching(g.occ.map((o) => o.commit).filter((x) => x >= 0));
  f.refs = refs.slice(0, MAX_REFS_LISTED);
  if (refs.length > MAX_REFS_LISTED) f.refsTotal = refs.length;
  return f;
}

/** Which refs reach a set of commits: a walk from those commits towards their descendants. */
class RefReach {
  private children: number[][] | undefined;
  private tips = new Map<number, string[]>();
  constructor(private readonly index: HistoryIndex) {
    for (const r of index.refs) {
      const c = index.commitIndex.get(r.commit);
      if (c === undefined) continue;
      const list = this.tips.get(c) ?? [];
      list.push(r.name);
      this.tips.set(c, list);
    }
  }
  private build(): number[][] {
    const ch: number[][] = Array.from({ length: this.index.commits.length }, () => []);
    this.index.commits.forEach((c, i) => {
      for (const p of c.parents) {
        const pi = this.index.commitIndex.get(p);
        if (pi !== undefined) ch[pi]!.push(i);
      }
    });
    return ch;
  }
  private generations: Int32Array | undefined;

  /** Length of the longest parent chain below a commit: an ancestor always has a smaller one. */
  generation(c: number): number {
    if (c < 0) return Number.MAX_SAFE_INTEGER;
    if (!this.generations) {
      const n = this.index.commits.length;
      const gen = new Int32Array(n).fill(-1);
      const parentIdx = (i: number) => this.index.commits[i]!.parents.map((p) => this.index.commitIndex.get(p)).filter((x): x is number => x !== undefined);
      for (let start = 0; start < n; start++) {
        if (gen[start]! >= 0) continue;
        const stack = [start];
        while (stack.length) {
          const top = stack[stack.length - 1]!;
          const ps = parentIdx(top);
          const todo = ps.filter((p) => gen[p]! < 0);
          if (todo.length) { stack.push(...todo); continue; }
          stack.pop();
          if (gen[top]! < 0) gen[top] = ps.length ? Math.max(...ps.map((p) => gen[p]!)) + 1 : 0;
        }
      }
      this.generations = gen;
    }
    return this.generations[c]!;
  }

  refsReaching(commits: number[]): string[] {
    if (!this.tips.size || !commits.length) return [];
    const children = (this.children ??= this.build());
    const seen = new Uint8Array(this.index.commits.length);
    const stack = [...new Set(commits)];
    const refs = new Set<string>();
    for (const c of stack) seen[c] = 1;
    while (stack.length) {
      const c = stack.pop()!;
      for (const name of this.tips.get(c) ?? []) refs.add(name);
      for (const k of children[c]!) if (!seen[k]) { seen[k] = 1; stack.push(k); }
    }
    return [...refs].sort();
  }
}

export type { RefInfo, BlobOutcome, BlobMatch };
