/**
 * Bytes to text for matching. Secrets are ASCII, so text is decoded as latin1 (one char per byte,
 * no validation cost, never throws on invalid UTF-8); UTF-16 is recognised and decoded properly.
 * Binary means what git means: a NUL byte in the first 8000 bytes.
 */
const SNIFF = 8000;

export type Decoded =
  /** `bytes`: what the text was decoded from, one byte per character (see ContentOptions.textBytes). */
  | { text: string; encoding: 'latin1'; bytes: Buffer }
  | { text: string; encoding: 'utf16le' | 'utf16be' }
  | { binary: true };

function looksUtf16le(buf: Buffer, n: number): boolean {
  // ASCII text in UTF-16LE: every odd byte is zero and the even ones are not.
  let zeroOdd = 0;
  let zeroEven = 0;
  for (let i = 0; i + 1 < n; i += 2) {
    if (buf[i] === 0) zeroEven++;
    if (buf[i + 1] === 0) zeroOdd++;
  }
  const pairs = n >> 1;
  return pairs >= 4 && zeroOdd >= pairs * 0.9 && zeroEven <= pairs * 0.02;
}

export function decode(buf: Buffer): Decoded {
  const n = Math.min(buf.length, SNIFF);
  if (n >= 2 && buf[0] === 0xff && buf[1] === 0xfe)
    return { text: buf.subarray(2).toString('utf16le'), encoding: 'utf16le' };
  if (n >= 2 && buf[0] === 0xfe && buf[1] === 0xff) {
    const body = buf.subarray(2, 2 + ((buf.length - 2) & ~1));
    const swapped = Buffer.from(body).swap16();
    return { text: swapped.toString('utf16le'), encoding: 'utf16be' };
  }
  const nul = buf.subarray(0, n).indexOf(0);
  if (nul !== -1) {
    if (looksUtf16le(buf, n)) return { text: buf.toString('utf16le'), encoding: 'utf16le' };
    return { binary: true };
  }
  const start = n >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
  return { text: buf.toString('latin1', start), encoding: 'latin1', bytes: buf.subarray(start) };
}
