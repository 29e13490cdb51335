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
import { HistoryIndex } from '../sources/history.js';
import { Verdicts, type BlobVerdict, type MatchSpot } from './verdicts.js';
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

export { verdict, verdictSize, Verdicts, type BlobVerdict, type MatchSpot, type Verdict } from './verdicts.js';

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
    this.decoded = new Verdicts();
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
        if (onDisk && (!onDisk.size || onDisk.idBytes === update.verdicts.idBytes)) {
          const ids = update.verdicts.idStore();
          const bytes = update.verdicts.idBytes;
          for (let n = 0; n < update.verdicts.size; n++)
            onDisk.setBinary(ids, n * bytes, bytes, update.verdicts.nth(n));
          verdicts = onDisk;
        }
      }
      writeCacheFile(join(this.dir, BLOBS_FILE), 'blobs', this.key, (w) => encodeVerdicts(w, verdicts));
      const walk = update.walk;
      if (walk) writeCacheFile(join(this.dir, WALK_FILE), 'walk', this.walkKey, (w) => encodeWalk(w, walk));
    });
  }
}

/** Typed arrays are written as they lie in memory: a cache from a machine of the other byte order reads as absent. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 2;

/** What every body starts with: the byte order it was written in, and the object id length. */
function writeHeader(w: BodyWriter, idBytes: number): void {
  w.uint(LITTLE_ENDIAN);
  w.uint(idBytes);
}

/** Reads writeHeader's fields; returns the id length (20 or 32 bytes). */
function readHeader(r: BodyReader): number {
  if (r.uint() !== LITTLE_ENDIAN) throw new BadCacheBody('written on a machine of the other byte order');
  const bytes = r.uint();
  if (bytes !== 20 && bytes !== 32) throw new BadCacheBody('unknown object id length');
  return bytes;
}

function encodeVerdicts(w: BodyWriter, verdicts: Verdicts): void {
  writeHeader(w, verdicts.idBytes || 20);
  const ruleIds = new Map<string, number>();
  const detailed: number[] = [];
  for (let n = 0; n < verdicts.size; n++) {
    const v = verdicts.nth(n);
    if (typeof v === 'number') continue;
    detailed.push(n);
    for (const s of v.spots) if (!ruleIds.has(s.ruleId)) ruleIds.set(s.ruleId, ruleIds.size);
  }
  w.uint(ruleIds.size);
  for (const id of ruleIds.keys()) w.str(id);
  w.uint(verdicts.size);
  w.raw(verdicts.idStore());
  w.array(verdicts.sizeColumn());
  w.uint(detailed.length);
  for (const n of detailed) {
    const v = verdicts.nth(n) as BlobVerdict;
    w.uint(n);
    w.uint((v.binary ? 1 : 0) | (v.lfs ? 2 : 0) | (v.archive ? 4 : 0));
    w.uint(v.spots.length);
    for (const s of v.spots) {
      w.uint(ruleIds.get(s.ruleId)!);
      w.uint(s.start);
      w.uint(s.end);
      w.uint(s.line);
    }
  }
}

function decodeVerdicts(body: Buffer): Verdicts {
  const r = new BodyReader(body);
  const bytes = readHeader(r);
  const rules: string[] = [];
  for (let n = r.uint(); n > 0; n--) rules.push(r.str());
  const count = r.uint();
  const ids = r.raw(count * bytes);
  const sizes = r.float64s(count);
  for (let n = 0; n < count; n++) {
    const size = sizes[n]!;
    if (!(size >= 0 && Number.isSafeInteger(size))) throw new BadCacheBody('a blob of an impossible size');
  }
  const detail = new Map<number, BlobVerdict>();
  for (let d = r.uint(); d > 0; d--) {
    const n = r.below(count);
    const flags = r.below(8);
    const spots: MatchSpot[] = [];
    for (let i = r.uint(); i > 0; i--)
      spots.push({ ruleId: rules[r.below(rules.length)]!, start: r.uint(), end: r.uint(), line: r.uint() });
    detail.set(n, {
      size: sizes[n]!,
      binary: (flags & 1) !== 0,
      lfs: (flags & 2) !== 0,
      spots,
      archive: (flags & 4) !== 0,
    });
  }
  r.end();
  return Verdicts.fromColumns(bytes, ids, sizes, detail);
}

/**
 * The walk as the history index holds it: its id tables as raw bytes and its typed arrays as they
 * are, so a warm scan copies a few buffers instead of building an object per commit.
 */
function encodeWalk(w: BodyWriter, walk: CachedWalk): void {
  const { index } = walk;
  const bytes = index.commitIds.bytes || (walk.tips[0] ? walk.tips[0].length >> 1 : 20);
  writeHeader(w, bytes);
  w.uint(walk.tips.length);
  for (const t of walk.tips) w.hex(t);
  const n = index.commitCount;
  w.uint(n);
  w.raw(index.commitIds.store.subarray(0, n * bytes));
  w.array(index.times);
  w.array(index.parentStart);
  w.array(index.parentList);
  w.uint(index.outsideIds.count);
  w.raw(index.outsideIds.store.subarray(0, index.outsideIds.count * bytes));
  const hits = Int32Array.from([...walk.messageHits].sort((a, b) => a - b));
  w.uint(hits.length);
  w.array(hits);
  w.uint(index.paths.length);
  for (const p of index.paths) w.str(p);
  const nb = index.blobCount;
  w.uint(nb);
  w.raw(index.blobIds.store.subarray(0, nb * bytes));
  w.array(index.occStart);
  w.array(index.occPairs);
  w.uint(index.gitlinks.size);
  for (const g of index.gitlinks) w.str(g);
}

function decodeWalk(body: Buffer): CachedWalk {
  const r = new BodyReader(body);
  const bytes = readHeader(r);
  const tips: string[] = [];
  for (let n = r.uint(); n > 0; n--) tips.push(r.hex(bytes));
  const n = r.uint();
  const commitIds = r.raw(n * bytes);
  const times = r.float64s(n);
  const parentStart = r.int32s(n + 1);
  checkStarts(parentStart, undefined);
  const parentList = r.int32s(parentStart[n]!);
  const outside = r.uint();
  const outsideIds = r.raw(outside * bytes);
  for (let k = 0; k < parentList.length; k++) {
    const p = parentList[k]!;
    if (p >= n || p < -outside) throw new BadCacheBody('a parent out of range');
  }
  const hits = r.int32s(r.uint());
  const messageHits = new Set<number>();
  for (const c of hits) {
    if (c < 0 || c >= n) throw new BadCacheBody('a message hit out of range');
    messageHits.add(c);
  }
  const paths: string[] = [];
  for (let k = r.uint(); k > 0; k--) paths.push(r.str());
  const nb = r.uint();
  const blobIds = r.raw(nb * bytes);
  const occStart = r.int32s(nb + 1);
  // every blob the walk met occurs somewhere
  checkStarts(occStart, 1);
  const occPairs = r.int32s(2 * occStart[nb]!);
  for (let k = 0; k < occPairs.length; k += 2) {
    if (occPairs[k]! < 0 || occPairs[k]! >= n) throw new BadCacheBody('an occurrence in an unknown commit');
    if (occPairs[k + 1]! < 0 || occPairs[k + 1]! >= paths.length)
      throw new BadCacheBody('an occurrence at an unknown path');
  }
  const gitlinks: string[] = [];
  for (let k = r.uint(); k > 0; k--) gitlinks.push(r.str());
  r.end();
  const index = HistoryIndex.fromParts({
    bytes,
    commitIds,
    times,
    parentStart,
    parentList,
    outsideIds,
    paths,
    blobIds,
    occStart,
    occPairs,
    gitlinks,
  });
  return { index, tips, messageHits };
}

/** Offsets of a flat list of lists: from 0, never falling, each list at least `least` long. */
function checkStarts(starts: Int32Array, least: number | undefined): void {
  if (starts[0] !== 0) throw new BadCacheBody('a list that does not start at 0');
  for (let k = 1; k < starts.length; k++)
    if (starts[k]! - starts[k - 1]! < (least ?? 0)) throw new BadCacheBody('a list of impossible length');
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
  const n = old.commitCount;
  if (fresh.commitCount && old.commitIds.bytes && fresh.commitIds.bytes !== old.commitIds.bytes) return undefined;
  const bytes = old.commitIds.bytes || fresh.commitIds.bytes;
  // every cached commit must still be reachable, from a ref that is a cached commit or through a new commit
  const reached = new Uint8Array(n);
  const stack: number[] = [];
  const visit = (i: number) => {
    if (i >= 0 && !reached[i]) {
      reached[i] = 1;
      stack.push(i);
    }
  };
  for (const oid of revs) visit(old.findCommit(oid));
  for (let c = 0; c < fresh.commitCount; c++) {
    visit(old.commitIds.lookup(fresh.commitIds.store, c * bytes));
    for (let k = fresh.parentStart[c]!; k < fresh.parentStart[c + 1]!; k++) {
      const p = fresh.parentList[k]!;
      visit(
        p >= 0
          ? old.commitIds.lookup(fresh.commitIds.store, p * bytes)
          : old.commitIds.lookup(fresh.outsideIds.store, (-1 - p) * bytes),
      );
    }
  }
  let count = 0;
  while (stack.length) {
    const i = stack.pop()!;
    count++;
    for (let k = old.parentStart[i]!; k < old.parentStart[i + 1]!; k++) visit(old.parentList[k]!);
  }
  if (count !== n) return undefined;
  // nothing new: the cached walk is the walk
  if (!fresh.commitCount) return { index: old, messageHits: cached.messageHits };

  const index = new HistoryIndex(bytes);
  const messageHits = new Set<number>();
  /** Copies commit `c` of `from`, with its parents, as the next commit of the merged index. */
  const copyCommit = (from: HistoryIndex, c: number) => {
    const added = index.addCommitBinary(from.commitIds.store, c * bytes, from.times[c]!);
    for (let k = from.parentStart[c]!; k < from.parentStart[c + 1]!; k++) {
      const p = from.parentList[k]!;
      if (p >= 0) index.addParentBinary(from.commitIds.store, p * bytes);
      else index.addParentBinary(from.outsideIds.store, (-1 - p) * bytes);
    }
    return added;
  };
  for (let c = 0; c < fresh.commitCount; c++) copyCommit(fresh, c);
  // a cached tip git could not find (pruned) lets the walk list cached commits again: listed once
  const at = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    if (index.commitIds.lookup(old.commitIds.store, i * bytes) >= 0) {
      at[i] = -1;
      continue;
    }
    at[i] = copyCommit(old, i);
    if (cached.messageHits.has(i)) messageHits.add(at[i]!);
  }
  /** Copies every occurrence of `from`'s blobs, its commits renumbered by `commitAt`. */
  const copyBlobs = (from: HistoryIndex, commitAt: (c: number) => number) => {
    const pathAt = from.paths.map((p) => index.pathId(p));
    const { occStart, occPairs } = from;
    for (let b = 0; b < from.blobCount; b++) {
      let blob = -1;
      for (let i = occStart[b]!; i < occStart[b + 1]!; i++) {
        const c = commitAt(occPairs[2 * i]!);
        if (c < 0) continue;
        if (blob < 0) blob = index.blobIds.addBinary(from.blobIds.store, b * bytes);
        index.addOccurrenceOf(c, pathAt[occPairs[2 * i + 1]!]!, blob);
      }
    }
  };
  copyBlobs(fresh, (c) => c);
  copyBlobs(old, (c) => at[c]!);
  index.settle();
  for (const g of fresh.gitlinks) index.gitlinks.add(g);
  for (const g of old.gitlinks) index.gitlinks.add(g);
  index.warnings.push(...fresh.warnings);
  return { index, messageHits };
}
