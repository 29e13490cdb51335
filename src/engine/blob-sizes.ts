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
