/**
 * Content rules over git blobs, each blob once, and each piece of text once.
 *
 * Successive versions of a file are mostly the same text: lodash's history holds 2.8 GB of blob
 * content but only 0.44 GB of distinct text. Blobs are cut into chunks at blank lines (at least 4 kB
 * each, so the cuts fall on the same text in every version), each chunk is hashed, and a chunk seen
 * before is not scanned again: its earlier matches are reused. Chunks end at blank lines, so every
 * line, and every single-line match, sits wholly in one chunk; a chunk where a rule whose matches
 * span lines fired is scanned with the text that follows it and never reused.
 */
import type { Confidence, Severity } from '../types.js';
import { sha1Binary } from './fingerprint.js';
import type { CompiledRule, Ruleset } from './compile.js';
import { detectContent, type ContentOptions, type RawFinding } from './detect.js';
import { decode, type Decoded } from './text.js';
import { KeywordFilter } from './keyword-filter.js';
import { RecentVersions } from './recent-versions.js';
import { ChunkCache } from './chunk-cache.js';
import { collectGarbage } from './heap.js';
import { editHasKeyword } from './edit-regions.js';
import { MissingObject, TooLarge } from '../sources/catfile.js';
import { archiveMagic, scanArchive, type ArchiveFindings, type ArchiveMagic, type ReadLimits } from './archive-scan.js';

export interface BlobMatch {
  ruleId: string;
  description: string;
  /** The rule's, or lower where the match itself says so (a password for a local host). */
  severity: Severity;
  confidence: Confidence;
  secret: string;
  line: number;
  column: number;
  inlineAllowed: boolean;
  /** Where the secret sits in the blob (offsets into the text scanned): overlaps are settled on these. */
  start: number;
  end: number;
}

/** Every field is always set, so results share one shape (the optimising compiler's code stays valid). */
export interface BlobResult {
  oid: string;
  bytes: number;
  binary: boolean;
  lfs: boolean;
  matches: BlobMatch[];
  /** The matches in columns, once the result leaves the scanner (see `packMatches`); `matches` is then empty. */
  packed: PackedMatches | undefined;
  /** Rules that exceeded their time limit on this blob. */
  timeouts: string[] | undefined;
  /** An archive's members that carry something, and what of it could not be read (see archive-scan.ts). */
  archive: ArchiveFindings | undefined;
}

/**
 * A blob's matches as columns: each match's strings as indexes into `strings` (rule id,
 * description, severity, confidence repeat across matches), its secret, and its numbers. A dump of
 * 250,000 tokens is then a few arrays to copy between threads and to hold until the findings stage,
 * not 250,000 objects of ten fields.
 */
export interface PackedMatches {
  strings: string[];
  secrets: string[];
  /**
   * Secrets of candidates dropped because they lose an overlap at every place the blob can
   * appear (see `MatchPacker.pushChunk`): no finding comes from them, but redaction still looks
   * for them in other fields, as it does for every secret matched.
   */
  otherSecrets: string[];
  /** Per match, PACKED_FIELDS integers: rule id, description, severity, confidence (indexes into
   * `strings`), inline-allowed (0/1), line, column, start, end. */
  fields: Int32Array;
}
const PACKED_FIELDS = 9;
/**
 * The columns of a packer that holds no match. Most packers never hold one (a history scan makes
 * one per chunked blob), and a typed array of a few kilobytes lives outside the heap: each one
 * counts toward the thread's next full collection as much as its bytes would in the heap.
 */
const NO_FIELDS = new Int32Array(0);

/** Builds packed matches as they are found, chunk by chunk, so a blob's matches are never objects all at once. */
class MatchPacker {
  private readonly strings: string[] = [];
  private readonly indexOf = new Map<string, number>();
  private readonly secrets: string[] = [];
  private readonly otherSecrets: string[] = [];
  private fields = NO_FIELDS;
  /** The furthest any match pushed so far reaches, in the blob. */
  private reachedTo = 0;

  /** `rules`: by id, to settle overlaps that no place can change (see `pushChunk`). */
  constructor(private readonly rules?: ReadonlyMap<string, CompiledRule>) {}

  /**
   * A chunk's matches, where part of a run of overlapping candidates is settled here because no
   * place can change it: when one candidate outranks every other in its run (priority, then
   * length, then position, as the findings stage ranks them) and its rule applies at every path,
   * the stage keeps it at every place the blob appears, and drops everything that overlaps it.
   * Those are dropped now; the rest of the run is left to the stage. A token that a vendor rule,
   * an env-file rule and a generic rule all see then costs one match to carry and hold, not three.
   * Runs that reach past the chunk (a multi-line match read with the text after it), or that an
   * earlier chunk's match reaches into, are left alone: the other chunk's matches may join them.
   */
  pushChunk(found: readonly BlobMatch[], lines: number, offset: number, chunkLength: number): void {
    const rules = this.rules;
    for (let i = 0; i < found.length;) {
      let j = i + 1;
      let reach = found[i]!.end;
      while (j < found.length && found[j]!.start < reach) reach = Math.max(reach, found[j++]!.end);
      const reachedInto = offset + found[i]!.start < this.reachedTo;
      this.reachedTo = Math.max(this.reachedTo, offset + reach);
      const top = j > i + 1 && rules && reach <= chunkLength && !reachedInto ? this.sureWinner(found, i, j) : -1;
      for (let k = i; k < j; k++) {
        const m = found[k]!;
        if (top < 0 || k === top || m.end <= found[top]!.start || found[top]!.end <= m.start)
          this.push(m, lines, offset);
        else if (m.secret !== found[top]!.secret) this.otherSecrets.push(m.secret);
      }
      i = j;
    }
  }

  /** The candidate of `found[i..j)` that strictly outranks every other, if its rule is unscoped; else -1. */
  private sureWinner(found: readonly BlobMatch[], i: number, j: number): number {
    const rank = (m: BlobMatch) => this.rules!.get(m.ruleId);
    // the stage's order: higher priority, then longer, then earlier
    const beats = (a: BlobMatch, ra: CompiledRule, b: BlobMatch, rb: CompiledRule) =>
      ra.priority - rb.priority || b.start - b.end - (a.start - a.end) || b.start - a.start;
    let best = -1;
    let bestRule: CompiledRule | undefined;
    for (let k = i; k < j; k++) {
      const r = rank(found[k]!);
      if (!r) return -1;
      if (best < 0 || beats(found[k]!, r, found[best]!, bestRule!) > 0) {
        best = k;
        bestRule = r;
      }
    }
    if (bestRule!.matchPath) return -1;
    for (let k = i; k < j; k++) {
      if (k === best) continue;
      if (!(beats(found[best]!, bestRule!, found[k]!, rank(found[k]!)!) > 0)) return -1; // a tie: the stage decides
    }
    return best;
  }

  get count(): number {
    return this.secrets.length;
  }

  private intern(s: string): number {
    let i = this.indexOf.get(s);
    if (i === undefined) {
      i = this.strings.length;
      this.strings.push(s);
      this.indexOf.set(s, i);
    }
    return i;
  }

  /** One match, moved down by `lines` lines and along by `offset` characters (its chunk's place in the blob). */
  push(m: BlobMatch, lines = 0, offset = 0): void {
    let at = this.secrets.length * PACKED_FIELDS;
    if (at + PACKED_FIELDS > this.fields.length) {
      const grown = new Int32Array(Math.max(64 * PACKED_FIELDS, this.fields.length * 2));
      grown.set(this.fields);
      this.fields = grown;
    }
    const f = this.fields;
    this.secrets.push(m.secret);
    f[at++] = this.intern(m.ruleId);
    f[at++] = this.intern(m.description);
    f[at++] = this.intern(m.severity);
    f[at++] = this.intern(m.confidence);
    f[at++] = m.inlineAllowed ? 1 : 0;
    f[at++] = m.line + lines;
    f[at++] = m.column;
    f[at++] = m.start + offset;
    f[at] = m.end + offset;
  }

  finish(): PackedMatches {
    return {
      strings: this.strings,
      secrets: this.secrets,
      otherSecrets: this.otherSecrets,
      fields: this.secrets.length ? this.fields.slice(0, this.secrets.length * PACKED_FIELDS) : NO_FIELDS,
    };
  }
}

export function packMatches(matches: readonly BlobMatch[]): PackedMatches {
  const p = new MatchPacker();
  for (const m of matches) p.push(m);
  return p.finish();
}

/** The matches back as objects, for one blob at a time. */
export function unpackMatches(p: PackedMatches): BlobMatch[] {
  const out = new Array<BlobMatch>(p.secrets.length);
  const f = p.fields;
  for (let i = 0; i < out.length; i++) {
    const at = i * PACKED_FIELDS;
    out[i] = {
      ruleId: p.strings[f[at]!]!,
      description: p.strings[f[at + 1]!]!,
      severity: p.strings[f[at + 2]!]! as Severity,
      confidence: p.strings[f[at + 3]!]! as Confidence,
      secret: p.secrets[i]!,
      line: f[at + 5]!,
      column: f[at + 6]!,
      inlineAllowed: f[at + 4] === 1,
      start: f[at + 7]!,
      end: f[at + 8]!,
    };
  }
  return out;
}

/** A result's matches, whether packed or not. */
export function matchesOf(r: BlobResult): BlobMatch[] {
  return r.packed ? unpackMatches(r.packed) : r.matches;
}

/** Where a result's matches are (rule, offsets, line), packed or not, read from the columns without an object per match. */
export function spotsOf(r: BlobResult): { ruleId: string; start: number; end: number; line: number }[] {
  if (!r.packed) return r.matches.map((m) => ({ ruleId: m.ruleId, start: m.start, end: m.end, line: m.line }));
  const { strings, fields, secrets } = r.packed;
  const out = new Array<{ ruleId: string; start: number; end: number; line: number }>(secrets.length);
  for (let i = 0; i < out.length; i++) {
    const at = i * PACKED_FIELDS;
    out[i] = { ruleId: strings[fields[at]!]!, start: fields[at + 7]!, end: fields[at + 8]!, line: fields[at + 5]! };
  }
  return out;
}

/** How many matches a result carries, packed or not. */
export function matchCount(r: BlobResult): number {
  return r.packed ? r.packed.secrets.length : r.matches.length;
}

const CHUNK_MIN = 4096;
/**
 * A text without blank lines is cut at the first line end past this much: matching one chunk makes
 * garbage in proportion to its matches, and a 15 MB dump of tokens in one piece peaked a thread at
 * over a gigabyte (cut at 1 MB, 530 MB; at 256 kB, 510 MB and faster). No line is ever cut, so single-line matches sit wholly in one chunk as before.
 */
const CHUNK_MAX = 256 * 1024;
const MULTILINE_REACH = 20_000;
const CACHE_LIMIT = 2_000_000;
/**
 * Matches the chunk cache may hold, all chunks together: a chunk's matches are kept to be reused,
 * and a history of dumps (a million tokens) would otherwise keep every one of them in the thread
 * until the scan ends. Ordinary histories hold a few thousand matches in all and never reach it.
 */
const CACHE_MATCHES = 100_000;
/** Recent versions kept per worker for the cheap comparison below. */
const RECENT_BYTES = 8 * 1024 * 1024;
const PROBE = 24;

/**
 * A chunk's probe: its length and its first and last PROBE bytes, hashed to a small integer. A
 * string of them was two slices and a concatenation per chunk (a million chunks on git/git), each
 * kept while its version is recent; an integer key is neither allocated nor marked.
 */
function probeOf(buf: Buffer, start: number, end: number): number {
  let h = Math.imul(end - start, 0x9e3779b1);
  const head = Math.min(end, start + PROBE);
  for (let i = start; i < head; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
  for (let i = Math.max(head, end - PROBE); i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
  // within a small integer, so the map stores it in place
  return h & 0x3fffffff;
}

interface ChunkRecord {
  start: number;
  end: number;
  found: readonly BlobMatch[];
}
/** What a file's last version seen carries beside its bytes: its chunks, and whether it holds no keyword at all. */
interface VersionInfo {
  /** By probe (see `probeOf`): a collision only costs a byte comparison that fails. */
  chunks: ReadonlyMap<number, ChunkRecord>;
  keywordFree: boolean;
}
/** What is kept of a version without a keyword (most versions): one object for all of them. */
const KEYWORD_FREE: VersionInfo = Object.freeze({ chunks: new Map<number, ChunkRecord>(), keywordFree: true });
/** No match, though a keyword occurs. */
const NONE: readonly BlobMatch[] = Object.freeze([]);
/** No match, because no keyword occurs: the same emptiness, told apart by identity. */
const CLEAN: readonly BlobMatch[] = Object.freeze([]);
/** The matches of a clean blob: one array (of one kind) for all of them. Never added to. */
const NO_MATCHES: BlobMatch[] = [];
/** Content options with the bytes a latin1 text was decoded from, for the keyword index to copy. */
const withBytes = (opts: ContentOptions, d: Decoded): ContentOptions =>
  'bytes' in d ? { ...opts, textBytes: d.bytes } : opts;

const BLANK_LINE = Buffer.from('\n\n');
const LFS_HEAD = Buffer.from('version https://git-lfs.github.com/spec/');

export type BlobOutcome = BlobResult | { oid: string; error: string };
/** What a batch gives back: the results that carry something, and every blob's size. */
export interface BatchOutcome {
  results: BlobOutcome[];
  sizes: number[];
}
/** Sizes of blobs that could not be read: missing from the store, or unreadable (its error is in the results). */
export const SIZE_MISSING = -1;
export const SIZE_UNREADABLE = -2;

/**
 * Reads a batch of blobs and scans them. Every read is requested at once, so git streams the next
 * blob while this one is scanned. Each blob's size comes back, read from git's header (so a blob
 * over the reader's limit is sized without being read); only results that carry something do.
 */
export async function scanBatch(
  scanner: BlobScanner,
  readMany: (oids: string[]) => Promise<Buffer | TooLarge>[],
  oids: string[],
  paths: string[],
): Promise<BatchOutcome> {
  const sizes: number[] = new Array<number>(oids.length).fill(0);
  // each read is handled as soon as it settles: a failing process rejects all of them at once
  const pending = readMany(oids).map((read, i): Promise<BlobOutcome | undefined> =>
    read.then(
      (got) => {
        if (got instanceof TooLarge) {
          sizes[i] = got.size;
          return undefined;
        }
        sizes[i] = got.length;
        return scanner.scan(oids[i]!, got, paths[i]);
      },
      (e: Error) => {
        sizes[i] = e instanceof MissingObject ? SIZE_MISSING : SIZE_UNREADABLE;
        return e instanceof MissingObject ? undefined : { oid: oids[i]!, error: e.message };
      },
    ),
  );
  const results: BlobOutcome[] = [];
  for (const p of pending) {
    const r = await p;
    if (r && carriesSomething(r)) results.push('error' in r || !r.matches.length ? r : packed(r));
    // a dump of tokens leaves a thread's heap several times what it keeps (see `collectGarbage`)
    if (r && !('error' in r) && matchCount(r) > UNCACHED_MATCHES) collectGarbage();
  }
  return { results, sizes };
}

/** The result with its matches in columns: what crosses threads and waits for the findings stage. */
function packed(r: BlobResult): BlobResult {
  const { oid, bytes, binary, lfs, timeouts, archive } = r;
  return { oid, bytes, binary, lfs, matches: NO_MATCHES, packed: packMatches(r.matches), timeouts, archive };
}

/** Clean blobs are the vast majority: only results that carry something travel back. */
export function carriesSomething(r: BlobResult | { error: string }): boolean {
  return 'error' in r || matchCount(r) > 0 || r.binary || r.lfs || r.timeouts !== undefined || r.archive !== undefined;
}

export function isLfsPointer(buf: Buffer): boolean {
  return buf.length < 1024 && buf.subarray(0, LFS_HEAD.length).equals(LFS_HEAD);
}

export class BlobScanner {
  private cache = new ChunkCache<readonly BlobMatch[]>([CLEAN, NONE]);
  private cachedMatches = 0;
  /** The last version scanned of each recent path, with its chunks. */
  private recent = new RecentVersions<VersionInfo>(RECENT_BYTES);
  private readonly disabled = new Set<string>();
  /** Chunks scanned and reused, for the benchmark. */
  readonly counters = { chunks: 0, reused: 0, bytesMatched: 0, hashed: 0 };

  private filterBuilt: KeywordFilter | undefined;
  /** Built on first use: a one-off scan never reaches it (see `scan`). */
  private get filter(): KeywordFilter {
    return (this.filterBuilt ??= new KeywordFilter(this.ruleset.byKeyword.keys()));
  }

  /**
   * `reuse`: remember chunks across blobs (history, where versions share most of their text). A
   * one-off scan of a few files turns it off, and so never loads node:crypto for the hashes.
   * `archives`: the limits archive members are read under; undefined reads no archive (an
   * archive is then a binary file, as any other).
   */
  constructor(
    private readonly ruleset: Ruleset,
    private readonly guardMs = 2000,
    private readonly reuse = true,
    private readonly archives?: ReadLimits,
  ) {}

  private ruleByIdBuilt: ReadonlyMap<string, CompiledRule> | undefined;
  /** Content rules by id, for settling overlaps in the scanner; built on first use, as the filter is. */
  private get ruleById(): ReadonlyMap<string, CompiledRule> {
    return (this.ruleByIdBuilt ??= new Map(this.ruleset.contentRules.map((r) => [r.id, r])));
  }

  /** `path` (any path the blob occurs at) lets the previous version of that file be reused cheaply. */
  scan(oid: string, buf: Buffer, path?: string): BlobResult {
    // the result is built once, with every field: see BlobResult
    const done = (matches: BlobMatch[] | PackedMatches, binary = false, timeouts?: string[]): BlobResult => ({
      oid,
      bytes: buf.length,
      binary,
      lfs: isLfsPointer(buf),
      matches: 'fields' in matches || !matches.length ? NO_MATCHES : matches,
      packed: 'fields' in matches && matches.secrets.length ? matches : undefined,
      timeouts: timeouts?.length ? timeouts : undefined,
      archive: undefined,
    });
    // an archive is known by its first bytes: a non-archive pays a few byte comparisons
    const magic = this.archives && archiveMagic(buf);
    if (magic) return this.scanArchiveBlob(oid, buf, magic, path);
    const timeouts: string[] = [];
    const opts = () => this.contentOptions(timeouts);
    // A one-off scan (work tree, index: a few files, a process that lives 50 ms) gains nothing from
    // chunks, and a byte filter in front costs more than it saves (measured on 20 staged lodash
    // files: the files that hold a keyword are most of the bytes, and are matched anyway): the whole
    // text goes to the rules, whose keyword index finds the windows. The file's one path is known,
    // so rules scoped elsewhere are skipped before their regexes are compiled.
    if (!this.reuse) {
      const d = decode(buf);
      if ('binary' in d) return done([], true);
      this.counters.bytesMatched += buf.length;
      const one = { ...withBytes(opts(), d), scopePath: path };
      return done(detectContent(this.ruleset, undefined, d.text, one).map(toMatch), false, timeouts);
    }
    // Plain single-byte text is chunked; UTF-16, and rules without keywords (they may match across
    // a blank line), read the whole blob.
    const sniff = buf.subarray(0, 8000);
    const plain =
      sniff.indexOf(0) === -1 && !(buf[0] === 0xff && buf[1] === 0xfe) && !(buf[0] === 0xfe && buf[1] === 0xff);
    const keyed = plain && this.ruleset.unkeyed.length === 0;
    if (keyed && path !== undefined && this.keywordFreeEdit(buf, path)) return done([]);
    if (keyed && buf.length < 2 * CHUNK_MIN && !this.filter.any(buf, 0, buf.length)) {
      if (path !== undefined) this.recent.keep(path, buf, KEYWORD_FREE);
      return done([]); // small text without a single keyword: no rule can match
    }
    if (keyed && buf.length >= 2 * CHUNK_MIN) return done(this.scanChunks(buf, opts, path), false, timeouts);
    const d = decode(buf);
    if ('binary' in d) return done([], true);
    this.counters.bytesMatched += buf.length;
    return done(detectContent(this.ruleset, undefined, d.text, withBytes(opts(), d)).map(toMatch), false, timeouts);
  }

  private contentOptions(timeouts: string[]): Parameters<typeof detectContent>[3] {
    return {
      allCandidates: true,
      guardMs: this.guardMs,
      disabled: this.disabled,
      onTimeout: (r: { id: string }) => {
        this.disabled.add(r.id);
        timeouts.push(r.id);
      },
    };
  }

  /**
   * An archive: its members are matched one at a time, inflated under the limits, each as a
   * whole text (members are bounded by the member size limit, and share no chunks with the
   * history's other versions). The archive itself is not binary: it was scanned.
   */
  private scanArchiveBlob(oid: string, buf: Buffer, magic: ArchiveMagic, path?: string): BlobResult {
    const timeouts: string[] = [];
    const archive = scanArchive(
      this.ruleset,
      buf,
      magic,
      this.archives!,
      (data) => {
        const d = decode(data);
        if ('binary' in d) return undefined;
        this.counters.bytesMatched += data.length;
        return detectContent(this.ruleset, undefined, d.text, withBytes(this.contentOptions(timeouts), d)).map(toMatch);
      },
      path,
    );
    return {
      oid,
      bytes: buf.length,
      binary: false,
      lfs: false,
      matches: NO_MATCHES,
      packed: undefined,
      timeouts: timeouts.length ? timeouts : undefined,
      archive,
    };
  }

  /**
   * Most versions of most files hold no keyword, and most edits are small. When the previous
   * version of this file held no keyword, only the bytes that changed (plus a keyword's length on
   * either side, for a keyword formed across an edit) can hold one: if they do not, the whole
   * version is keyword-free and no rule can match, without chunking, hashing or filtering the rest.
   */
  private keywordFreeEdit(buf: Buffer, path: string): boolean {
    const prev = this.recent.get(path);
    if (!prev?.extra.keywordFree) return false;
    if (editHasKeyword(this.filter, prev.buf, buf)) return false;
    this.recent.keep(path, buf, KEYWORD_FREE);
    return true;
  }

  /**
   * Chunks are first looked up in the previous version of the same file by a cheap probe (length,
   * first and last bytes) and confirmed with a byte comparison (memcmp speed); only chunks that are
   * new to that file are hashed and looked up across the whole history.
   */
  private scanChunks(buf: Buffer, opts: () => Parameters<typeof detectContent>[3], path?: string): PackedMatches {
    const out = new MatchPacker(this.ruleById);
    const prev = path !== undefined ? this.recent.get(path) : undefined;
    const mine = new Map<number, ChunkRecord>();
    let start = buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
    // newlines before `start`, counted only as far as a chunk with matches needs
    let linesBefore = 0;
    let countedTo = 0;
    let keywordFree = true;
    while (start < buf.length) {
      let end = buf.length;
      if (buf.length - start > CHUNK_MIN) {
        // a blank line is looked for only as far as a chunk may reach, not through the rest of a dump
        const reach = Math.min(buf.length, start + CHUNK_MAX + 2);
        const i = buf.subarray(0, reach).indexOf(BLANK_LINE, start + CHUNK_MIN);
        end = i === -1 ? buf.length : i + 2;
        if (i === -1 && reach < buf.length) {
          const nl = buf.indexOf(10, start + CHUNK_MAX);
          if (nl !== -1) end = nl + 1;
        }
      }
      this.counters.chunks++;
      const probe = probeOf(buf, start, end);
      const same = prev?.extra.chunks.get(probe);
      let found: readonly BlobMatch[] | undefined;
      let cacheable = true;
      if (same && buf.compare(prev!.buf, same.start, same.end, start, end) === 0) {
        found = same.found;
        this.counters.reused++;
      }
      // a one-off scan (work tree, index) has no other versions to share chunks with: no hashing
      const key = found || !this.reuse ? '' : sha1Binary(buf.subarray(start, end));
      if (key) {
        this.counters.hashed++;
        found = this.cache.get(key);
      }
      if (found) {
        if (key) this.counters.reused++;
      } else if (!this.filter.any(buf, start, end)) {
        // no keyword at all: nothing can match here (rules without keywords never take this path)
        found = CLEAN;
        this.remember(key, found);
      } else {
        const o = opts();
        const seen = { multiline: false };
        const text = buf.toString('latin1', start, end);
        this.counters.bytesMatched += end - start;
        let raws = detectContent(this.ruleset, undefined, text, { ...o, seen });
        if (seen.multiline && end < buf.length) {
          // a match may run past the chunk: look again with the text that follows, keywords still only in the chunk
          const wide = buf.toString('latin1', start, Math.min(buf.length, end + MULTILINE_REACH));
          raws = detectContent(this.ruleset, undefined, wide, { ...o, keywordLimit: end - start });
          found = asMatches(raws);
          cacheable = false;
        } else {
          found = raws.length ? asMatches(raws) : NONE;
          this.remember(key, found);
        }
      }
      if (cacheable) mine.set(probe, { start, end, found });
      if (found !== CLEAN) keywordFree = false;
      if (found.length) {
        for (let i = buf.indexOf(10, countedTo); i !== -1 && i < start; i = buf.indexOf(10, i + 1)) linesBefore++;
        countedTo = start;
        out.pushChunk(found, linesBefore, start, end - start);
      }
      start = end;
    }
    if (path !== undefined) this.recent.keep(path, buf, { chunks: mine, keywordFree });
    return out.finish();
  }

  private remember(key: string, found: readonly BlobMatch[]): void {
    if (!key) return;
    if (found.length > UNCACHED_MATCHES) return; // a dump of tokens: rescanned if it ever comes back
    // bounded memory on huge histories
    if (this.cache.size >= CACHE_LIMIT || this.cachedMatches + found.length > CACHE_MATCHES) {
      this.cache.clear();
      this.cachedMatches = 0;
    }
    this.cache.set(key, found);
    this.cachedMatches += found.length;
  }
}

/** Above this many, a chunk's matches are not kept in the chunk cache (see `remember`). */
const UNCACHED_MATCHES = CACHE_MATCHES / 10;

/**
 * A chunk's findings as blob matches. A list too long for the chunk cache is used as it is
 * (content findings carry every field of a match): it only goes on to the packer, which copies
 * the fields it needs, and a dump of tokens is then spared a second object per candidate.
 */
function asMatches(raws: RawFinding[]): readonly BlobMatch[] {
  return raws.length > UNCACHED_MATCHES ? (raws as unknown as BlobMatch[]) : raws.map(toCachedMatch);
}

/**
 * A match the chunk cache may keep for the rest of the scan, with a secret of its own: a captured
 * group is a slice of the chunk's whole text, and keeping the slice kept the text (on git/git, 3
 * MB of chunk texts per thread held by 1,300 cached matches, most of them path-scoped candidates).
 */
function toCachedMatch(r: RawFinding): BlobMatch {
  const m = toMatch(r);
  // concatenating flattens into a new string of just these characters; the slice then points at that
  m.secret = ` ${m.secret}`.slice(1);
  return m;
}

function toMatch(r: RawFinding): BlobMatch {
  return {
    ruleId: r.rule.id,
    description: r.description,
    severity: r.severity,
    confidence: r.confidence,
    secret: r.secret!,
    line: r.line!,
    column: r.column!,
    inlineAllowed: r.inlineAllowed ?? false,
    start: r.start!,
    end: r.end!,
  };
}
