/**
 * Blob sizes of a history scan, by the history index's blob numbers (a typed array, not a map
 * keyed by hex ids: a history can hold millions of blobs); blobs outside the index (dangling ones,
 * with --all-objects) are kept by id.
 */
import type { HistoryIndex } from '../sources/history.js';

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
 * Sizes of the blobs a scan read, as they come back from the threads: by the history index's blob
 * number in a typed array (8 bytes a blob; holding their ids again beside the index's took about
 * 40), and by id for a blob the index does not hold.
 */
export class ReadSizes {
  private byBlob = new Float64Array(1024).fill(-1);
  private readonly others = new Map<string, number>();

  set(blob: number, oid: string, size: number): void {
    if (blob < 0) {
      this.others.set(oid, size);
      return;
    }
    if (blob >= this.byBlob.length) {
      const next = new Float64Array(Math.max(blob + 1, Math.ceil(this.byBlob.length * 1.5))).fill(-1);
      next.set(this.byBlob);
      this.byBlob = next;
    }
    this.byBlob[blob] = size;
  }

  /** Into a scan's sizes. */
  copyInto(sizes: BlobSizes): void {
    for (let b = 0; b < this.byBlob.length; b++) if (this.byBlob[b]! >= 0) sizes.setAt(b, this.byBlob[b]!);
    for (const [oid, size] of this.others) sizes.set(oid, size);
  }

  /** Every size read, with its blob's id (named through the index). */
  *entries(index: HistoryIndex): IterableIterator<[string, number]> {
    for (let b = 0; b < this.byBlob.length; b++) if (this.byBlob[b]! >= 0) yield [index.blobOid(b), this.byBlob[b]!];
    yield* this.others;
  }
}
