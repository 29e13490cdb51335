/**
 * The last version of each recently scanned file, kept so the next version of that file can reuse
 * its chunks (see `BlobScanner`). The bytes are copied into one ring buffer of fixed size, oldest
 * overwritten first, instead of keeping each blob's own buffer alive.
 *
 * Why a ring: nearly every blob of a history is kept here for a while, so a blob's buffer used to
 * outlive the young generation and die old. On git/git each worker thread then held 45-65 MB of
 * dead blob buffers between full collections (V8 lets external memory grow by about 64 MB before
 * it collects for it), most of the node process's peak. Copied into the ring, the buffers git's
 * output arrived in die young and are freed at the next scavenge; the ring itself never changes.
 */

/** What is kept of one version: its bytes (a view into the ring) and what the scanner adds. */
export interface KeptVersion<T> {
  readonly buf: Buffer;
  readonly extra: T;
}

interface Slot<T> {
  path: string;
  start: number;
  /** Undefined once a newer version of the path replaced it: its bytes wait for their turn, what the scanner added does not. */
  version: KeptVersion<T> | undefined;
}

export class RecentVersions<T> {
  private ring: Buffer | undefined;
  private byPath = new Map<string, Slot<T>>();
  /** Slots in the order they were written, from `head` on; replaced ones are dropped now and then. */
  private order: Slot<T>[] = [];
  private head = 0;
  /** Slots in `order` past `head` whose path has a newer version. */
  private replaced = 0;
  /** Where the next version is written. */
  private at = 0;

  constructor(private readonly capacity: number) {}

  get(path: string): KeptVersion<T> | undefined {
    return this.byPath.get(path)?.version;
  }

  /**
   * Keeps a copy of `buf` as `path`'s last version, in place of the one before. A version larger
   * than the ring is not kept (the file's next version is then scanned without it, as the first).
   */
  keep(path: string, buf: Buffer, extra: T): void {
    const old = this.byPath.get(path);
    if (old) {
      // the replaced version's chunks go now, not when the ring comes round to its bytes
      old.version = undefined;
      this.byPath.delete(path);
      this.replaced++;
    }
    const n = buf.length;
    if (n > this.capacity) return;
    const ring = (this.ring ??= Buffer.allocUnsafeSlow(this.capacity));
    if (this.at + n > this.capacity) {
      // the rest of this lap is too short: what still lies there is the oldest, and goes
      // (to the end: an empty version may sit at the very end, at `capacity` itself)
      this.evictFrom(this.at, Infinity);
      this.at = 0;
    }
    this.evictFrom(this.at, this.at + n);
    buf.copy(ring, this.at);
    const slot: Slot<T> = { path, start: this.at, version: { buf: ring.subarray(this.at, this.at + n), extra } };
    this.at += n;
    this.byPath.set(path, slot);
    this.order.push(slot);
  }

  /**
   * Drops the oldest slots while they start in [from, to). Slots of the previous lap lie at or
   * after `from` (the write position) and are the oldest; the first slot that starts before it
   * belongs to this lap, and so does everything after it.
   */
  private evictFrom(from: number, to: number): void {
    while (this.head < this.order.length) {
      const s = this.order[this.head]!;
      if (s.start < from || s.start >= to) break;
      if (this.byPath.get(s.path) === s) this.byPath.delete(s.path);
      else this.replaced--;
      s.version = undefined;
      this.head++;
    }
    // The consumed front is cut off now and then, not on every eviction. So are replaced slots:
    // a ring of tiny versions (a history of one-line edits to thousands of files) holds a hundred
    // thousand of them, and their objects filled a thread's heap where the versions that count
    // are the few thousand of `byPath`.
    if (this.replaced > 1024 && this.replaced > this.byPath.size) {
      // in place: a new array each time would be garbage of its own
      let w = 0;
      for (let r = this.head; r < this.order.length; r++) {
        const s = this.order[r]!;
        if (s.version !== undefined) this.order[w++] = s;
      }
      this.order.length = w;
      this.head = 0;
      this.replaced = 0;
    } else if (this.head > 1024 && this.head * 2 > this.order.length) {
      this.order.copyWithin(0, this.head);
      this.order.length -= this.head;
      this.head = 0;
    }
  }
}
