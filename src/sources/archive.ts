/**
 * Lists the members of a zip, tar or gzip-compressed tar held in memory: their paths and sizes,
 * so path and size rules can apply inside archives (`archive.zip!inner/path`). Only reads bytes:
 * nothing is extracted, and a zip member's content is never inflated (sizes come from its central
 * directory).
 *
 * Decompression bombs are bounded by three limits: members listed, total uncompressed bytes, and
 * the ratio of uncompressed to compressed size. A limit that is reached stops the listing and is
 * reported in `problems` with `complete: false`; so is a malformed or unsupported archive. Nothing
 * is dropped silently.
 *
 * Not wired into scans yet.
 */
import { gunzipSync } from 'node:zlib';

export interface ArchiveLimits {
  /** Members listed before the listing stops. */
  maxMembers: number;
  /** Sum of the members' uncompressed sizes (and, for .tar.gz, the decompressed tar) before it stops. */
  maxTotalBytes: number;
  /** Uncompressed / compressed size above which a member (or a whole .tar.gz) is a suspected bomb. */
  maxRatio: number;
}

export const DEFAULT_ARCHIVE_LIMITS: ArchiveLimits = {
  maxMembers: 10_000,
  maxTotalBytes: 256 * 1024 * 1024,
  maxRatio: 100,
};

export interface ArchiveMember {
  /** Path inside the archive, `/`-separated. */
  path: string;
  /** Uncompressed size in bytes. */
  size: number;
  /** Compressed size (zip members only). */
  compressedSize?: number;
}

export type ArchiveKind = 'zip' | 'tar' | 'tar.gz';

export interface ArchiveListing {
  kind: ArchiveKind;
  members: ArchiveMember[];
  /** False when a limit was reached or the archive could not be read to its end. */
  complete: boolean;
  /** One line each: limits reached, malformed structures, unsupported features. */
  problems: string[];
}

/** How a member is named in a finding: `archive.zip!inner/path`. */
export function memberPath(archivePath: string, member: string): string {
  return `${archivePath}!${member}`;
}

/** The kind of archive `data` holds, from its bytes (not its name), or undefined. */
export function archiveKind(data: Buffer): ArchiveKind | undefined {
  if (data.length >= 4 && data.readUInt32LE(0) === 0x04034b50) return 'zip';
  if (data.length >= 22 && findEocd(data) >= 0) return 'zip'; // an empty zip, or one with a prefix (self-extracting)
  if (data.length >= 2 && data[0] === 0x1f && data[1] === 0x8b) return 'tar.gz';
  if (data.length >= 512 && data.toString('latin1', 257, 262) === 'ustar') return 'tar';
  if (data.length >= 512 && isTarHeader(data, 0)) return 'tar';
  return undefined;
}

export function listArchive(data: Buffer, limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS): ArchiveListing | undefined {
  const kind = archiveKind(data);
  if (kind === 'zip') return listZip(data, limits);
  if (kind === 'tar') return listTar(data, limits, 'tar');
  if (kind === 'tar.gz') return listTarGz(data, limits);
  return undefined;
}

class Listing {
  readonly members: ArchiveMember[] = [];
  readonly problems: string[] = [];
  complete = true;
  private total = 0;
  constructor(
    readonly kind: ArchiveKind,
    private readonly limits: ArchiveLimits,
  ) {}

  stop(problem: string): void {
    this.problems.push(problem);
    this.complete = false;
  }

  /** Adds a member; false (with the limit reported) when the listing must stop. */
  add(m: ArchiveMember): boolean {
    if (this.members.length >= this.limits.maxMembers) {
      this.stop(`more than ${this.limits.maxMembers} members: listing stopped (member limit)`);
      return false;
    }
    this.total += m.size;
    if (this.total > this.limits.maxTotalBytes) {
      this.stop(
        `members add up to more than ${this.limits.maxTotalBytes} bytes uncompressed: listing stopped at ${m.path} (size limit)`,
      );
      return false;
    }
    if (m.compressedSize !== undefined && m.size > this.limits.maxRatio * Math.max(1, m.compressedSize)) {
      this.stop(
        `${m.path} expands ${Math.round(m.size / Math.max(1, m.compressedSize))}x (${m.compressedSize} to ${m.size} bytes): suspected decompression bomb, listing stopped (ratio limit ${this.limits.maxRatio}x)`,
      );
      return false;
    }
    this.members.push(m);
    return true;
  }

  result(): ArchiveListing {
    return { kind: this.kind, members: this.members, complete: this.complete, problems: this.problems };
  }
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;

function findEocd(data: Buffer): number {
  // the end record is 22 bytes plus a comment of at most 65,535
  const lowest = Math.max(0, data.length - 22 - 0xffff);
  for (let i = data.length - 22; i >= lowest; i--) if (data.readUInt32LE(i) === EOCD) return i;
  return -1;
}

function listZip(data: Buffer, limits: ArchiveLimits): ArchiveListing {
  const out = new Listing('zip', limits);
  const eocd = findEocd(data);
  if (eocd < 0) {
    out.stop('zip: no end of central directory record (truncated or not a zip)');
    return out.result();
  }
  const count = data.readUInt16LE(eocd + 10);
  const cdSize = data.readUInt32LE(eocd + 12);
  const cdOffset = data.readUInt32LE(eocd + 16);
  if (count === 0xffff || cdOffset === 0xffffffff || cdSize === 0xffffffff) {
    out.stop('zip: ZIP64 archive, not supported: members not listed');
    return out.result();
  }
  // a prefix (self-extracting stub) shifts every offset by the same amount
  const shift = eocd - cdSize - cdOffset;
  let at = cdOffset + Math.max(0, shift);
  for (let n = 0; n < count; n++) {
    if (at + 46 > data.length || data.readUInt32LE(at) !== CENTRAL) {
      out.stop(`zip: central directory entry ${n + 1} of ${count} is malformed: listing stopped`);
      break;
    }
    const flags = data.readUInt16LE(at + 8);
    const compressedSize = data.readUInt32LE(at + 20);
    const size = data.readUInt32LE(at + 24);
    const nameLen = data.readUInt16LE(at + 28);
    const extraLen = data.readUInt16LE(at + 30);
    const commentLen = data.readUInt16LE(at + 32);
    if (at + 46 + nameLen > data.length) {
      out.stop(`zip: entry ${n + 1} runs past the end: listing stopped`);
      break;
    }
    // bit 11 says the name is UTF-8; archivers that do not set it mostly write UTF-8 anyway, so a
    // name that decodes cleanly as UTF-8 is taken as such, and anything else byte for byte
    const raw = data.subarray(at + 46, at + 46 + nameLen);
    const utf8 = raw.toString('utf8');
    const name = flags & 0x800 || !utf8.includes('\uFFFD') ? utf8 : raw.toString('latin1');
    at += 46 + nameLen + extraLen + commentLen;
    if (compressedSize === 0xffffffff || size === 0xffffffff) {
      out.stop(`zip: ${name} has ZIP64 sizes, not supported: listing stopped`);
      break;
    }
    if (name.endsWith('/')) continue; // a directory
    if (!out.add({ path: name.replace(/\\/g, '/'), size, compressedSize })) break;
  }
  return out.result();
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

function listTar(data: Buffer, limits: ArchiveLimits, kind: ArchiveKind, into?: Listing): ArchiveListing {
  const out = into ?? new Listing(kind, limits);
  let at = 0;
  let longName: string | undefined;
  while (at + 512 <= data.length) {
    if (data.subarray(at, at + 512).every((b) => b === 0)) return out.result(); // end of archive
    if (!isTarHeader(data, at)) {
      out.stop(`tar: bad header checksum at byte ${at}: listing stopped`);
      return out.result();
    }
    const type = String.fromCharCode(data[at + 156]!);
    const size = octal(data, at + 124, 12);
    const body = at + 512;
    const next = body + Math.ceil(size / 512) * 512;
    if (!Number.isFinite(size) || body + size > data.length) {
      out.stop(`tar: member at byte ${at} runs past the end (truncated): listing stopped`);
      return out.result();
    }
    if (type === 'L') {
      // GNU long name for the next member
      longName = cString(data, body, size);
      at = next;
      continue;
    }
    let name = longName ?? cString(data, at, 100);
    longName = undefined;
    const prefix = data.toString('latin1', at + 257, at + 262) === 'ustar' ? cString(data, at + 345, 155) : '';
    if (prefix && name === cString(data, at, 100)) name = `${prefix}/${name}`;
    if (type === '0' || type === '\0' || type === '7') {
      if (!out.add({ path: name, size })) return out.result();
    }
    at = next;
  }
  if (at < data.length || data.length === 0)
    out.stop('tar: archive ends without its end-of-archive blocks (truncated)');
  return out.result();
}

function listTarGz(data: Buffer, limits: ArchiveLimits): ArchiveListing {
  const out = new Listing('tar.gz', limits);
  // the decompressed tar is bounded both by the size limit and by the ratio to what was read
  const cap = Math.min(limits.maxTotalBytes + 1024 * 1024, limits.maxRatio * data.length + 1024 * 1024);
  let tar: Buffer;
  try {
    tar = gunzipSync(data, { maxOutputLength: cap });
  } catch (e) {
    const tooBig = (e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError;
    out.stop(
      tooBig
        ? `tar.gz: decompresses to more than ${cap} bytes from ${data.length} (size or ratio limit): suspected decompression bomb, not listed`
        : `tar.gz: cannot decompress (${(e as Error).message}): not listed`,
    );
    return out.result();
  }
  if (tar.length > limits.maxRatio * Math.max(1, data.length)) {
    out.stop(
      `tar.gz: expands ${Math.round(tar.length / data.length)}x: suspected decompression bomb, not listed (ratio limit ${limits.maxRatio}x)`,
    );
    return out.result();
  }
  return listTar(tar, limits, 'tar.gz', out);
}
