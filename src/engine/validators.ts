/**
 * Checksum and structure validators for token formats whose issuer builds a check into the token.
 * A rule names one with `validate: NAME`; a match that fails it is not that vendor's token (a
 * placeholder, a made-up example, a truncated copy), so the detector drops it. Each validator is
 * written from the issuer's published description of its format.
 */

/** CRC-32 (IEEE 802.3, the polynomial zlib and PNG use), table-driven. */
const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A number in base 62 (digits, then upper case, then lower case), left-padded with '0' to `width`. */
export function base62(n: number, width: number): string {
  let s = '';
  for (let v = n; v > 0; v = Math.floor(v / 62)) s = BASE62[v % 62] + s;
  return s.padStart(width, '0');
}

/**
 * GitHub's tokens (ghp_, gho_, ghu_, ghs_) and npm's (npm_) are a prefix, 30 random base62
 * characters, and the CRC-32 of those 30 characters written as 6 base62 characters. GitHub
 * published the design so that scanners can tell a real token from a look-alike offline.
 */
export function githubCrc32(token: string): boolean {
  const body = token.slice(token.indexOf('_') + 1);
  if (body.length !== 36) return false;
  const random = body.slice(0, 30);
  return base62(crc32(Buffer.from(random, 'latin1')), 6) === body.slice(30);
}

/**
 * PyPI API tokens are `pypi-` plus a base64url macaroon (libmacaroons' version-2 binary format):
 * a version byte 2, then fields of (type varint, length varint, bytes) — location 1, identifier
 * 2, verification id 4 — each section closed by an end-of-section 0; the caveat list is closed by
 * one more 0 and the token ends with a 32-byte signature field (type 6). A copy that was cut
 * short, or base64 that only starts like one, does not parse to the end.
 */
export function pypiMacaroon(token: string): boolean {
  const b64 = token.startsWith('pypi-') ? token.slice(5) : token;
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(b64)) return false;
  const bytes = Buffer.from(b64, 'base64url');
  let i = 0;
  const varint = (): number | undefined => {
    let v = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      if (i >= bytes.length) return undefined;
      const b = bytes[i++]!;
      v |= (b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    return undefined;
  };
  /** One field; returns its type, or undefined when the bytes run out or the length overruns. */
  const field = (): number | undefined => {
    const type = varint();
    if (type === undefined || type === 0) return type;
    const len = varint();
    if (len === undefined || i + len > bytes.length) return undefined;
    i += len;
    return type;
  };
  if (bytes[i++] !== 2) return false;
  // the header: optional location, then the identifier, then end-of-section
  let t = field();
  if (t === 1) t = field();
  if (t !== 2 || field() !== 0) return false;
  // caveats, each its own section, until an empty section closes the list
  for (let caveats = 0; ; caveats++) {
    if (caveats > 256) return false;
    t = field();
    if (t === undefined) return false;
    if (t === 0) break;
    for (let guard = 0; t !== 0; guard++) {
      if (t === undefined || guard > 4 || ![1, 2, 4].includes(t)) return false;
      t = field();
    }
  }
  // the signature: type 6, 32 bytes, and nothing after it
  const sigType = varint();
  const sigLen = varint();
  return sigType === 6 && sigLen === 32 && i + 32 === bytes.length;
}

const BECH32 = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const BECH32_GEN = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];

function bech32Polymod(values: number[]): number {
  let chk = 1;
  for (const v of values) {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= BECH32_GEN[i]!;
  }
  return chk >>> 0;
}

/**
 * Bech32 (BIP 173) strings end with a 6-character BCH checksum over the human-readable part and
 * the data. age secret keys (AGE-SECRET-KEY-1…) are Bech32, so a made-up one fails the check.
 */
export function bech32(s: string): boolean {
  if (s !== s.toUpperCase() && s !== s.toLowerCase()) return false;
  const lower = s.toLowerCase();
  const sep = lower.lastIndexOf('1');
  if (sep < 1 || sep + 7 > lower.length) return false;
  const hrp = lower.slice(0, sep);
  const data: number[] = [];
  for (const ch of lower.slice(sep + 1)) {
    const v = BECH32.indexOf(ch);
    if (v === -1) return false;
    data.push(v);
  }
  const expanded: number[] = [];
  for (const ch of hrp) expanded.push(ch.charCodeAt(0) >> 5);
  expanded.push(0);
  for (const ch of hrp) expanded.push(ch.charCodeAt(0) & 31);
  return bech32Polymod([...expanded, ...data]) === 1;
}

/** The validators a rule can name, by the name it uses in `validate:`. */
export const VALIDATORS: Readonly<Record<string, (secret: string) => boolean>> = {
  'github-crc32': githubCrc32,
  'pypi-macaroon': pypiMacaroon,
  bech32,
};

export const VALIDATOR_NAMES = Object.keys(VALIDATORS);
