/**
 * Reads zip, tar and gzip archives held in memory: `readArchive` hands over each member's bytes,
 * inflated in memory under hard output limits, nested archives included up to a depth. Only reads bytes:
 * nothing is written anywhere, and nothing here decides what a finding is.
 *
 * Decompression bombs are bounded by limits on members, total output, the ratio of output to
 * input, each member's size and the nesting depth. Sizes an archive declares are never trusted:
 * every inflation runs with zlib's `maxOutputLength`, set from the limits. A limit that is reached,
 * a malformed or truncated structure, an encrypted member or an unsupported compression method is
 * reported as a problem, never skipped silently.
 */
import { createRequire } from 'node:module';

let zlibModule: typeof import('node:zlib') | undefined;
/** node:zlib takes milliseconds to load: only a scan that meets a compressed archive pays them (not every pre-commit run). */
const zlib = () => (zlibModule ??= createRequire(import.meta.url)('node:zlib') as typeof import('node:zlib'));

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;

function findEocd(data: Buffer): number {
  // the end record is 22 bytes plus a comment of at most 65,535
  const lowest = Math.max(0, data.length - 22 - 0xffff);
  for (let i = data.length - 22; i >= lowest; i--) if (data.readUInt32LE(i) === EOCD) return i;
  return -1;
}

function octal(data: Buffer, start: number, len: number): number {
  // GNU base-256 for sizes of 8 GiB and more: the high bit of the first byte is set
  if (data[start]! & 0x80) {
    let v = 0;
    for (let i = start + 1; i < start + len; i++) v = v * 256 + data[i]!;
    return v;
  }
  const text = data
    .toString('latin1', start, start + len)
    .replace(/[\0 ]+$/, '')
    .trim();
  return text ? parseInt(text, 8) : 0;
}

/** A tar header's checksum holds: the sum of its bytes, with the checksum field read as spaces. */
function isTarHeader(data: Buffer, at: number): boolean {
  if (at + 512 > data.length) return false;
  const stored = octal(data, at + 148, 8);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : data[at + i]!;
  return stored === sum && sum !== 256;
}

function cString(data: Buffer, start: number, len: number): string {
  const end = data.indexOf(0, start);
  return data.toString('utf8', start, end >= 0 && end < start + len ? end : start + len);
}

/** What `readArchive` may inflate and enter. */
export interface ReadLimits {
  /** Members read from one archive, nested ones included, before reading stops. */
  maxMembers: number;
  /** Bytes inflated from one archive, nested ones included, before reading stops. */
  maxTotalBytes: number;
  /** Output / input above which an inflation is taken for a bomb (only past RATIO_FLOOR bytes of output). */
  maxRatio: number;
  /** A member larger than this is not handed over (the scan's content limit). */
  maxMemberBytes: number;
  /** Archive levels entered: 1 reads the archive's own members, 2 also archives inside it. */
  maxDepth: number;
}

export const DEFAULT_READ_LIMITS: ReadLimits = {
  maxMembers: 10_000,
  maxTotalBytes: 100 * 1000 * 1000,
  maxRatio: 100,
  maxMemberBytes: 25 * 1000 * 1000,
  maxDepth: 2,
};

/**
 * Text that compresses well is not a bomb: the ratio limit applies only to an output larger than
 * this (a megabyte of spaces deflates a thousandfold and is harmless).
 */
export const RATIO_FLOOR = 1024 * 1024;

/** The kind of archive, from its first bytes: cheap enough to ask of every file. */
export type ArchiveMagic = 'zip' | 'tar' | 'gzip';

export function archiveMagic(buf: Buffer): ArchiveMagic | undefined {
  if (buf.length < 4) return undefined;
  const b0 = buf[0];
  // zip, jar, war, whl, nupkg, apk...: a local file header, or the end record of an empty zip
  if (b0 === 0x50)
    return buf[1] === 0x4b && ((buf[2] === 3 && buf[3] === 4) || (buf[2] === 5 && buf[3] === 6)) ? 'zip' : undefined;
  if (b0 === 0x1f) return buf[1] === 0x8b ? 'gzip' : undefined;
  // ustar, pax and GNU tar all carry "ustar" at 257
  if (buf.length >= 512 && buf[257] === 0x75 && buf.toString('latin1', 257, 262) === 'ustar') return 'tar';
  return undefined;
}

/** One member's bytes; `path` is its chain inside the outermost archive (`b.tar!c/.env`). */
export interface MemberBytes {
  path: string;
  data: Buffer;
  /** The member is itself an archive whose members follow (its bytes are not text to scan). */
  container: boolean;
}

/** Something `readArchive` could not read; `path` is the (nested) archive's chain, '' for the outermost. */
export interface ArchiveProblem {
  path: string;
  reason: string;
}

/** Thrown inside the reader when a limit ends the whole archive's reading. */
class StopReading extends Error {}

/**
 * Calls `visit` with every member of the archive in `data` (of kind `magic`), in archive order,
 * entering nested archives up to `maxDepth`, and returns what could not be read. A member's
 * bytes are valid only during its call (they may be a view into a larger buffer).
 * `nameHint`: the archive's own file name, to name the one member of a gzip without a stored name.
 */
export function readArchive(
  data: Buffer,
  magic: ArchiveMagic,
  limits: ReadLimits,
  visit: (m: MemberBytes) => void,
  nameHint?: string,
): ArchiveProblem[] {
  const r = new ArchiveReader(limits, visit);
  try {
    r.read(data, magic, '', 1, nameHint);
  } catch (e) {
    if (!(e instanceof StopReading)) throw e;
  }
  return r.problems;
}

class ArchiveReader {
  readonly problems: ArchiveProblem[] = [];
  private members = 0;
  private inflated = 0;

  constructor(
    private readonly limits: ReadLimits,
    private readonly visit: (m: MemberBytes) => void,
  ) {}

  private problem(path: string, reason: string): void {
    this.problems.push({ path, reason });
  }

  read(data: Buffer, magic: ArchiveMagic, chain: string, depth: number, nameHint?: string): void {
    if (magic === 'zip') this.zip(data, chain, depth);
    else if (magic === 'tar') this.tar(data, chain, depth);
    else this.gzip(data, chain, depth, nameHint);
  }

  /** A member found: counted, then entered (an archive within the depth) or handed over. */
  private member(chain: string, name: string, data: Buffer, depth: number): void {
    if (++this.members > this.limits.maxMembers) {
      this.problem(chain, `more than ${this.limits.maxMembers} members: reading stopped (member limit)`);
      throw new StopReading();
    }
    const path = chain ? `${chain}!${name}` : name;
    const magic = archiveMagic(data);
    if (!magic) {
      this.visit({ path, data, container: false });
      return;
    }
    this.visit({ path, data, container: true });
    if (depth >= this.limits.maxDepth) {
      this.problem(path, `an archive nested deeper than ${this.limits.maxDepth} levels: not read (depth limit)`);
      return;
    }
    this.read(data, magic, path, depth + 1, baseName(name));
  }

  /**
   * Room for one inflation, and what it would mean to reach it: the member limit, what is left of
   * the total, or the ratio to the input (never below RATIO_FLOOR).
   */
  private room(input: number): { cap: number; why: 'member' | 'total' | 'ratio' } {
    const left = this.limits.maxTotalBytes - this.inflated;
    const ratio = Math.max(RATIO_FLOOR, this.limits.maxRatio * Math.max(1, input));
    const member = this.limits.maxMemberBytes;
    if (left <= member && left <= ratio) return { cap: Math.max(0, left), why: 'total' };
    return ratio < member ? { cap: ratio, why: 'ratio' } : { cap: member, why: 'member' };
  }

  /** Inflates with a hard output limit; undefined (with the problem reported) when it cannot. */
  private inflate(
    what: string,
    chain: string,
    input: Buffer,
    run: (maxOutputLength: number) => Buffer,
  ): Buffer | undefined {
    const { cap, why } = this.room(input.length);
    let out: Buffer | undefined;
    try {
      // one byte over the cap tells "exactly the cap" from "more"
      out = run(cap + 1);
    } catch (e) {
      const tooBig = (e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError;
      if (!tooBig) {
        this.problem(chain, `${what} cannot be inflated (${(e as Error).message}): not read (corrupt or truncated)`);
        return undefined;
      }
    }
    if (out && out.length <= cap) {
      this.inflated += out.length;
      return out;
    }
    if (why === 'total') {
      this.problem(
        chain,
        `${what}: the archive inflates to more than ${this.limits.maxTotalBytes} bytes in all: reading stopped (total size limit)`,
      );
      throw new StopReading();
    }
    if (why === 'ratio')
      this.problem(
        chain,
        `${what} inflates more than ${Math.floor(cap / Math.max(1, input.length))}x (${input.length} bytes to over ${cap}; the limit is ${this.limits.maxRatio}x): suspected decompression bomb, not read (ratio limit)`,
      );
    else
      this.problem(chain, `${what} is larger than ${this.limits.maxMemberBytes} bytes: not read (member size limit)`);
    return undefined;
  }

  private gzip(data: Buffer, chain: string, depth: number, nameHint?: string): void {
    const out = this.inflate('the gzip stream', chain, data, (max) =>
      zlib().gunzipSync(data, { maxOutputLength: max }),
    );
    if (!out) return;
    if (out.length >= 512 && (out.toString('latin1', 257, 262) === 'ustar' || isTarHeader(out, 0))) {
      this.tar(out, chain, depth); // .tar.gz / .tgz: one level, the tar's members
      return;
    }
    this.member(chain, gzipName(data) ?? gunzippedName(nameHint), out, depth);
  }

  private tar(data: Buffer, chain: string, depth: number): void {
    let at = 0;
    let longName: string | undefined;
    // a pax header's size for the next member: a size too large for the ustar field is only there
    let paxSize: number | undefined;
    while (at + 512 <= data.length) {
      if (isZeroBlock(data, at)) return; // end of archive
      if (!isTarHeader(data, at)) {
        this.problem(chain, `tar: bad header checksum at byte ${at}: reading stopped (corrupt)`);
        return;
      }
      const type = String.fromCharCode(data[at + 156]!);
      const headerSize = octal(data, at + 124, 12);
      const size = type === 'L' || type === 'x' || type === 'g' ? headerSize : (paxSize ?? headerSize);
      paxSize = type === 'x' ? paxSize : undefined;
      const body = at + 512;
      if (!Number.isFinite(size) || body + size > data.length) {
        this.problem(chain, `tar: the member at byte ${at} runs past the end: reading stopped (truncated)`);
        return;
      }
      const next = body + Math.ceil(size / 512) * 512;
      if (type === 'L' || type === 'x') {
        // the next member's long name: GNU's 'L', or a pax header's path record (and its size)
        if (type === 'L') longName = cString(data, body, size);
        else {
          const pax = paxRecords(data, body, size);
          longName = pax.path ?? longName;
          paxSize = pax.size;
        }
        at = next;
        continue;
      }
      let name = longName ?? cString(data, at, 100);
      longName = undefined;
      const prefix = data.toString('latin1', at + 257, at + 262) === 'ustar' ? cString(data, at + 345, 155) : '';
      if (prefix && name === cString(data, at, 100)) name = `${prefix}/${name}`;
      if (type === '0' || type === '\0' || type === '7') {
        if (size > this.limits.maxMemberBytes)
          this.problem(
            chain,
            `${name} is larger than ${this.limits.maxMemberBytes} bytes: not read (member size limit)`,
          );
        else this.member(chain, cleanName(name), data.subarray(body, body + size), depth);
      }
      at = next;
    }
    if (at < data.length || data.length === 0)
      this.problem(
        chain,
        'tar: the archive ends without its end-of-archive blocks: read as far as it goes (truncated)',
      );
  }

  private zip(data: Buffer, chain: string, depth: number): void {
    const eocd = findEocd(data);
    if (eocd < 0) {
      this.problem(
        chain,
        'zip: no central directory (truncated?): members read from their local headers as far as they go',
      );
      this.zipLocal(data, chain, depth);
      return;
    }
    const count = data.readUInt16LE(eocd + 10);
    const cdSize = data.readUInt32LE(eocd + 12);
    const cdOffset = data.readUInt32LE(eocd + 16);
    if (count === 0xffff || cdOffset === 0xffffffff || cdSize === 0xffffffff) {
      this.problem(chain, 'zip: a ZIP64 archive, not supported: not read');
      return;
    }
    // a prefix (a self-extracting stub) shifts every offset by the same amount
    const shift = Math.max(0, eocd - cdSize - cdOffset);
    let at = cdOffset + shift;
    for (let n = 0; n < count; n++) {
      if (at + 46 > data.length || data.readUInt32LE(at) !== CENTRAL) {
        this.problem(
          chain,
          `zip: central directory entry ${n + 1} of ${count} is malformed: reading stopped (corrupt)`,
        );
        return;
      }
      const flags = data.readUInt16LE(at + 8);
      const method = data.readUInt16LE(at + 10);
      const compressedSize = data.readUInt32LE(at + 20);
      const nameLen = data.readUInt16LE(at + 28);
      const extraLen = data.readUInt16LE(at + 30);
      const commentLen = data.readUInt16LE(at + 32);
      const local = data.readUInt32LE(at + 42) + shift;
      const name = zipName(data, at + 46, nameLen, flags);
      at += 46 + nameLen + extraLen + commentLen;
      if (name.endsWith('/')) continue; // a directory
      if (compressedSize === 0xffffffff || local - shift === 0xffffffff) {
        this.problem(chain, `zip: ${name} has ZIP64 sizes, not supported: not read`);
        continue;
      }
      if (local + 30 > data.length || data.readUInt32LE(local) !== LOCAL) {
        this.problem(chain, `zip: ${name}: its local header is missing: not read (corrupt or truncated)`);
        continue;
      }
      const start = local + 30 + data.readUInt16LE(local + 26) + data.readUInt16LE(local + 28);
      this.zipEntry(data, chain, depth, name, flags, method, start, compressedSize);
    }
  }

  /** A zip without its central directory (cut short): local headers in order, while their sizes are known. */
  private zipLocal(data: Buffer, chain: string, depth: number): void {
    let at = 0;
    while (at + 30 <= data.length && data.readUInt32LE(at) === LOCAL) {
      const flags = data.readUInt16LE(at + 6);
      const method = data.readUInt16LE(at + 8);
      const compressedSize = data.readUInt32LE(at + 18);
      const nameLen = data.readUInt16LE(at + 26);
      const start = at + 30 + nameLen + data.readUInt16LE(at + 28);
      const name = zipName(data, at + 30, nameLen, flags);
      if (flags & 8) {
        this.problem(chain, `zip: ${name}: its size is only in the missing central directory: reading stopped`);
        return;
      }
      if (!name.endsWith('/')) this.zipEntry(data, chain, depth, name, flags, method, start, compressedSize);
      at = start + compressedSize;
    }
  }

  private zipEntry(
    data: Buffer,
    chain: string,
    depth: number,
    name: string,
    flags: number,
    method: number,
    start: number,
    compressedSize: number,
  ): void {
    if (flags & 1) {
      this.problem(chain, `zip: ${name} is encrypted: not read`);
      return;
    }
    if (start + compressedSize > data.length) {
      this.problem(chain, `zip: ${name} runs past the end of the archive: not read (truncated)`);
      return;
    }
    const raw = data.subarray(start, start + compressedSize);
    let bytes: Buffer | undefined;
    if (method === 0) {
      if (raw.length > this.limits.maxMemberBytes) {
        this.problem(chain, `${name} is larger than ${this.limits.maxMemberBytes} bytes: not read (member size limit)`);
        return;
      }
      bytes = raw;
    } else if (method === 8) {
      bytes = this.inflate(name, chain, raw, (max) => zlib().inflateRawSync(raw, { maxOutputLength: max }));
    } else {
      this.problem(
        chain,
        `zip: ${name} uses compression method ${method}${ZIP_METHODS[method] ?? ''}, not supported: not read`,
      );
      return;
    }
    if (bytes) this.member(chain, cleanName(name), bytes, depth);
  }
}

const LOCAL = 0x04034b50;
const ZIP_METHODS: Record<number, string> = {
  9: ' (deflate64)',
  12: ' (bzip2)',
  14: ' (LZMA)',
  93: ' (zstd)',
  95: ' (xz)',
  99: ' (AES)',
};

function zipName(data: Buffer, at: number, len: number, flags: number): string {
  // bit 11 says UTF-8; archivers that do not set it mostly write UTF-8 anyway (see listZip)
  const raw = data.subarray(at, Math.min(data.length, at + len));
  const utf8 = raw.toString('utf8');
  return (flags & 0x800 || !utf8.includes('\uFFFD') ? utf8 : raw.toString('latin1')).replace(/\\/g, '/');
}

/** `./a/b` and `/a/b` are `a/b`: the path inside the archive as a tree of its own. */
function cleanName(name: string): string {
  return name.replace(/^(\.\/|\/)+/, '') || name;
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function isZeroBlock(data: Buffer, at: number): boolean {
  for (let i = at; i < at + 512; i++) if (data[i] !== 0) return false;
  return true;
}

/** A pax extended header's `path` and `size` records ("<len> path=<value>\n"), where it has them. */
function paxRecords(data: Buffer, body: number, size: number): { path?: string; size?: number } {
  const text = data.toString('utf8', body, body + size);
  const path = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(text)?.[1];
  const bytes = /(?:^|\n)\d+ size=(\d+)\n/.exec(text)?.[1];
  return { path, size: bytes === undefined ? undefined : Number(bytes) };
}

/** The original file name gzip stores (FNAME), if it stored one. */
function gzipName(data: Buffer): string | undefined {
  if (data.length < 10 || !(data[3]! & 8)) return undefined;
  let at = 10;
  if (data[3]! & 4) at += 2 + data.readUInt16LE(at); // FEXTRA
  const end = data.indexOf(0, at);
  if (end < 0 || end === at) return undefined;
  return baseName(data.toString('latin1', at, end)) || undefined;
}

/** A stored-name-less gzip's member is named after the file: `config.json.gz` holds `config.json`. */
function gunzippedName(nameHint: string | undefined): string {
  const base = nameHint ? baseName(nameHint) : '';
  const stripped = base.replace(/\.t?gz$/i, (m) => (m.toLowerCase() === '.tgz' ? '.tar' : ''));
  return stripped && stripped !== base ? stripped : base ? `${base}.content` : 'content';
}
