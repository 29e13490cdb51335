/**
 * The history index in compact form: what a walk learnt, held in a few flat buffers instead of an
 * object per commit and a hex-keyed map entry per blob, so a history of millions of commits and
 * blobs costs tens of bytes for each (see the README's bench section for the figures).
 *
 * - Object ids are kept binary (20 bytes for SHA-1, 32 for SHA-256) in one buffer per table, found
 *   through an open-addressing hash table of numeric ids (`OidTable`).
 * - Commits are numbered in walk order; times and parents are typed arrays (parents as commit
 *   numbers, or as entries of a separate table for parents outside the walk: a shallow boundary, or
 *   the commits a range excludes).
 * - Blobs are numbered in the order the walk first met them; their occurrences are flat
 *   (commit, path) pairs, with paths interned.
 *
 * A walk adds to the index (`addCommit`, `addParent`, `addOccurrence`) and then calls `settle`,
 * which resolves parents and lays the occurrences out blob by blob. After that it is read only.
 */
export interface RefInfo {
  name: string;
  commit: string;
}

export interface CommitAbout {
  author: string;
  date: string;
  subject: string;
}

/** Hex digit values by character code; -1 for anything else. */
const HEX_VALUE = new Int8Array(256).fill(-1);
for (let i = 0; i < 10; i++) HEX_VALUE[48 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX_VALUE[97 + i] = 10 + i;
  HEX_VALUE[65 + i] = 10 + i;
}

/** A growable list of 32-bit integers (a typed array with room to grow). */
export class IntList {
  data: Int32Array;
  length = 0;
  constructor(capacity = 64) {
    this.data = new Int32Array(capacity);
  }
  push(v: number): void {
    if (this.length === this.data.length) this.grow(this.length + 1);
    this.data[this.length++] = v;
  }
  grow(need: number): void {
    // by half again, not double: the copy is the peak, and these lists are the largest the walk holds
    const next = new Int32Array(Math.max(need, Math.ceil(this.data.length * 1.5), 64));
    next.set(this.data.subarray(0, this.length));
    this.data = next;
  }
  /** The list at its exact length; the spare capacity is given back. */
  done(): Int32Array {
    return this.length === this.data.length ? this.data : this.data.slice(0, this.length);
  }
}

/** Object ids, binary, each numbered in the order it was added and found again by a hash table. */
export class OidTable {
  /** Bytes per id: 20 (SHA-1) or 32 (SHA-256); 0 until the first id sets it. */
  bytes = 0;
  count = 0;
  /** The ids, `bytes` each, in number order. */
  store: Buffer = Buffer.alloc(0);
  /** Open addressing, linear probing: id + 1 per slot, 0 for an empty one. */
  private slots = new Int32Array(0);
  private mask = 0;
  /** Where a hex id is decoded for a lookup. */
  private scratch = Buffer.alloc(32);

  constructor(bytes = 0) {
    if (bytes) this.setWidth(bytes);
  }

  private setWidth(bytes: number): void {
    if (bytes !== 20 && bytes !== 32) throw new Error(`an object id of ${bytes} bytes`);
    this.bytes = bytes;
    this.store = Buffer.alloc(bytes * 1024);
    this.slots = new Int32Array(2048);
    this.mask = 2047;
  }

  /** The id's number, or -1. `hex` of another length than the table's is absent. */
  find(hex: string): number {
    if (!this.decodeString(hex)) return -1;
    return this.lookup(this.scratch, 0);
  }

  /** The number of the binary id at `buf[at..]`, or -1. */
  lookup(buf: Uint8Array, at: number): number {
    if (!this.count) return -1;
    const { store, bytes, slots, mask } = this;
    let slot = hashAt(buf, at) & mask;
    for (;;) {
      const v = slots[slot]!;
      if (v === 0) return -1;
      const base = (v - 1) * bytes;
      let k = 0;
      while (k < bytes && store[base + k] === buf[at + k]) k++;
      if (k === bytes) return v - 1;
      slot = (slot + 1) & mask;
    }
  }

  /** Adds a hex id (or finds it): its number. */
  add(hex: string): number {
    if (!this.bytes) this.setWidth(hex.length >> 1);
    if (!this.decodeString(hex)) throw new Error(`not an object id: ${hex}`);
    return this.addBinary(this.scratch, 0);
  }

  /** Adds the id written as `2 * bytes` hex digits at `buf[at..]` (git's output, read in place). */
  addHexBytes(buf: Uint8Array, at: number, digits: number): number {
    if (!this.bytes) this.setWidth(digits >> 1);
    if (digits !== this.bytes * 2 || !decodeHex(buf, at, digits, this.scratch)) {
      throw new Error(`not an object id: ${Buffer.from(buf.subarray(at, at + digits)).toString('latin1')}`);
    }
    return this.addBinary(this.scratch, 0);
  }

  /** Sets the width of a table that has none yet (the first id of another table set it). */
  widen(bytes: number): void {
    if (!this.bytes && bytes) this.setWidth(bytes);
  }

  /** Adds the binary id at `buf[at..]` (or finds it): its number. */
  addBinary(buf: Uint8Array, at: number): number {
    if (!this.bytes) throw new Error('an object id table without a width');
    const found = this.lookup(buf, at);
    if (found >= 0) return found;
    const id = this.count;
    const { bytes } = this;
    if ((id + 1) * bytes > this.store.length) {
      const next = Buffer.alloc(Math.max((id + 1) * bytes, Math.ceil(this.store.length * 1.5)));
      this.store.copy(next, 0, 0, id * bytes);
      this.store = next;
    }
    for (let k = 0; k < bytes; k++) this.store[id * bytes + k] = buf[at + k]!;
    this.count++;
    // at most half full, so probes stay short
    if (this.count * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    else this.place(id);
    return id;
  }

  /** The id as hex. */
  hex(id: number): string {
    return this.store.toString('hex', id * this.bytes, (id + 1) * this.bytes);
  }

  /** Drops the spare room the table grew into, once nothing more is added. */
  trim(): void {
    if (this.store.length > this.count * this.bytes)
      this.store = Buffer.from(this.store.subarray(0, this.count * this.bytes));
  }

  /** A table of `count` ids laid out as `store` is (a cached walk's). */
  static fromStore(bytes: number, count: number, store: Buffer): OidTable {
    const t = new OidTable();
    if (!bytes || !count) return bytes ? new OidTable(bytes) : t;
    t.bytes = bytes;
    t.count = count;
    t.store = store;
    let size = 2048;
    while (size < count * 2) size *= 2;
    t.rehash(size);
    return t;
  }

  private place(id: number): void {
    const { slots, mask } = this;
    let slot = hashAt(this.store, id * this.bytes) & mask;
    while (slots[slot] !== 0) slot = (slot + 1) & mask;
    slots[slot] = id + 1;
  }

  private rehash(size: number): void {
    this.slots = new Int32Array(size);
    this.mask = size - 1;
    for (let id = 0; id < this.count; id++) this.place(id);
  }

  private decodeString(hex: string): boolean {
    if (hex.length !== this.bytes * 2) return false;
    for (let i = 0, k = 0; k < this.bytes; i += 2, k++) {
      const hi = HEX_VALUE[hex.charCodeAt(i) & 255]!;
      const lo = HEX_VALUE[hex.charCodeAt(i + 1) & 255]!;
      if (hi < 0 || lo < 0 || hex.charCodeAt(i) > 255 || hex.charCodeAt(i + 1) > 255) return false;
      this.scratch[k] = (hi << 4) | lo;
    }
    return true;
  }
}

/** Object ids are hashes already: four of their bytes spread over the table evenly. */
function hashAt(buf: Uint8Array, at: number): number {
  return (buf[at]! | (buf[at + 1]! << 8) | (buf[at + 2]! << 16) | (buf[at + 3]! << 24)) >>> 0;
}

function decodeHex(buf: Uint8Array, at: number, digits: number, out: Buffer): boolean {
  for (let i = 0, k = 0; i < digits; i += 2, k++) {
    const hi = HEX_VALUE[buf[at + i]!]!;
    const lo = HEX_VALUE[buf[at + i + 1]!]!;
    if (hi < 0 || lo < 0) return false;
    out[k] = (hi << 4) | lo;
  }
  return true;
}

const NO_INTS = new Int32Array(0);

export class HistoryIndex {
  /** Commits in walk order. */
  commitIds: OidTable;
  /** Parents the walk never listed as commits (a shallow boundary, what a range excludes). */
  outsideIds: OidTable;
  blobIds: OidTable;
  /** Committer time of each commit, seconds. */
  times: Float64Array;
  /**
   * Parents of commit `c`: `parentList[parentStart[c] .. parentStart[c + 1]]`, each a commit
   * number, or `-1 - k` for entry `k` of `outsideIds`.
   */
  parentStart: Int32Array = NO_INTS;
  parentList: Int32Array = NO_INTS;
  /**
   * Where blob `b` occurs: `occPairs[2 * occStart[b] ..  2 * occStart[b + 1]]`, pairs of (commit,
   * path number), in the order the walk met them.
   */
  occStart: Int32Array = NO_INTS;
  occPairs: Int32Array = NO_INTS;
  paths: string[] = [];
  /** Submodule entries (gitlinks), by path: not entered. */
  readonly gitlinks = new Set<string>();
  refs: RefInfo[] = [];
  /** Blobs found only outside any commit (with --all-objects). */
  dangling: string[] = [];
  readonly warnings: string[] = [];
  /** Author, date and subject of commits, where known (filled in for the commits a report names). */
  readonly about = new Map<number, CommitAbout>();

  // while the walk adds to it
  private pathIds: Map<string, number> | undefined = new Map();
  private building:
    | {
        times: Float64Array;
        parentCounts: IntList;
        /** Parents as binary ids, in commit order: resolved when the walk is complete. */
        parentIds: Buffer;
        parentBytes: number;
        occCommit: IntList;
        occPath: IntList;
        occBlob: IntList;
      }
    | undefined;

  constructor(bytes = 0) {
    this.commitIds = new OidTable(bytes);
    this.outsideIds = new OidTable(bytes);
    this.blobIds = new OidTable(bytes);
    this.times = new Float64Array(0);
    this.building = {
      times: new Float64Array(1024),
      parentCounts: new IntList(1024),
      parentIds: Buffer.alloc(0),
      parentBytes: 0,
      occCommit: new IntList(1024),
      occPath: new IntList(1024),
      occBlob: new IntList(1024),
    };
  }

  get commitCount(): number {
    return this.commitIds.count;
  }

  get blobCount(): number {
    return this.blobIds.count;
  }

  commitOid(c: number): string {
    return this.commitIds.hex(c);
  }

  /** A commit's number, or -1 when the walk did not list it. */
  findCommit(oid: string): number {
    return this.commitIds.find(oid);
  }

  findBlob(oid: string): number {
    return this.blobIds.find(oid);
  }

  blobOid(b: number): string {
    return this.blobIds.hex(b);
  }

  /** A parent entry (of `parentList`) as an id. */
  parentOid(entry: number): string {
    return entry >= 0 ? this.commitIds.hex(entry) : this.outsideIds.hex(-1 - entry);
  }

  /** The parent ids of commit `c`. */
  parentsOf(c: number): string[] {
    const out: string[] = [];
    for (let k = this.parentStart[c]!; k < this.parentStart[c + 1]!; k++) out.push(this.parentOid(this.parentList[k]!));
    return out;
  }

  /** The path of a blob's first occurrence. */
  firstPath(b: number): string {
    return this.paths[this.occPairs[2 * this.occStart[b]! + 1]!]!;
  }

  // ---- building ----

  private get b() {
    if (!this.building) throw new Error('the history index is settled: nothing more can be added');
    return this.building;
  }

  /** Adds the next commit of the walk (its parents follow, through `addParent`): its number. */
  addCommit(oid: string, time: number): number {
    const c = this.commitIds.add(oid);
    return this.commitAdded(c, time);
  }

  /** `addCommit`, with the id read in place from git's output (`digits` hex digits at `at`). */
  addCommitHex(buf: Uint8Array, at: number, digits: number, time: number): number {
    return this.commitAdded(this.commitIds.addHexBytes(buf, at, digits), time);
  }

  /** `addCommit` for a binary id. */
  addCommitBinary(buf: Uint8Array, at: number, time: number): number {
    return this.commitAdded(this.commitIds.addBinary(buf, at), time);
  }

  private commitAdded(c: number, time: number): number {
    const b = this.b;
    if (c !== b.parentCounts.length) throw new Error(`commit ${this.commitIds.hex(c)} listed twice`);
    if (c === b.times.length) {
      const next = new Float64Array(Math.ceil(c * 1.5) + 1024);
      next.set(b.times);
      b.times = next;
    }
    b.times[c] = time;
    b.parentCounts.push(0);
    return c;
  }

  /** Sets the time of the commit added last (git prints it after the ids). */
  setLastTime(time: number): void {
    this.b.times[this.b.parentCounts.length - 1] = time;
  }

  /** Adds a parent of the commit added last, as hex digits in place or as a string. */
  addParentHex(buf: Uint8Array, at: number, digits: number): void {
    const b = this.b;
    const bytes = digits >> 1;
    if (!this.reserveParent(bytes) || !decodeHex(buf, at, digits, b.parentIds.subarray(b.parentBytes))) {
      throw new Error(`not an object id: ${Buffer.from(buf.subarray(at, at + digits)).toString('latin1')}`);
    }
    this.parentAdded(bytes);
  }

  addParent(oid: string): void {
    const b = this.b;
    const bytes = oid.length >> 1;
    if (!this.reserveParent(bytes) || b.parentIds.write(oid, b.parentBytes, 'hex') !== bytes)
      throw new Error(`not an object id: ${oid}`);
    this.parentAdded(bytes);
  }

  /** Adds a parent as a binary id. */
  addParentBinary(buf: Uint8Array, at: number): void {
    const b = this.b;
    const bytes = this.commitIds.bytes;
    this.reserveParent(bytes);
    b.parentIds.set(buf.subarray(at, at + bytes), b.parentBytes);
    this.parentAdded(bytes);
  }

  private reserveParent(bytes: number): boolean {
    const b = this.b;
    if (bytes !== this.commitIds.bytes) return false;
    if (b.parentBytes + bytes > b.parentIds.length) {
      const next = Buffer.alloc(Math.max(b.parentBytes + bytes, Math.ceil(b.parentIds.length * 1.5), 4096));
      b.parentIds.copy(next, 0, 0, b.parentBytes);
      b.parentIds = next;
    }
    return true;
  }

  private parentAdded(bytes: number): void {
    const b = this.b;
    b.parentBytes += bytes;
    b.parentCounts.data[b.parentCounts.length - 1]!++;
  }

  /** The number of a path, interned. */
  pathId(path: string): number {
    const ids = this.pathIds!;
    let pid = ids.get(path);
    if (pid === undefined) {
      pid = this.paths.length;
      this.paths.push(path);
      ids.set(path, pid);
    }
    return pid;
  }

  /** Records that `commit` holds blob `oid` at `path`; true when the blob is new to the index. */
  addOccurrence(commit: number, path: string, oid: string): boolean {
    const before = this.blobIds.count;
    return this.occurrence(commit, this.pathId(path), this.blobIds.add(oid), before);
  }

  /** `addOccurrence` with the blob id as hex digits in place; returns the blob's number, or -1 when it was known. */
  addOccurrenceHex(commit: number, pathId: number, buf: Uint8Array, at: number, digits: number): number {
    const before = this.blobIds.count;
    const blob = this.blobIds.addHexBytes(buf, at, digits);
    return this.occurrence(commit, pathId, blob, before) ? blob : -1;
  }

  /** `addOccurrence` with numbers already known: a blob (`blobIds`) and a path (`pathId`). */
  addOccurrenceOf(commit: number, pathId: number, blob: number): void {
    this.occurrence(commit, pathId, blob, this.blobIds.count);
  }

  private occurrence(commit: number, pathId: number, blob: number, before: number): boolean {
    const b = this.b;
    b.occCommit.push(commit);
    b.occPath.push(pathId);
    b.occBlob.push(blob);
    return blob >= before;
  }

  /**
   * Once the walk is complete: parents become commit numbers (or outside entries), occurrences are
   * laid out blob by blob, and every buffer is cut to its length.
   */
  settle(): void {
    const b = this.b;
    const n = this.commitIds.count;
    const bytes = this.commitIds.bytes || this.blobIds.bytes;
    this.commitIds.widen(bytes);
    this.outsideIds.widen(bytes);
    this.blobIds.widen(bytes);
    this.times = b.times.slice(0, n);
    const parentStart = new Int32Array(n + 1);
    for (let c = 0; c < n; c++) parentStart[c + 1] = parentStart[c]! + b.parentCounts.data[c]!;
    const parentList = new Int32Array(parentStart[n]!);
    for (let k = 0; k < parentList.length; k++) {
      const at = k * bytes;
      const c = this.commitIds.lookup(b.parentIds, at);
      parentList[k] = c >= 0 ? c : -1 - this.outsideIds.addBinary(b.parentIds, at);
    }
    this.parentStart = parentStart;
    this.parentList = parentList;
    this.layOut(b.occCommit.done(), b.occPath.done(), b.occBlob.done());
    this.building = undefined;
    this.pathIds = undefined;
    this.commitIds.trim();
    this.outsideIds.trim();
    this.blobIds.trim();
  }

  /** A counting sort by blob, which keeps each blob's occurrences in walk order. */
  private layOut(commits: Int32Array, paths: Int32Array, blobs: Int32Array): void {
    const nb = this.blobIds.count;
    const start = new Int32Array(nb + 1);
    for (let i = 0; i < blobs.length; i++) start[blobs[i]! + 1]!++;
    for (let i = 0; i < nb; i++) start[i + 1]! += start[i]!;
    const fill = start.slice(0, nb);
    const pairs = new Int32Array(blobs.length * 2);
    for (let i = 0; i < blobs.length; i++) {
      const at = fill[blobs[i]!]!++;
      pairs[2 * at] = commits[i]!;
      pairs[2 * at + 1] = paths[i]!;
    }
    this.occStart = start;
    this.occPairs = pairs;
  }

  /**
   * An index made whole from its parts (a cached walk), already settled. The parts are trusted to
   * be consistent: the cache file they come from is checksummed, and its reader checks bounds.
   */
  static fromParts(parts: {
    bytes: number;
    commitIds: Buffer;
    times: Float64Array;
    parentStart: Int32Array;
    parentList: Int32Array;
    outsideIds: Buffer;
    paths: string[];
    blobIds: Buffer;
    occStart: Int32Array;
    occPairs: Int32Array;
    gitlinks: string[];
  }): HistoryIndex {
    const index = new HistoryIndex(parts.bytes);
    const { bytes } = parts;
    index.commitIds = OidTable.fromStore(bytes, parts.commitIds.length / bytes, parts.commitIds);
    index.outsideIds = OidTable.fromStore(bytes, parts.outsideIds.length / bytes, parts.outsideIds);
    index.blobIds = OidTable.fromStore(bytes, parts.blobIds.length / bytes, parts.blobIds);
    index.times = parts.times;
    index.parentStart = parts.parentStart;
    index.parentList = parts.parentList;
    index.occStart = parts.occStart;
    index.occPairs = parts.occPairs;
    index.paths = parts.paths;
    for (const g of parts.gitlinks) index.gitlinks.add(g);
    index.building = undefined;
    index.pathIds = undefined;
    return index;
  }
}
