/**
 * The history scan: metadata first (one `git log --raw` pass), then each unique blob's content
 * once (its size read from the same answer), then attribution: every finding carries the commit
 * that first introduced it, every {commit, path} it occurs at, and the refs that reach it.
 */
import type { Finding, ScanStats } from '../types.js';
import { MESSAGE_PATHS } from '../types.js';
import { readFileSync } from 'node:fs';
import { LeakguardError } from '../errors.js';
import type { CompiledRule, Ruleset } from './compile.js';
import { detectPath } from './detect.js';
import { countSkip, timeoutWarning } from './scan.js';
import { IncompleteScan } from './incomplete.js';
import { ContentPool, type BlobOutcome } from './content-pool.js';
import { BlobScanner, matchCount, matchesOf, spotsOf, type BlobMatch, type BlobResult } from './blob-scan.js';
import { FindingsStage, type Place } from './findings.js';
import { BlobSizes } from './blob-sizes.js';
import { CommitAttribution, RefReach } from './attribution.js';
import { batchCheck, objectSizes } from '../sources/catfile.js';
import { commitMessages, tagMessages, type TagMessage } from '../sources/messages.js';
import {
  mergeWalk,
  ScanCache,
  verdict,
  verdictSize,
  Verdicts,
  type BlobVerdict,
  type CachedWalk,
  type MatchSpot,
} from './scan-cache.js';
import type { AllowlistSpec, RuleSpec } from './rule-spec.js';
import type { ReadLimits } from './archive-scan.js';
import {
  completenessWarnings,
  describeCommits,
  emptyIndex,
  HISTORY_ENV,
  listRefs,
  nonCommitRefs,
  unreachableObjects,
  walkHistory,
  type HistoryIndex,
  type RefInfo,
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
  /** One content lane on the calling thread (see ScanOptions.scanOnCallingThread). */
  scanOnCallingThread?: boolean;
  /** Rule specs and allowlist as data, for the worker threads to compile. */
  specs: RuleSpec[];
  allow?: AllowlistSpec;
  shallow: boolean;
  /** How history is read: git plumbing (default), or isomorphic-git, which needs no git binary. */
  engine?: 'git' | 'isomorphic';
  /** The scan cache's directory (git engine only); undefined: no cache. */
  cacheDir?: string;
  /** Limits archive members are read under; undefined: archives are not entered. */
  archives?: ReadLimits;
  onProgress?: (p: {
    phase: string;
    commits?: number;
    blobsDone?: number;
    blobsTotal?: number;
    bytesDone?: number;
  }) => void;
}

/** Where a dangling blob's path would be: it has none. */
export const DANGLING_PATH = '(unreachable blob)';

/** What a history reader learnt: the walk, and what a scan cache needs to record it. */
export interface ReadHistory {
  index: HistoryIndex;
  partial: boolean;
  tags: TagMessage[];
  /** The revisions walked (every ref's commit, and with --all-objects unreachable ones); none for a range. */
  revs: string[];
  /** Set when the walk came from the cache: commits (indexes) whose messages must be read again. */
  cachedMessageHits?: Set<number>;
  /** How many commits the cached walk held (0: none). */
  cachedCommits: number;
}

/**
 * Reads the walk. With a cached walk (a full history scan only), git is asked only for commits
 * new since it, and nothing at all when every ref's commit is already in it; when the refs no
 * longer reach every cached commit (rewritten history), everything is walked as without a cache.
 * `onBlob` and `onMessage` see what git walks; with a cached walk they see nothing, and the caller
 * takes blobs and messages from the merged index.
 */
export async function readHistory(
  cwd: string,
  opts: Pick<HistoryOptions, 'range' | 'allObjects' | 'shallow'>,
  onBlob?: (oid: string, path: string, commits: number, blob: number) => Promise<void> | void,
  onMessage?: (commit: number, text: Buffer) => void,
  loadWalk?: () => CachedWalk | undefined,
): Promise<ReadHistory> {
  // the questions to git run at once: start-up time is on the pre-walk critical path
  const completeness = completenessWarnings(cwd, opts.shallow);
  completeness.catch(() => undefined); // awaited below; a walk that fails first must not leave it unhandled
  const warnings: string[] = [];
  let index: HistoryIndex;
  let tagged: TagMessage[];
  let revs: string[] = [];
  let cachedMessageHits: Set<number> | undefined;
  let cachedCommits = 0;
  if (opts.range) {
    // several revisions separated by spaces (`tip ^known ...`, what the pre-push hook passes) are one range
    const rangeRevs = opts.range.trim().split(/\s+/);
    if (rangeRevs.some((r) => r.startsWith('-'))) throw new LeakguardError(`invalid revision range: ${opts.range}`);
    const tags = tagMessages(cwd);
    tags.catch(() => undefined); // awaited below
    index = await walkHistory(cwd, { args: rangeRevs }, onBlob, onMessage);
    // a range carries the messages of the annotated tags that name one of its commits
    tagged = (await tags).filter((t) => t.target !== undefined && index.findCommit(t.target) >= 0);
  } else {
    const listed = await listRefs(cwd);
    revs = [...new Set(listed.map((r) => r.commit))];
    let unreachableBlobs: string[] = [];
    let unreachableTags: string[] = [];
    if (opts.allObjects) {
      const extra = await unreachableObjects(cwd);
      revs = [...new Set([...revs, ...extra.commits])];
      unreachableBlobs = extra.blobs;
      unreachableTags = extra.tags;
    }
    const tags = tagMessages(cwd, unreachableTags);
    tags.catch(() => undefined); // awaited below
    // read while git answers the questions above
    const cachedWalk = loadWalk?.();
    let merged: ReturnType<typeof mergeWalk>;
    if (cachedWalk) {
      const known = cachedWalk.index;
      const fresh = revs.filter((r) => known.findCommit(r) < 0);
      // the new commits' messages are held until the walk is known to be usable: new commits come
      // first in the merged index, so their indexes stay the same
      const newMessages: { commit: number; text: Buffer }[] = [];
      const walked = fresh.length
        ? await walkHistory(
            cwd,
            { stdin: [...fresh, ...(await existingTips(cwd, cachedWalk.tips, revs)).map((t) => `^${t}`)] },
            undefined,
            onMessage && ((commit, text) => newMessages.push({ commit, text: Buffer.from(text) })),
          )
        : emptyIndex();
      merged = mergeWalk(cachedWalk, walked, revs);
      if (merged) for (const m of newMessages) onMessage?.(m.commit, m.text);
    }
    cachedCommits = cachedWalk?.index.commitCount ?? 0;
    if (merged) {
      index = merged.index;
      cachedMessageHits = merged.messageHits;
    } else {
      index = revs.length ? await walkHistory(cwd, { stdin: revs }, onBlob, onMessage) : emptyIndex();
    }
    tagged = await tags;
    const { refs, warnings: refWarnings } = await nonCommitRefs(cwd, index, listed);
    warnings.push(...refWarnings);
    index.refs = refs;
    if (opts.allObjects) index.dangling = unreachableBlobs.filter((b) => index.findBlob(b) < 0);
  }
  const { warnings: incomplete, partial } = await completeness;
  index.warnings.unshift(...incomplete, ...warnings);
  return { index, partial, tags: tagged, revs, cachedMessageHits, cachedCommits };
}

/**
 * The cached tips git still has: a tip that is no ref's any more may have been pruned (a purge,
 * then gc), and git log refuses a starting point it cannot find. Tips that are still refs exist.
 */
async function existingTips(cwd: string, tips: string[], revs: string[]): Promise<string[]> {
  const current = new Set(revs);
  const ask = tips.filter((t) => !current.has(t));
  if (!ask.length) return tips;
  const types = new Map(await batchCheck(cwd, 'objecttype', { input: `${ask.join('\n')}\n`, env: HISTORY_ENV }));
  return tips.filter((t) => current.has(t) || types.get(t) === 'commit');
}

/** The process's peak resident memory so far, where the system tells it (Linux). */
function peakRss(): string {
  try {
    const hwm = /VmHWM:\s*(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'));
    return hwm ? `, peak ${(Number(hwm[1]) / 1024).toFixed(0)} MB` : '';
  } catch {
    return '';
  }
}

/** LEAKGUARD_TIMING=1 prints how long each phase took and the memory held, for diagnosing a slow scan. */
function timer(): (phase: string) => void {
  if (!process.env.LEAKGUARD_TIMING) return () => undefined;
  let last = performance.now();
  return (phase) => {
    const now = performance.now();
    const mb = (n: number) => (n / 1048576).toFixed(0);
    // with node --expose-gc, the heap figure is what is live, not what waits for a collection
    (globalThis as { gc?: () => void }).gc?.();
    const { rss, heapUsed, arrayBuffers } = process.memoryUsage();
    // the history index lives mostly in typed arrays, which V8 counts apart from its heap
    process.stderr.write(
      `leakguard timing: ${phase} ${(now - last).toFixed(0)} ms (at ${now.toFixed(0)} ms; rss ${mb(rss)} MB, heap ${mb(heapUsed)} MB, buffers ${mb(arrayBuffers)} MB${peakRss()})\n`,
    );
    last = now;
  };
}

/**
 * Commit and tag messages are matched on this thread as the walk hands them over: they are small,
 * and almost none holds a keyword. Only messages with matches are kept.
 */
class MessageMatcher {
  private readonly scanner: BlobScanner | undefined;
  readonly commits: { commit: number; matches: BlobMatch[] }[] = [];
  readonly tags: { tag: TagMessage; matches: BlobMatch[] }[] = [];
  readonly timeouts: { where: string; ruleId: string }[] = [];
  /** Secrets of candidates settled in the scanner (see `PackedMatches`): for redaction only. */
  readonly otherSecrets: string[] = [];

  constructor(ruleset: Ruleset, guardMs: number) {
    // the byte filter, as for blobs: tens of thousands of messages keep it optimised, and a message
    // without a keyword is then passed over without being decoded
    if (ruleset.contentRules.length) this.scanner = new BlobScanner(ruleset, guardMs);
  }

  private match(key: string, text: Buffer, where: string): BlobMatch[] {
    const r = this.scanner!.scan(key, text);
    for (const ruleId of r.timeouts ?? []) this.timeouts.push({ where, ruleId });
    for (const s of r.packed?.otherSecrets ?? []) this.otherSecrets.push(s);
    return matchesOf(r);
  }

  commit(commit: number, text: Buffer): void {
    if (!this.scanner || !text.length) return;
    const matches = this.match('', text, MESSAGE_PATHS['commit-message']);
    if (matches.length) this.commits.push({ commit, matches });
  }

  tag(tag: TagMessage): void {
    if (!this.scanner || !tag.text.length) return;
    const matches = this.match(tag.oid, tag.text, MESSAGE_PATHS['tag-message']);
    if (matches.length) this.tags.push({ tag, matches });
  }
}

/** What a history reader hands to the findings stage: the walk, sizes, and the content results. */
interface Gathered {
  index: HistoryIndex;
  partial: boolean;
  sizes: BlobSizes;
  outcomes: BlobOutcome[];
  missing: string[];
  messages: MessageMatcher;
  counters: { chunks: number; reused: number; hashed: number; bytesMatched: number };
  /** Sizes of the blobs read in this scan (not answered by the cache). */
  readSizes: Iterable<[string, number]>;
  /** For the scan cache: the revisions walked, whether the walk came from it, and how many commits it held. */
  revs: string[];
  walkReused: boolean;
  cachedCommits: number;
}

const NO_COUNTERS = () => ({ chunks: 0, reused: 0, hashed: 0, bytesMatched: 0 });

/** Fewer blobs than this to read after a cached walk are read on this thread: starting threads would cost more. */
const FEW_BLOBS = 2000;

/**
 * The git engine: git log, cat-file and worker threads, all streaming at once. Blob sizes come with
 * the contents (each answer's header), so there is no separate sizing pass; only without content
 * rules is a `--batch-check` asked for sizes alone. With a scan cache, blobs it has a verdict for
 * are not read (those with matches excepted: their findings are rebuilt from a fresh read), and a
 * cached walk is extended rather than walked again.
 */
async function gatherWithGit(
  cwd: string,
  ruleset: Ruleset,
  opts: HistoryOptions,
  lap: (p: string) => void,
  onWalked: (index: HistoryIndex) => void,
  cache: ScanCache | undefined,
): Promise<Gathered> {
  // without a walk to extend, the threads start at once and blobs stream to them during the walk
  const walkCached = cache !== undefined && !opts.range && cache.hasWalk();
  const loadWalk = walkCached
    ? () => {
        const w = cache.loadWalk();
        lap(`cache read (${w?.index.commitCount ?? 0} commits)`);
        return w;
      }
    : undefined;
  const contentScan = ruleset.contentRules.length > 0 && opts.maxContentBytes > 0;
  // The walk is asked for first: listing refs and starting git log is the path before any blob
  // flows, and starting the threads costs this thread time. The walk feeds each new blob straight
  // to the threads, so git log, cat-file and the content rules all run at once.
  let commitsSeen = 0;
  let done = 0;
  let bytesDone = 0;
  let pool: ContentPool | undefined;
  const newPool = (threads: number | undefined) =>
    new ContentPool(
      cwd,
      ruleset,
      {
        specs: opts.specs,
        allow: opts.allow,
        guardMs: opts.guardMs ?? 2000,
        maxContentBytes: opts.maxContentBytes,
        archives: opts.archives,
      },
      threads,
      (count, bytes) => {
        done += count;
        bytesDone += bytes;
        opts.onProgress?.({
          phase: 'scanning blobs',
          commits: commitsSeen,
          blobsDone: done,
          blobsTotal: pool!.added,
          bytesDone,
        });
      },
      opts.scanOnCallingThread,
    );
  const messages = new MessageMatcher(ruleset, opts.guardMs ?? 2000);
  const history = readHistory(
    cwd,
    opts,
    (oid, path, commits, blob) => {
      commitsSeen = commits;
      if (!contentScan || cache?.verdicts.has(oid)) return;
      // a walk that was to come from the cache but could not: its blobs stream as without one
      (pool ??= newPool(opts.workers)).add(oid, path, blob);
      // the walk waits while the threads' queues are full
      return pool.backlog();
    },
    ruleset.contentRules.length ? (commit, text) => messages.commit(commit, text) : undefined,
    loadWalk,
  );
  history.catch(() => undefined); // awaited below
  // no content rule, or no content allowed (max_content_size 0): sizes are all there is to read
  if (!contentScan) return sizesOnly(cwd, history, messages, lap, onWalked, cache);
  if (!walkCached) pool = newPool(opts.workers);
  try {
    const h = await history;
    const verdicts = cache?.verdicts;
    if (cache) lap(`cache read (${verdicts!.size} blob verdicts)`);
    const { index, partial, tags } = h;
    const walkReused = h.cachedMessageHits !== undefined;
    for (const t of tags) messages.tag(t);
    // the messages the cache says had matches are read while the blobs are
    const rematched = rematchCachedMessages(cwd, index, h.cachedMessageHits, messages);
    rematched.catch(() => undefined); // awaited below
    commitsSeen = index.commitCount;
    lap(`history walk (${index.commitCount} commits, ${index.blobCount} blobs${walkReused ? ', cached' : ''})`);
    // what the cache knows stands; blobs with matches are read again, for their findings need the text
    const sizes = new BlobSizes(index);
    const known: BlobOutcome[] = [];
    const todo: string[] = [];
    const todoPaths: string[] = [];
    const todoBlobs: number[] = [];
    const needsText = textNeeded(ruleset, index);
    const { blobIds } = index;
    /** A blob of the index (`blob` its number), or a dangling one (`blob` -1, `hex` its id). */
    const consider = (blob: number, hex: string | undefined, streamed: boolean) => {
      const v =
        blob >= 0 ? verdicts?.getBinary(blobIds.store, blob * blobIds.bytes, blobIds.bytes) : verdicts?.get(hex!);
      if (typeof v === 'number') {
        sizes.setAt(blob, v); // clean: never read again
        return;
      }
      const oid = hex ?? index.blobOid(blob);
      if (v && !needsText(blob, v)) {
        sizes.set(oid, v.size);
        if (v.binary || v.lfs)
          known.push({
            oid,
            bytes: v.size,
            binary: v.binary,
            lfs: v.lfs,
            matches: [],
            packed: undefined,
            timeouts: undefined,
            archive: undefined,
          });
      } else if (v || !streamed) {
        todo.push(oid);
        todoPaths.push(blob >= 0 ? index.firstPath(blob) : DANGLING_PATH);
        todoBlobs.push(blob);
      }
    };
    for (let b = 0; b < index.blobCount; b++) consider(b, undefined, !walkReused);
    for (const oid of index.dangling) consider(-1, oid, false);
    pool ??= newPool(todo.length > FEW_BLOBS ? opts.workers : 1);
    for (let i = 0; i < todo.length; i++) pool.add(todo[i]!, todoPaths[i]!, todoBlobs[i]!);
    onWalked(index);
    const { outcomes, counters } = await pool.finish();
    await rematched;
    pool.sizes.copyInto(sizes);
    known.push(...outcomes);
    return {
      index,
      partial,
      sizes,
      outcomes: known,
      missing: pool.missing,
      messages,
      counters,
      readSizes: { [Symbol.iterator]: () => pool!.sizes.entries(index) },
      revs: h.revs,
      walkReused,
      cachedCommits: h.cachedCommits,
    };
  } catch (e) {
    await pool?.abort();
    throw e;
  }
}

/**
 * Whether a cached blob must be read again: only when one of its matches can become a finding at
 * one of its places. A match of a path-scoped rule (an `.npmrc` token rule) in a file that never sat
 * at such a path is dropped by the findings stage at every place, so the blob's text is not needed.
 * (What such a blob is not read for: its candidate texts are not among the secrets that redaction
 * looks for in other fields of the report; they are not findings.)
 */
function textNeeded(ruleset: Ruleset, index: HistoryIndex): (blob: number, v: BlobVerdict) => boolean {
  const byId = new Map(ruleset.contentRules.map((r) => [r.id, r]));
  const inScope = new Map<string, boolean>();
  const { occStart, occPairs } = index;
  return (blob, v) => {
    // an archive whose members carry something: its verdict covers them, and they are read again with it
    if (v.archive) return true;
    if (!v.spots.length) return false;
    if (blob < 0) return true; // a dangling blob: every rule is given the benefit of the doubt
    for (const spot of v.spots) {
      const rule = byId.get(spot.ruleId);
      if (!rule) continue;
      if (!rule.matchPath) return true;
      for (let i = occStart[blob]!; i < occStart[blob + 1]!; i++) {
        const pid = occPairs[2 * i + 1]!;
        const key = `${rule.id}\0${pid}`;
        let hit = inScope.get(key);
        if (hit === undefined) {
          hit = rule.matchPath(index.paths[pid]!);
          inScope.set(key, hit);
        }
        if (hit) return true;
      }
    }
    return false;
  };
}

/** Commit messages the cache says had matches: read again and matched, since the cache keeps no text. */
async function rematchCachedMessages(
  cwd: string,
  index: HistoryIndex,
  hits: Set<number> | undefined,
  messages: MessageMatcher,
): Promise<void> {
  if (!hits?.size) return;
  const commits = [...hits];
  const texts = await commitMessages(
    cwd,
    commits.map((c) => index.commitOid(c)),
  );
  for (const c of commits) {
    const text = texts.get(index.commitOid(c));
    if (text) messages.commit(c, text);
  }
}

/** Sizes alone, for path and size rules: one `--batch-check` for the blobs the cache has no size for. */
async function sizesOnly(
  cwd: string,
  history: ReturnType<typeof readHistory>,
  messages: MessageMatcher,
  lap: (p: string) => void,
  onWalked: (index: HistoryIndex) => void,
  cache: ScanCache | undefined,
): Promise<Gathered> {
  const h = await history;
  const verdicts = cache?.verdicts;
  const { index, partial, tags } = h;
  for (const t of tags) messages.tag(t);
  await rematchCachedMessages(cwd, index, h.cachedMessageHits, messages);
  onWalked(index);
  const oids = [...blobOids(index), ...index.dangling];
  const sizes = new BlobSizes(index);
  const ask: string[] = [];
  for (const oid of oids) {
    const v = verdicts?.get(oid);
    if (v !== undefined) sizes.set(oid, verdictSize(v));
    else ask.push(oid);
  }
  const readSizes = await objectSizes(cwd, ask, HISTORY_ENV);
  for (const [oid, size] of readSizes) sizes.set(oid, size);
  lap('blob sizes');
  const missing = ask.filter((oid) => sizes.get(oid) === undefined);
  return {
    index,
    partial,
    sizes,
    outcomes: [],
    missing,
    messages,
    counters: NO_COUNTERS(),
    readSizes,
    revs: h.revs,
    walkReused: h.cachedMessageHits !== undefined,
    cachedCommits: h.cachedCommits,
  };
}

/** The isomorphic-git engine: the reader walks and reads; blobs are scanned here, on this thread. */
async function gatherWithIsomorphic(
  cwd: string,
  ruleset: Ruleset,
  opts: HistoryOptions,
  lap: (p: string) => void,
): Promise<Gathered> {
  const { readIsomorphicHistory } = await import('../sources/isomorphic.js');
  const h = await readIsomorphicHistory(cwd, opts);
  const { index } = h;
  lap(`history walk, isomorphic-git (${index.commitCount} commits, ${index.blobCount} blobs)`);
  const messages = new MessageMatcher(ruleset, opts.guardMs ?? 2000);
  for (const m of h.messages) messages.commit(index.findCommit(m.commit), m.text);
  // as with git: a range carries the messages of the annotated tags that name one of its commits
  for (const t of h.tags)
    if (!opts.range || (t.target !== undefined && index.findCommit(t.target) >= 0)) messages.tag(t);
  const sizes = new BlobSizes(index);
  const readSizes = new Map<string, number>();
  const missing: string[] = [];
  const outcomes: BlobOutcome[] = [];
  const scanner = new BlobScanner(ruleset, opts.guardMs ?? 2000, true, opts.archives);
  for (let b = 0; b < index.blobCount; b++) {
    const oid = index.blobOid(b);
    let blob: Buffer | undefined;
    try {
      blob = await h.readBlob(oid);
    } catch (e) {
      outcomes.push({ oid, error: (e as Error).message });
      continue;
    }
    if (!blob) {
      missing.push(oid);
      continue;
    }
    sizes.setAt(b, blob.length);
    readSizes.set(oid, blob.length);
    if (blob.length > opts.maxContentBytes || !ruleset.contentRules.length) continue;
    outcomes.push(scanner.scan(oid, blob, index.firstPath(b)));
  }
  return {
    index,
    partial: false,
    sizes,
    outcomes,
    missing,
    messages,
    counters: scanner.counters,
    readSizes,
    revs: [],
    walkReused: false,
    cachedCommits: 0,
  };
}

/** A history scan's findings, and every secret it matched (reported or not), for redaction. */
export interface HistoryFindings {
  findings: Finding[];
  secrets: Set<string>;
}

export async function scanHistory(
  cwd: string,
  ruleset: Ruleset,
  opts: HistoryOptions,
  stats: ScanStats,
): Promise<HistoryFindings> {
  const started = Date.now();
  const lap = timer();
  opts.onProgress?.({ phase: 'reading history' });
  const stage = new FindingsStage(ruleset, { baseline: opts.baseline, isLfs: (place) => lfsBlobs.has(place.blob) });
  const lfsBlobs = new Set<string>();
  // path rules need only the walk: they run while the threads still scan
  let pathPass: Promise<void> | undefined;
  let places: PlaceBook | undefined;
  const onWalked = (index: HistoryIndex) => {
    places = new PlaceBook(index);
    pathPass = pathRules(index, places, ruleset, stage);
    pathPass.catch(() => undefined); // awaited below; a failed content scan must not leave it unhandled
  };
  const guardMs = opts.guardMs ?? 2000;
  const cache =
    opts.cacheDir !== undefined && opts.engine !== 'isomorphic'
      ? ScanCache.open(
          opts.cacheDir,
          {
            specs: opts.specs,
            allow: opts.allow,
            maxContentBytes: opts.maxContentBytes,
            guardMs,
            archives: opts.archives,
          },
          `${opts.shallow ? 'shallow' : 'complete'}${opts.allObjects ? '+all-objects' : ''}`,
        )
      : undefined;
  const g =
    opts.engine === 'isomorphic'
      ? await gatherWithIsomorphic(cwd, ruleset, opts, lap)
      : await gatherWithGit(cwd, ruleset, opts, lap, onWalked, cache);
  const { index, partial, sizes, outcomes, missing, counters } = g;
  places ??= new PlaceBook(index);
  stats.warnings.push(...index.warnings);
  stats.commits = index.commitCount;
  stats.blobs = index.blobCount + index.dangling.length;
  lap(
    `content (${counters.chunks} chunks, ${counters.reused} reused, ${counters.hashed} hashed, ${(counters.bytesMatched / 1e6).toFixed(0)} MB matched)`,
  );
  stats.chunks = counters.chunks;
  stats.chunksReused = counters.reused;
  const results = new Map<string, BlobResult>();
  const unreadable = new Map<string, string>();
  for (const o of outcomes) {
    if ('error' in o) unreadable.set(o.oid, o.error);
    else results.set(o.oid, o);
  }
  // Counted in the order the walk met the blobs (threads answer in whatever order they finish),
  // so the report is the same from run to run, and in the work-tree scan's order of questions.
  const missingSet = new Set(missing);
  let lfs = 0;
  const { blobCount } = index;
  /** Blob number `b` of the index, or (from `blobCount` on) a dangling blob. */
  const count = (b: number) => {
    const dangling = b >= blobCount;
    let hex = dangling ? index.dangling[b - blobCount]! : undefined;
    const oid = () => (hex ??= index.blobOid(b));
    // the path is looked up only for the few blobs a skip is counted for
    const where = () => places!.pathOf(oid());
    if ((missingSet.size || unreadable.size) && (missingSet.has(oid()) || unreadable.has(oid()))) {
      countSkip(stats, where(), 'missing');
      return;
    }
    const size = dangling ? sizes.get(oid()) : sizes.at(b);
    if (size === undefined) return;
    stats.files++;
    if (stage.hasPlaceAllowlist && places!.allAllowlisted(oid(), stage)) {
      countSkip(stats, where(), 'allowlisted');
      return;
    }
    if (size > opts.maxContentBytes) {
      countSkip(stats, where(), 'too-large');
      return;
    }
    if (!ruleset.contentRules.length) return;
    const r = results.size ? results.get(oid()) : undefined;
    if (r?.lfs) {
      lfs++;
      lfsBlobs.add(oid());
    }
    if (r?.binary) {
      countSkip(stats, where(), 'binary');
      return;
    }
    stats.contentScanned++;
    stats.bytesScanned += size;
    for (const id of r?.timeouts ?? []) {
      countSkip(stats, where(), 'timeout');
      stats.warnings.push(timeoutWarning(id, where(), opts.guardMs ?? 2000));
    }
  };
  for (let b = 0; b < blobCount + index.dangling.length; b++) count(b);
  for (const t of g.messages.timeouts) {
    countSkip(stats, t.where, 'timeout');
    stats.warnings.push(timeoutWarning(t.ruleId, t.where, opts.guardMs ?? 2000));
  }
  if (lfs)
    stats.warnings.push(
      `${lfs} Git LFS pointer(s): their objects live in LFS storage, and only the pointers were scanned`,
    );
  if (index.gitlinks.size) {
    for (const p of index.gitlinks) countSkip(stats, p, 'submodule');
    stats.warnings.push(
      `${index.gitlinks.size} submodule path(s) were not entered; scan those repositories on their own`,
    );
  }

  const learnt = cache ? verdictsOf(g, results, unreadable) : undefined;
  await (pathPass ?? pathRules(index, places, ruleset, stage));
  sizeRules(index, places, sizes, ruleset, stage);
  lap('path and size rules');
  // content rules: a blob's matches hold at every place the blob appears, each place in scope or not
  for (const r of results.values()) {
    if (r.archive) stage.addArchive(r.archive, places.of(r.oid));
    if (!matchCount(r)) continue;
    stage.addMatches(matchesOf(r), places.of(r.oid), r.packed?.otherSecrets);
    // the stage holds what it needs; a blob with a hundred thousand matches is let go of
    r.matches = [];
    r.packed = undefined;
  }
  stage.addMatches([], [], g.messages.otherSecrets);
  for (const m of g.messages.commits) {
    stage.addMatches(m.matches, [
      {
        commit: m.commit,
        path: MESSAGE_PATHS['commit-message'],
        blob: index.commitOid(m.commit),
        source: 'commit-message',
      },
    ]);
  }
  for (const { tag, matches } of g.messages.tags) {
    const commit = tag.target !== undefined ? index.findCommit(tag.target) : -1;
    stage.addMatches(matches, [
      { commit, path: MESSAGE_PATHS['tag-message'], blob: tag.oid, source: 'tag-message', ref: tag.ref },
    ]);
  }
  lap('findings grouped');
  const findings = await stage.finish(stats, new CommitAttribution(index, (oids) => describeCommits(cwd, oids)));
  lap('attribution');
  if (cache && learnt) {
    const timedOut = g.messages.timeouts.length > 0 || [...results.values()].some((r) => r.timeouts);
    // a rule stopped by its time limit is off for the rest of the scan: what followed is not a verdict
    if (!timedOut) await saveCache(cache, g, learnt, Boolean(opts.range), stats);
    lap('cache written');
  }
  stats.durationMs += Date.now() - started;

  // the first in the order the walk met them
  const walkOrder = (oid: string) => {
    const b = index.findBlob(oid);
    return b >= 0 ? b : blobCount + index.dangling.indexOf(oid);
  };
  const firstUnreadable = [...unreadable].sort((a, b) => walkOrder(a[0]) - walkOrder(b[0]))[0];
  if (firstUnreadable && !partial) {
    throw new IncompleteScan(
      { findings, secrets: stage.secrets },
      `${unreadable.size} object(s) could not be read (first: ${firstUnreadable[0]} at ${places.pathOf(firstUnreadable[0])}: ${firstUnreadable[1]}); the repository may be corrupt (git fsck)`,
    );
  }
  if (missing.length && !partial) {
    const first = [...missing].sort((a, b) => walkOrder(a) - walkOrder(b))[0]!;
    throw new IncompleteScan(
      { findings, secrets: stage.secrets },
      `${missing.length} blob(s) are missing from the object store (first: ${first} at ${places.pathOf(first)}); the repository may be corrupt (git fsck)`,
    );
  }
  return { findings, secrets: stage.secrets };
}

/**
 * Verdicts for the blobs this scan read (those the cache answered are not repeated here); missing
 * and unreadable blobs get none, so they are asked for again next time.
 */
function verdictsOf(g: Gathered, results: Map<string, BlobResult>, unreadable: Map<string, string>): Verdicts {
  const verdicts = new Verdicts();
  for (const [oid, size] of g.readSizes) {
    if (unreadable.has(oid)) continue;
    const r = results.get(oid);
    // matches come packed from the threads (see `PackedMatches`): their spots are read from the columns
    const spots: MatchSpot[] = r && matchCount(r) ? spotsOf(r) : [];
    verdicts.set(oid, verdict(size, r?.binary ?? false, r?.lfs ?? false, spots, r?.archive !== undefined));
  }
  return verdicts;
}

/**
 * Records what this scan learnt, when it learnt anything: new blob verdicts, and (a full history
 * scan) the walk extended by new commits. A cache that cannot be written costs only speed next time.
 */
async function saveCache(
  cache: ScanCache,
  g: Gathered,
  learnt: Verdicts,
  range: boolean,
  stats: ScanStats,
): Promise<void> {
  const known = cache.verdicts;
  let fresh = 0;
  const learntIds = learnt.idStore();
  for (let n = 0; n < learnt.size; n++) if (!known.getBinary(learntIds, n * learnt.idBytes, learnt.idBytes)) fresh++;
  const walkChanged = !range && (!g.walkReused || g.index.commitCount !== g.cachedCommits);
  if (!fresh && !walkChanged) return;
  // a full history scan keeps the verdicts of what it walked (a blob no ref reaches any more goes);
  // a range adds its verdicts to those already kept
  let verdicts = learnt;
  // (with nothing cached before, what this scan learnt is exactly what it walked and read)
  if (!range && known.size) {
    verdicts = new Verdicts();
    const { blobIds } = g.index;
    const bytes = blobIds.bytes;
    for (let b = 0; b < blobIds.count; b++) {
      const at = b * bytes;
      const v = learnt.getBinary(blobIds.store, at, bytes) ?? known.getBinary(blobIds.store, at, bytes);
      if (v !== undefined) verdicts.setBinary(blobIds.store, at, bytes, v);
    }
    for (const oid of g.index.dangling) {
      const v = learnt.get(oid) ?? known.get(oid);
      if (v !== undefined) verdicts.set(oid, v);
    }
  }
  const messageHits = new Set(g.messages.commits.map((m) => m.commit));
  try {
    await cache.save({
      verdicts,
      keepOld: range,
      walk: walkChanged ? { index: g.index, tips: g.revs, messageHits } : undefined,
    });
  } catch (e) {
    stats.warnings.push(
      `the scan cache in ${cache.dir} could not be written (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); the next scan reads everything again`,
    );
  }
}

/**
 * Every place each blob appears: a path in a commit, or, for blobs in the trees of `refs/notes/*`
 * commits, a note. A note is a text about another object, not a file: it gets no path rules and
 * no path-scoped content rules.
 */
class PlaceBook {
  private readonly noteRef = new Map<number, string>();

  constructor(private readonly index: HistoryIndex) {
    const notes = index.refs.filter((r) => r.name.startsWith('refs/notes/'));
    if (!notes.length) return;
    const reach = new RefReach(index);
    for (const r of notes)
      for (const c of reach.reachableFrom((name) => name === r.name))
        if (!this.noteRef.has(c)) this.noteRef.set(c, r.name);
  }

  place(commit: number, pathId: number, blob: string): Place {
    const ref = this.noteRef.get(commit);
    if (ref) return { commit, path: MESSAGE_PATHS.note, blob, source: 'note', ref };
    return { commit, path: this.index.paths[pathId]!, blob };
  }

  of(oid: string): Place[] {
    const b = this.index.findBlob(oid);
    if (b < 0) return [{ commit: -1, path: DANGLING_PATH, blob: oid, anyPath: true }];
    const { occStart, occPairs } = this.index;
    const out: Place[] = [];
    for (let i = occStart[b]!; i < occStart[b + 1]!; i++)
      out.push(this.place(occPairs[2 * i]!, occPairs[2 * i + 1]!, oid));
    return out;
  }

  pathOf(oid: string): string {
    const b = this.index.findBlob(oid);
    if (b < 0) return DANGLING_PATH;
    const at = 2 * this.index.occStart[b]!;
    return this.noteRef.has(this.index.occPairs[at]!)
      ? MESSAGE_PATHS.note
      : this.index.paths[this.index.occPairs[at + 1]!]!;
  }

  /** Whether the global allowlist covers every path the blob appears at (it is then not scanned at all). */
  allAllowlisted(oid: string, stage: FindingsStage): boolean {
    if (!stage.hasPlaceAllowlist) return false;
    const b = this.index.findBlob(oid);
    if (b < 0) return false;
    const { occStart, occPairs } = this.index;
    for (let i = occStart[b]!; i < occStart[b + 1]!; i++) {
      if (this.noteRef.has(occPairs[2 * i]!) || !stage.placeAllowed(this.index.paths[occPairs[2 * i + 1]!]!))
        return false;
    }
    return true;
  }
}

/**
 * Path rules over every path that ever existed. It yields to the event loop now and then, since it
 * runs while the threads scan and they wait on this thread for their next batch.
 */
async function pathRules(
  index: HistoryIndex,
  places: PlaceBook,
  ruleset: Ruleset,
  stage: FindingsStage,
): Promise<void> {
  // path rules depend on the path alone: each path is asked once, and most have none
  const pathMemo: (CompiledRule[] | undefined)[] = new Array(index.paths.length);
  const { occStart, occPairs } = index;
  let sinceYield = 0;
  for (let b = 0; b < index.blobCount; b++) {
    if (++sinceYield === 1000) {
      sinceYield = 0;
      await new Promise((r) => setImmediate(r));
    }
    let oid: string | undefined;
    for (let i = occStart[b]!; i < occStart[b + 1]!; i++) {
      const pid = occPairs[2 * i + 1]!;
      let rules = pathMemo[pid];
      if (!rules) {
        rules = detectPath(ruleset, index.paths[pid]!, 0)
          .filter((r) => r.kind === 'path')
          .map((r) => r.rule);
        pathMemo[pid] = rules;
      }
      if (rules.length) stage.addPathHits(rules, places.place(occPairs[2 * i]!, pid, (oid ??= index.blobOid(b))));
    }
  }
}

/**
 * Size rules, once the sizes are in (they come with the contents): only a blob at least as large
 * as the smallest `min_size` can fire one, and those are few.
 */
function sizeRules(
  index: HistoryIndex,
  places: PlaceBook,
  sizes: BlobSizes,
  ruleset: Ruleset,
  stage: FindingsStage,
): void {
  const floor = Math.min(...ruleset.pathRules.filter((r) => r.kind === 'size').map((r) => r.minSize ?? 0));
  if (floor === Number.POSITIVE_INFINITY) return; // no size rule
  // a dangling blob has no path: only the index's blobs can match
  for (let b = 0; b < index.blobCount; b++) {
    const size = sizes.at(b);
    if (size === undefined || size < floor) continue;
    const oid = index.blobOid(b);
    for (let i = index.occStart[b]!; i < index.occStart[b + 1]!; i++) {
      const pid = index.occPairs[2 * i + 1]!;
      const rules = detectPath(ruleset, index.paths[pid]!, size)
        .filter((r) => r.kind === 'size')
        .map((r) => r.rule);
      if (rules.length) stage.addPathHits(rules, places.place(index.occPairs[2 * i]!, pid, oid), size);
    }
  }
}

/** Every blob's id, in the order the walk met them. */
function blobOids(index: HistoryIndex): string[] {
  const out = new Array<string>(index.blobCount);
  for (let b = 0; b < index.blobCount; b++) out[b] = index.blobOid(b);
  return out;
}

/** Raised after a scan that could not read everything: the findings are real, the all-clear is not. */
export { IncompleteScan };

export type { RefInfo, BlobOutcome, BlobMatch };
