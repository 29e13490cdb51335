/**
 * Blob sizes of a history scan, by the history index's blob numbers (a typed array, not a map
 * keyed by hex ids: a history can hold millions of blobs); blobs outside the index (dangling ones,
 * with --all-objects) are kept by id.
 */
import type { HistoryIndex } from '../sources/history.js';
import { OidTable } from '../sources/history-index.js';

export class BlobSizes {
  private readonly byBlob: Float64Array;
  private readonly others = new Map<string, number>();

  constructor(private readonly index: HistoryIndex) {
    this.byBlob = new Float64Array(index.blobCount).fill(-1);
  }

  /** The size of blob number `b`, or undefined when it is not known (missing, or never asked for). */
  at(b: number): number | undefined {
    const s = this.byBlob[b]!;
    return s < 0 ? undefined : s;
  }

  setAt(b: number, size: number): void {
    this.byBlob[b] = size;
  }

  get(oid: string): number | undefined {
    const b = this.index.findBlob(oid);
    return b >= 0 ? this.at(b) : this.others.get(oid);
  }

  set(oid: string, size: number): void {
    const b = this.index.findBlob(oid);
    if (b >= 0) this.byBlob[b] = size;
    else this.others.set(oid, size);
  }
}

/**
 * Sizes of the blobs a scan read, by id, as they come back from the threads: ids binary in one
 * table and sizes in a typed array (about 40 bytes a blob, where a map keyed by hex ids took
 * about 90), iterated in the order they were read.
 */
export class ReadSizes implements Iterable<[string, number]> {
  private readonly ids = new OidTable();
  private sizes = new Float64Array(1024);

  get size(): number {
    return this.ids.count;
  }

  set(oid: string, size: number): void {
    if (this.ids.bytes && oid.length !== this.ids.bytes * 2) return; // one object format per repository
    const n = this.ids.add(oid);
    if (n >= this.sizes.length) {
      const next = new Float64Array(Math.ceil(this.sizes.length * 1.5) + 1);
      next.set(this.sizes);
      this.sizes = next;
    }
    this.sizes[n] = size;
  }

  *[Symbol.iterator](): IterableIterator<[string, number]> {
    for (let n = 0; n < this.ids.count; n++) yield [this.ids.hex(n), this.sizes[n]!];
  }
}
