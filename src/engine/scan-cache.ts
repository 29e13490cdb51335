/**
 * The persistent scan cache of history and range scans: what a scan learnt that cannot change.
 *
 * - Blob verdicts (`blobs`), content-addressed: a blob's size, whether it is binary or a Git LFS
 *   pointer, and where content rules matched in it (rule, offsets, line). Never the matched text,
 *   nor a hash of it: a scan re-reads the few blobs with matches to rebuild their findings.
 * - The walk (`walk`): every commit the last full history scan walked, with its parents, time,
 *   whether its message had matches, and the blobs it introduced at which paths. A commit is
 *   immutable, so the next scan asks git only for commits it has not seen (`git log <new tips>
 *   ^<cached tips>`), and reachability and attribution come from the cached graph.
 *
 * Everything is keyed by what changes results: leakguard's version and build, the effective rules
 * and allowlist, the content limit and the time limit of user rules. A file for another key, or one
 * that is truncated or corrupt, reads as absent (cache-file.ts), and the scan reads everything.
 */
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LeakguardError } from '../errors.js';
import type { Commit, HistoryIndex } from '../sources/history.js';
import { addOccurrence, emptyIndex } from '../sources/history.js';
import type { AllowlistSpec, RuleSpec } from './rule-spec.js';
import type { ReadLimits } from './archive-scan.js';
import { nodeCrypto } from './fingerprint.js';
import {
  BadCacheBody,
  BodyReader,
  BodyWriter,
  cacheFileHeadMatches,
  readCacheFile,
  withCacheLock,
  writeCacheFile,
} from './cache-file.js';

declare const __LEAKGUARD_VERSION__: string | undefined;
declare const __LEAKGUARD_BUILD__: string | undefined;

/** The files of a cache directory; `cache clear` removes these and nothing else. */
const WALK_FILE = 'walk.bin';
const BLOBS_FILE = 'blobs.bin';
const OWN_FILE = /^(walk\.bin|blobs\.bin|lock)(\.\d+\.\d+\.tmp)?$/;

/** Where a rule matched in a blob: enough to check a rebuild, never the text itself. */
export interface MatchSpot {
  ruleId: string;
  start: number;
  end: number;
  line: number;
}

export interface BlobVerdict {
  size: number;
  binary: boolean;
  lfs: boolean;
  /** Empty for a blob where no rule matched: it is never read again. */
  spots: MatchSpot[];
  /**
   * An archive with members that carry something (rules that fire, matches) or parts that could
   * not be read: read again by every scan, as a blob with spots is. A clean archive is just its size.
   */
  archive: boolean;
}

/**
 * A verdict as held in memory: a clean text blob (most of them) is just its size, so a history of
 * a million blobs does not hold a million verdict objects.
 */
export type Verdict = number | BlobVerdict;
export type Verdicts = Map<string, Verdict>;

export function verdictSize(v: Verdict): number {
  return typeof v === 'number' ? v : v.size;
}

/** The compact form of a verdict. */
export function verdict(size: number, binary: boolean, lfs: boolean, spots: MatchSpot[], archive = false): Verdict {
  return binary || lfs || archive || spots.length ? { size, binary, lfs, spots, archive } : size;
}

/** The walk as cached: a history index of its own, the revisions it started from, and message hits. */
export interface CachedWalk {
  index: HistoryIndex;
  tips: string[];
  /** Commit indexes (into `index.commits`) whose message had matches: those messages are read again. */
  messageHits: Set<number>;
}

/** What changes a scan's results: a different key never reuses anything. */
export interface CacheKeyParts {
  specs: RuleSpec[];
  allow?: AllowlistSpec;
  maxContentBytes: number;
  guardMs: number;
  /** The archive limits: another limit may read (or stop at) other members. */
  archives?: ReadLimits;
}

/**
 * The build is part of the key, so a new leakguard (or a rebuilt one from changed sources) never
 * trusts verdicts an older matcher gave. Run from source there is no build id: each process then
 * has its own key, and nothing is reused.
 */
let build: string | undefined;
function buildId(): string {
  build ??=
    typeof __LEAKGUARD_BUILD__ === 'string' && typeof __LEAKGUARD_VERSION__ === 'string'
      ? `${__LEAKGUARD_VERSION__}+${__LEAKGUARD_BUILD__}`
      : `source-${nodeCrypto().randomBytes(8).toString('hex')}`;
  return build;
}

export function cacheKey(parts: CacheKeyParts, extra = ''): Buffer {
  return nodeCrypto()
    .createHash('sha256')
    .update(
      JSON.stringify({
        build: buildId(),
        specs: parts.specs,
        allow: parts.allow ?? null,
        maxContentBytes: parts.maxContentBytes,
        guardMs: parts.guardMs,
        archives: parts.archives ?? null,
        extra,
      }),
    )
    .digest();
}

/** Makes the cache directory (private: it holds the repository's paths), or says clearly why not. */
export function ensureCacheDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new LeakguardError(`cannot use cache directory ${dir}: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
  if (!statSync(dir).isDirectory()) throw new LeakguardError(`cannot use cache directory ${dir}: not a directory`);
}

/** Removes the cache's own files from `dir` (never anything else there); returns how many. */
export function clearCache(dir: string): number {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw new LeakguardError(`cannot read cache directory ${dir}: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
  let n = 0;
  for (const name of names) {
    if (!OWN_FILE.test(name)) continue;
    rmSync(join(dir, name), { force: true });
    n++;
  }
  return n;
}

export class ScanCache {
  private decoded: Verdicts | undefined;

  private constructor(
    readonly dir: string,
    private readonly key: Buffer,
    private readonly walkKey: Buffer,
  ) {}

  /**
   * `walkScope` tells walks apart that cover different commits for the same refs: a shallow
   * clone's stops at its boundary (one that deepens must walk again), and --all-objects adds
   * commits no ref reaches.
   */
  static open(dir: string, parts: CacheKeyParts, walkScope: string): ScanCache {
    ensureCacheDir(dir);
    return new ScanCache(dir, cacheKey(parts), cacheKey(parts, walkScope));
  }

  /** Verdicts read from disk (on first use: the scan's git processes start first); empty when unusable. */
  get verdicts(): Verdicts {
    if (this.decoded) return this.decoded;
    const body = readCacheFile(join(this.dir, BLOBS_FILE), 'blobs', this.key);
    this.decoded = new Map();
    if (body) {
      try {
        this.decoded = decodeVerdicts(body);
      } catch (e) {
        if (!(e instanceof BadCacheBody)) throw e;
      }
    }
    return this.decoded;
  }

  /** Whether there is a walk for this key, by its header alone (loadWalk checks it whole). */
  hasWalk(): boolean {
    return cacheFileHeadMatches(join(this.dir, WALK_FILE), 'walk', this.walkKey);
  }

  /** The cached walk, or undefined when there is none for this key (or it is unusable). */
  loadWalk(): CachedWalk | undefined {
    const body = readCacheFile(join(this.dir, WALK_FILE), 'walk', this.walkKey);
    if (!body) return undefined;
    try {
      return decodeWalk(body);
    } catch (e) {
      if (e instanceof BadCacheBody) return undefined;
      throw e;
    }
  }

  /**
   * Writes what this scan learnt. `verdicts` are this scan's; with `keepOld`, verdicts already on
   * disk are kept too (a range scan sees a small part of history). Under the lock, the file is read
   * again, so verdicts another scan wrote meanwhile are kept. False when another scan held the lock.
   */
  async save(update: { walk?: CachedWalk; verdicts: Verdicts; keepOld: boolean }): Promise<boolean> {
    return withCacheLock(this.dir, () => {
      let verdicts = update.verdicts;
      if (update.keepOld) {
        const body = readCacheFile(join(this.dir, BLOBS_FILE), 'blobs', this.key);
        let onDisk: Verdicts | undefined;
        try {
          onDisk = body ? decodeVerdicts(body) : undefined;
        } catch (e) {
          if (!(e instanceof BadCacheBody)) throw e;
        }
        if (onDisk) {
          for (const [oid, v] of update.verdicts) onDisk.set(oid, v);
          verdicts = onDisk;
        }
      }
      writeCacheFile(join(this.dir, BLOBS_FILE), 'blobs', this.key, encodeVerdicts(verdicts));
      if (update.walk) writeCacheFile(join(this.dir, WALK_FILE), 'walk', this.walkKey, encodeWalk(update.walk));
    });
  }
}

function oidBytes(oid: string | undefined): number {
  return oid ? oid.length >> 1 : 20;
}

function encodeVerdicts(verdicts: Verdicts): Buffer {
  const w = new BodyWriter();
  const first = verdicts.keys().next().value as string | undefined;
  const bytes = oidBytes(first);
  w.uint(bytes);
  const ruleIds = new Map<string, number>();
  for (const v of verdicts.values())
    if (typeof v !== 'number') for (const s of v.spots) if (!ruleIds.has(s.ruleId)) ruleIds.set(s.ruleId, ruleIds.size);
  w.uint(ruleIds.size);
  for (const id of ruleIds.keys()) w.str(id);
  // one object format per repository: ids of another length are not kept
  const oids: string[] = [];
  for (const oid of verdicts.keys()) if (oid.length === bytes * 2) oids.push(oid);
  w.uint(oids.length);
  w.hexColumn(oids);
  for (const oid of oids) {
    const v = verdicts.get(oid)!;
    if (typeof v === 'number') {
      w.uint(v);
      w.uint(0);
      w.uint(0);
      continue;
    }
    w.uint(v.size);
    w.uint((v.binary ? 1 : 0) | (v.lfs ? 2 : 0) | (v.archive ? 4 : 0));
    w.uint(v.spots.length);
    for (const s of v.spots) {
      w.uint(ruleIds.get(s.ruleId)!);
      w.uint(s.start);
      w.uint(s.end);
      w.uint(s.line);
    }
  }
  return w.done();
}

function decodeVerdicts(body: Buffer): Verdicts {
  const r = new BodyReader(body);
  const bytes = r.uint();
  if (bytes !== 20 && bytes !== 32) throw new BadCacheBody('unknown object id length');
  const rules: string[] = [];
  for (let n = r.uint(); n > 0; n--) rules.push(r.str());
  const out: Verdicts = new Map();
  const none: MatchSpot[] = [];
  const count = r.uint();
  const ids = r.hexColumn(count, bytes);
  const hexLen = bytes * 2;
  for (let n = 0; n < count; n++) {
    const oid = ids.slice(n * hexLen, (n + 1) * hexLen);
    const size = r.uint();
    const flags = r.below(8);
    const count = r.uint();
    const spots: MatchSpot[] = count ? [] : none;
    for (let i = 0; i < count; i++)
      spots.push({ ruleId: rules[r.below(rules.length)]!, start: r.uint(), end: r.uint(), line: r.uint() });
    out.set(oid, { size, binary: (flags & 1) !== 0, lfs: (flags & 2) !== 0, spots, archive: (flags & 4) !== 0 });
  }
  r.end();
  return out;
}

function encodeWalk(walk: CachedWalk): Buffer {
  const { index } = walk;
  const w = new BodyWriter();
  const bytes = oidBytes(index.commits[0]?.oid ?? walk.tips[0]);
  w.uint(bytes);
  w.uint(walk.tips.length);
  for (const t of walk.tips) w.hex(t);
  w.uint(index.commits.length);
  w.hexColumn(index.commits.map((c) => c.oid));
  for (let i = 0; i < index.commits.length; i++) {
    const c = index.commits[i]!;
    w.int(c.time);
    w.uint(c.parents.length);
    for (const p of c.parents) {
      const pi = index.commitIndex.get(p);
      if (pi !== undefined) w.uint(pi + 1);
      else {
        w.uint(0); // a parent outside the walk (a shallow boundary): kept by id
        w.hex(p);
      }
    }
    w.uint(walk.messageHits.has(i) ? 1 : 0);
  }
  w.uint(index.paths.length);
  for (const p of index.paths) w.str(p);
  w.uint(index.blobs.size);
  w.hexColumn([...index.blobs.keys()]);
  for (const occ of index.blobs.values()) {
    w.uint(occ.length >> 1);
    for (const x of occ) w.uint(x);
  }
  w.uint(index.gitlinks.size);
  for (const g of index.gitlinks) w.str(g);
  return w.done();
}

function decodeWalk(body: Buffer): CachedWalk {
  const r = new BodyReader(body);
  const bytes = r.uint();
  if (bytes !== 20 && bytes !== 32) throw new BadCacheBody('unknown object id length');
  const tips: string[] = [];
  for (let n = r.uint(); n > 0; n--) tips.push(r.hex(bytes));
  const index = emptyIndex();
  const count = r.uint();
  const messageHits = new Set<number>();
  const hexLen = bytes * 2;
  const commitIds = r.hexColumn(count, bytes);
  // parents as indexes first (most are later in the list), ids once every commit is read; a
  // parent outside the walk (-1) has its id kept aside
  const parentStart = new Int32Array(count + 1);
  const parentAt: number[] = [];
  const outside = new Map<number, string>();
  const none: string[] = [];
  for (let i = 0; i < count; i++) {
    const oid = commitIds.slice(i * hexLen, (i + 1) * hexLen);
    const time = r.int();
    parentStart[i] = parentAt.length;
    for (let n = r.uint(); n > 0; n--) {
      const p = r.below(count + 1);
      if (!p) outside.set(parentAt.length, r.hex(bytes));
      parentAt.push(p - 1);
    }
    if (r.below(2)) messageHits.add(i);
    index.commits.push({ oid, parents: none, time } satisfies Commit);
    index.commitIndex.set(oid, i);
  }
  parentStart[count] = parentAt.length;
  for (let i = 0; i < count; i++) {
    const end = parentStart[i + 1]!;
    const start = parentStart[i]!;
    if (start === end) {
      index.commits[i]!.parents = [];
      continue;
    }
    const parents: string[] = [];
    for (let k = start; k < end; k++) {
      const p = parentAt[k]!;
      parents.push(p >= 0 ? index.commits[p]!.oid : outside.get(k)!);
    }
    index.commits[i]!.parents = parents;
  }
  for (let n = r.uint(); n > 0; n--) index.paths.push(r.str());
  const paths = index.paths.length;
  const blobCount = r.uint();
  const blobIds = r.hexColumn(blobCount, bytes);
  for (let n = 0; n < blobCount; n++) {
    const oid = blobIds.slice(n * hexLen, (n + 1) * hexLen);
    const pairs = r.uint();
    const occ: number[] = [];
    for (let i = 0; i < pairs; i++) occ.push(r.below(count), r.below(paths));
    if (!pairs) throw new BadCacheBody('a blob without occurrences');
    index.blobs.set(oid, occ);
  }
  for (let n = r.uint(); n > 0; n--) index.gitlinks.add(r.str());
  r.end();
  return { index, tips, messageHits };
}

/**
 * The history of this scan from the cached walk and the walk of the commits new since (`fresh`,
 * walked with the cached tips excluded): new commits first, as a full walk lists them, then the
 * cached ones in their cached order. Undefined when the refs no longer reach every cached commit
 * (a branch deleted or force-moved, a purge): the caller then walks everything, so the order and
 * contents are exactly a full walk's.
 */
export function mergeWalk(
  cached: CachedWalk,
  fresh: HistoryIndex,
  revs: string[],
): { index: HistoryIndex; messageHits: Set<number> } | undefined {
  const old = cached.index;
  const n = old.commits.length;
  // every cached commit must still be reachable, from a ref that is a cached commit or through a new commit
  const reached = new Uint8Array(n);
  const stack: number[] = [];
  const visit = (oid: string) => {
    const i = old.commitIndex.get(oid);
    if (i !== undefined && !reached[i]) {
      reached[i] = 1;
      stack.push(i);
    }
  };
  for (const oid of revs) visit(oid);
  for (const c of fresh.commits) {
    visit(c.oid);
    for (const p of c.parents) visit(p);
  }
  let count = 0;
  while (stack.length) {
    const i = stack.pop()!;
    count++;
    for (const p of old.commits[i]!.parents) visit(p);
  }
  if (count !== n) return undefined;
  // nothing new: the cached walk is the walk
  if (!fresh.commits.length) return { index: old, messageHits: cached.messageHits };

  const index = emptyIndex();
  const pathIds = new Map<string, number>();
  const messageHits = new Set<number>();
  for (const c of fresh.commits) {
    index.commitIndex.set(c.oid, index.commits.length);
    index.commits.push(c);
  }
  // a cached tip git could not find (pruned) lets the walk list cached commits again: listed once
  const at = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = old.commits[i]!;
    if (index.commitIndex.has(c.oid)) {
      at[i] = -1;
      continue;
    }
    at[i] = index.commits.length;
    if (cached.messageHits.has(i)) messageHits.add(index.commits.length);
    index.commitIndex.set(c.oid, index.commits.length);
    index.commits.push(c);
  }
  for (const [oid, occ] of fresh.blobs)
    for (let i = 0; i < occ.length; i += 2) addOccurrence(index, pathIds, occ[i]!, fresh.paths[occ[i + 1]!]!, oid);
  for (const [oid, occ] of old.blobs)
    for (let i = 0; i < occ.length; i += 2) {
      const c = at[occ[i]!]!;
      if (c >= 0) addOccurrence(index, pathIds, c, old.paths[occ[i + 1]!]!, oid);
    }
  for (const g of fresh.gitlinks) index.gitlinks.add(g);
  for (const g of old.gitlinks) index.gitlinks.add(g);
  index.warnings.push(...fresh.warnings);
  return { index, messageHits };
}
