/**
 * The blob scanner's memory of chunks it has matched before, across a whole history: SHA-1 of the
 * chunk's bytes -> what the rules found there. Nearly every entry says "nothing" (no keyword, or
 * keywords but no match), so the keys live in one flat table of binary ids (`OidTable`) and the
 * verdicts in a typed array; only chunks with matches have an object of their own.
 *
 * Why not a Map of digest strings: a worker thread of a history scan holds up to millions of
 * entries, and each was a string and a map slot in the heap. Every full collection marks them all,
 * and a heap of that size is collected often: on lodash's history a thread's live heap was over 8
 * MB and full collections, with their background marking, were most of what the larger rule pack
 * seemed to cost. In typed arrays the same entries are a few objects, whatever their number.
 */
import { IntList, OidTable } from '../sources/history-index.js';

const SHA1_BYTES = 20;

export class ChunkCache<T> {
  private ids = new OidTable(SHA1_BYTES);
  /** Per id: the index of a shared verdict in `shared`, or -1 when its value is in `own`. */
  private kinds = new IntList();
  private own = new Map<number, T>();
  private readonly scratch = Buffer.alloc(SHA1_BYTES);

  /** `shared`: the values most entries hold (the same object each time), kept as a small number. */
  constructor(private readonly shared: readonly T[]) {}

  get size(): number {
    return this.ids.count;
  }

  /** `key`: a SHA-1 digest as 20 latin1 characters. */
  get(key: string): T | undefined {
    const id = this.ids.lookup(this.bytesOf(key), 0);
    if (id < 0) return undefined;
    const kind = this.kinds.data[id]!;
    return kind >= 0 ? this.shared[kind] : this.own.get(id);
  }

  set(key: string, value: T): void {
    const before = this.ids.count;
    const id = this.ids.addBinary(this.bytesOf(key), 0);
    const kind = this.shared.indexOf(value);
    if (id === before) this.kinds.push(kind);
    else this.kinds.data[id] = kind;
    if (kind < 0) this.own.set(id, value);
    else this.own.delete(id);
  }

  clear(): void {
    this.ids = new OidTable(SHA1_BYTES);
    this.kinds = new IntList();
    this.own.clear();
  }

  private bytesOf(key: string): Buffer {
    if (key.length !== SHA1_BYTES) throw new Error(`a chunk key of ${key.length} characters`);
    this.scratch.write(key, 0, SHA1_BYTES, 'latin1');
    return this.scratch;
  }
}
