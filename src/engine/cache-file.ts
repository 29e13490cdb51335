/**
 * The scan cache's files on disk: a checked envelope around a binary body, written to a temporary
 * file and renamed into place (a reader sees the old file or the new one, never half of one), and
 * a lock so that only one scan writes at a time. A file that is truncated, corrupt, of another
 * format or written for another key reads as absent: the caller then scans in full.
 *
 * Envelope: magic (8 bytes) | kind (8 bytes) | key (32 bytes) | body | SHA-256 of everything
 * before it (32 bytes). No length comes before the body, so that a body is written as it is
 * encoded, piece by piece, and never held whole (on a 500,000-commit history the walk and verdicts
 * encode to about 85 MB); the body is what lies between the head and the sum, and a file cut or
 * grown anywhere fails the sum.
 */
import {
  closeSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { nodeCrypto } from './fingerprint.js';

/** Bumped whenever the layout of any cache body changes: older files then read as absent. */
const MAGIC = Buffer.from('LGCACHE4', 'latin1');
const KIND_BYTES = 8;
const KEY_BYTES = 32;
const HEAD_BYTES = MAGIC.length + KIND_BYTES + KEY_BYTES;
const SUM_BYTES = 32;
/** A streamed body goes to the file in pieces of about this size. */
const PIECE_BYTES = 1 << 20;

/** Reads a cache file: its body when the file is whole, of this kind and for this key; otherwise undefined. */
export function readCacheFile(file: string, kind: string, key: Buffer): Buffer | undefined {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch {
    return undefined;
  }
  if (buf.length < HEAD_BYTES + SUM_BYTES) return undefined;
  if (!headMatches(buf, kind, key)) return undefined;
  const end = buf.length - SUM_BYTES;
  const sum = nodeCrypto().createHash('sha256').update(buf.subarray(0, end)).digest();
  if (!sum.equals(buf.subarray(end))) return undefined;
  return buf.subarray(HEAD_BYTES, end);
}

function headMatches(head: Buffer, kind: string, key: Buffer): boolean {
  return (
    head.subarray(0, MAGIC.length).equals(MAGIC) &&
    head.subarray(MAGIC.length, MAGIC.length + KIND_BYTES).equals(kindBytes(kind)) &&
    head.subarray(MAGIC.length + KIND_BYTES, HEAD_BYTES).equals(key)
  );
}

/** Whether a cache file starts as one of this kind and key would (its body is not checked: see readCacheFile). */
export function cacheFileHeadMatches(file: string, kind: string, key: Buffer): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const head = Buffer.alloc(HEAD_BYTES);
    if (readSync(fd, head, 0, HEAD_BYTES, 0) !== HEAD_BYTES) return false;
    return headMatches(head, kind, key);
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Writes a cache file: `encode` writes the body into the writer it is given, which passes it on to
 * a temporary file beside `file` piece by piece, the checksum following along; the file is renamed
 * over `file` only once it is whole. If `encode` throws, the temporary file is removed and `file`
 * is left as it was.
 */
export function writeCacheFile(file: string, kind: string, key: Buffer, encode: (w: BodyWriter) => void): void {
  const head = Buffer.alloc(HEAD_BYTES);
  MAGIC.copy(head, 0);
  kindBytes(kind).copy(head, MAGIC.length);
  key.copy(head, MAGIC.length + KIND_BYTES);
  const hash = nodeCrypto().createHash('sha256');
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    const fd = openSync(tmp, 'w', 0o600);
    try {
      const write = (bytes: Uint8Array) => {
        for (let at = 0; at < bytes.length;) at += writeSync(fd, bytes, at);
      };
      const put = (bytes: Uint8Array) => {
        hash.update(bytes);
        write(bytes);
      };
      put(head);
      const w = new BodyWriter(PIECE_BYTES, put);
      encode(w);
      w.flush();
      write(hash.digest());
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

function kindBytes(kind: string): Buffer {
  const b = Buffer.alloc(KIND_BYTES);
  b.write(kind, 'latin1');
  return b;
}

/** A lock older than this was left by a scan that died while writing (a write takes well under a second). */
const STALE_LOCK_MS = 30_000;
/** How long a scan waits for another one to finish writing before it leaves the cache alone. */
const LOCK_WAIT_MS = 1_000;

/**
 * Runs `write` holding the directory's lock (a file created exclusively). When another scan holds
 * it for longer than a short wait, nothing is written and false is returned: that scan's results
 * are as good, and two writers never interleave.
 */
export async function withCacheLock(dir: string, write: () => void): Promise<boolean> {
  const lock = join(dir, 'lock');
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    let fd: number | undefined;
    try {
      fd = openSync(lock, 'wx', 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') return false;
    }
    if (fd !== undefined) {
      try {
        writeFileSync(fd, `${process.pid}\n`);
        closeSync(fd);
        write();
        return true;
      } finally {
        rmSync(lock, { force: true });
      }
    }
    const age = lockAge(lock);
    if (age !== undefined && age > STALE_LOCK_MS) {
      rmSync(lock, { force: true });
      continue;
    }
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

function lockAge(lock: string): number | undefined {
  try {
    return Date.now() - statSync(lock).mtimeMs;
  } catch {
    return undefined;
  }
}

/**
 * Unsigned varints, raw bytes and strings, into a growing buffer, or with a `sink` into a buffer
 * of fixed size that is handed to the sink whenever it fills (the sink must be done with the bytes
 * when it returns: the buffer is reused). Large raw blocks go to the sink as they are, uncopied.
 */
export class BodyWriter {
  private buf: Buffer;
  private at = 0;

  /** `expect`: about how large the body will be (or, with a sink, the piece size), so a large one is not copied as it grows. */
  constructor(
    expect = 1 << 16,
    private readonly sink?: (bytes: Uint8Array) => void,
  ) {
    this.buf = Buffer.allocUnsafe(Math.max(expect, 1 << 16));
  }

  /** Hands what is buffered to the sink. */
  flush(): void {
    if (!this.sink || !this.at) return;
    this.sink(this.buf.subarray(0, this.at));
    this.at = 0;
  }

  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    if (this.sink) {
      this.flush();
      if (n <= this.buf.length) return;
    }
    let size = this.buf.length * 2;
    while (size < this.at + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.at);
    this.buf = next;
  }

  /** A non-negative integer up to 2^53, seven bits a byte. */
  uint(n: number): void {
    if (n < 0x80 && this.at < this.buf.length) {
      this.buf[this.at++] = n; // most numbers are small: one byte
      return;
    }
    this.room(8);
    while (n >= 0x80) {
      this.buf[this.at++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.at++] = n;
  }

  /** A signed integer (commit times may precede 1970). */
  int(n: number): void {
    this.uint(n < 0 ? -2 * n - 1 : 2 * n);
  }

  /** An object id, written as its raw bytes (the length is the repository's, written once). */
  hex(oid: string): void {
    this.room(oid.length >> 1);
    this.at += this.buf.write(oid, this.at, 'hex');
  }

  /** Many object ids at once, as raw bytes: one conversion for all of them. */
  hexColumn(oids: string[]): void {
    const raw = Buffer.from(oids.join(''), 'hex');
    this.room(raw.length);
    raw.copy(this.buf, this.at);
    this.at += raw.length;
  }

  /** Bytes as they are (a table of binary object ids); the reader is told the length. */
  raw(bytes: Uint8Array): void {
    if (this.sink && bytes.length >= this.buf.length >> 2) {
      this.flush();
      this.sink(bytes);
      return;
    }
    this.room(bytes.length);
    this.buf.set(bytes, this.at);
    this.at += bytes.length;
  }

  /** A typed array's bytes as they are (little-endian, as on every platform node runs on here). */
  array(a: Int32Array | Float64Array): void {
    this.raw(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  }

  str(s: string): void {
    const n = Buffer.byteLength(s, 'utf8');
    this.uint(n);
    this.room(n);
    this.at += this.buf.write(s, this.at, 'utf8');
  }

  /** The whole body (a writer without a sink). */
  done(): Buffer {
    if (this.sink) throw new Error('a streamed body is not held');
    return this.buf.subarray(0, this.at);
  }
}

/** Thrown on a body that ends early or holds an impossible value: the file is then treated as absent. */
export class BadCacheBody extends Error {}

export class BodyReader {
  private at = 0;
  constructor(private readonly buf: Buffer) {}

  uint(): number {
    const first = this.buf[this.at];
    if (first !== undefined && first < 0x80) {
      this.at++;
      return first; // most numbers are small: one byte
    }
    let n = 0;
    let scale = 1;
    for (;;) {
      if (this.at >= this.buf.length) throw new BadCacheBody('cache body ends early');
      const b = this.buf[this.at++]!;
      n += (b & 0x7f) * scale;
      if (b < 0x80) return n;
      scale *= 0x80;
      if (scale > 2 ** 56) throw new BadCacheBody('cache body holds an oversized number');
    }
  }

  /** An unsigned integer that must be below `limit` (an index into a table read before). */
  below(limit: number): number {
    const n = this.uint();
    if (n >= limit) throw new BadCacheBody('cache body holds an index out of range');
    return n;
  }

  int(): number {
    const n = this.uint();
    return n % 2 ? -(n + 1) / 2 : n / 2;
  }

  hex(bytes: number): string {
    if (this.at + bytes > this.buf.length) throw new BadCacheBody('cache body ends early');
    const s = this.buf.toString('hex', this.at, this.at + bytes);
    this.at += bytes;
    return s;
  }

  /**
   * `count` object ids written by `hexColumn`, as one hex string: each id is a slice of it, which
   * V8 makes without copying.
   */
  hexColumn(count: number, bytes: number): string {
    const n = count * bytes;
    if (this.at + n > this.buf.length) throw new BadCacheBody('cache body ends early');
    const s = this.buf.toString('hex', this.at, this.at + n);
    this.at += n;
    return s;
  }

  /** `n` bytes written by `raw`, as a view of the body. */
  raw(n: number): Buffer {
    if (this.at + n > this.buf.length) throw new BadCacheBody('cache body ends early');
    const out = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }

  /** `n` 32-bit integers written by `array` (copied: the body is not aligned for a view). */
  int32s(n: number): Int32Array {
    // bounds first: a count read from the file must not size an allocation the body cannot fill
    if (this.at + n * 4 > this.buf.length) throw new BadCacheBody('cache body ends early');
    const out = new Int32Array(n);
    new Uint8Array(out.buffer).set(this.raw(n * 4));
    return out;
  }

  float64s(n: number): Float64Array {
    if (this.at + n * 8 > this.buf.length) throw new BadCacheBody('cache body ends early');
    const out = new Float64Array(n);
    new Uint8Array(out.buffer).set(this.raw(n * 8));
    return out;
  }

  str(): string {
    const n = this.uint();
    if (this.at + n > this.buf.length) throw new BadCacheBody('cache body ends early');
    const s = this.buf.toString('utf8', this.at, this.at + n);
    this.at += n;
    return s;
  }

  end(): void {
    if (this.at !== this.buf.length) throw new BadCacheBody('cache body has bytes after its end');
  }
}
