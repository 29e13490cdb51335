/**
 * Blob verdicts of the scan cache, held compactly: binary ids in one table, sizes in a typed
 * array, and an object only for the few blobs that are binary, LFS pointers or had matches. A
 * history of a million blobs is then a few buffers, not a million map entries keyed by hex strings.
 */
import { OidTable } from '../sources/history-index.js';

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

/** A verdict: a clean text blob (most of them) is just its size. */
export type Verdict = number | BlobVerdict;

export function verdictSize(v: Verdict): number {
  return typeof v === 'number' ? v : v.size;
}

/** The compact form of a verdict. */
export function verdict(size: number, binary: boolean, lfs: boolean, spots: MatchSpot[], archive = false): Verdict {
  return binary || lfs || archive || spots.length ? { size, binary, lfs, spots, archive } : size;
}

export class Verdicts {
  private ids: OidTable;
  private sizes: Float64Array;
  /** Verdicts that are more than a size, by blob number. */
  private readonly detail = new Map<number, BlobVerdict>();

  constructor(bytes = 0, capacity = 1024) {
    this.ids = new OidTable(bytes);
    this.sizes = new Float64Array(capacity);
  }

  get size(): number {
    return this.ids.count;
  }

  /** Bytes per object id (0 while empty). */
  get idBytes(): number {
    return this.ids.bytes;
  }

  get(oid: string): Verdict | undefined {
    const n = this.ids.find(oid);
    return n < 0 ? undefined : this.at(n);
  }

  /** The verdict of the binary id of `bytes` at `buf[at..]` (a history index's table), without a hex string. */
  getBinary(buf: Uint8Array, at: number, bytes: number): Verdict | undefined {
    if (bytes !== this.ids.bytes) return undefined;
    const n = this.ids.lookup(buf, at);
    return n < 0 ? undefined : this.at(n);
  }

  has(oid: string): boolean {
    return this.ids.find(oid) >= 0;
  }

  set(oid: string, v: Verdict): void {
    if (this.ids.bytes && oid.length !== this.ids.bytes * 2) return; // see setBinary
    this.stored(this.ids.add(oid), v);
  }

  /** `set` for a binary id of `bytes` at `buf[at..]`; the first id sets the table's width. */
  setBinary(buf: Uint8Array, at: number, bytes: number, v: Verdict): void {
    if (!this.ids.bytes) this.ids = new OidTable(bytes);
    if (bytes !== this.ids.bytes) return; // one object format per repository: ids of another length are not kept
    this.stored(this.ids.addBinary(buf, at), v);
  }

  private stored(n: number, v: Verdict): void {
    if (n >= this.sizes.length) {
      const next = new Float64Array(Math.max(n + 1, Math.ceil(this.sizes.length * 1.5)));
      next.set(this.sizes);
      this.sizes = next;
    }
    if (typeof v === 'number') {
      this.sizes[n] = v;
      this.detail.delete(n);
    } else {
      this.sizes[n] = v.size;
      this.detail.set(n, v);
    }
  }

  private at(n: number): Verdict {
    return this.detail.get(n) ?? this.sizes[n]!;
  }

  /** The binary ids, in the order they were added (`bytes` each). */
  idStore(): Buffer {
    return this.ids.store.subarray(0, this.ids.count * this.ids.bytes);
  }

  /** Every verdict's size, in the order they were added (a view: a detailed verdict's size is here too). */
  sizeColumn(): Float64Array {
    return this.sizes.subarray(0, this.ids.count);
  }

  /** Verdict number `n`, in the order they were added. */
  nth(n: number): Verdict {
    return this.at(n);
  }

  /** The verdicts of `count` binary ids laid out in `store`, with their sizes and details. */
  static fromColumns(bytes: number, store: Buffer, sizes: Float64Array, detail: Map<number, BlobVerdict>): Verdicts {
    const v = new Verdicts(bytes, 0);
    v.ids = OidTable.fromStore(bytes, store.length / bytes, store);
    v.sizes = sizes;
    for (const [n, d] of detail) v.detail.set(n, d);
    return v;
  }
}
