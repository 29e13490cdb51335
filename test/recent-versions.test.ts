/**
 * The ring the blob scanner keeps files' last versions in (src/engine/recent-versions.ts): what it
 * gives back is always exactly the bytes last kept for that path, however the ring wraps.
 */
import { describe, expect, it } from 'vitest';
import { RecentVersions } from '../src/engine/recent-versions.js';

/** A deterministic generator, so a failure can be replayed. */
function lcg(seed: number) {
  let s = seed >>> 0;
  return (n: number) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
}

describe('recent versions', () => {
  it('keeps a copy: the caller may reuse its buffer', () => {
    const r = new RecentVersions<number>(64);
    const buf = Buffer.from('version one');
    r.keep('a.txt', buf, 1);
    buf.fill(0);
    expect(r.get('a.txt')!.buf.toString()).toBe('version one');
    expect(r.get('a.txt')!.extra).toBe(1);
    expect(r.get('b.txt')).toBeUndefined();
  });

  it('a version larger than the ring is not kept, and the one before it is gone', () => {
    const r = new RecentVersions<null>(16);
    r.keep('a', Buffer.from('small'), null);
    r.keep('a', Buffer.alloc(17, 1), null);
    expect(r.get('a')).toBeUndefined();
  });

  it('drops the oldest versions first when the ring wraps', () => {
    const r = new RecentVersions<null>(10);
    r.keep('a', Buffer.from('aaaa'), null); // 0-4
    r.keep('b', Buffer.from('bbbb'), null); // 4-8
    r.keep('c', Buffer.from('ccc'), null); // does not fit in 8-10: wraps to 0, over a
    expect(r.get('a')).toBeUndefined();
    expect(r.get('b')!.buf.toString()).toBe('bbbb');
    expect(r.get('c')!.buf.toString()).toBe('ccc');
    r.keep('d', Buffer.from('dd'), null); // 3-5: over the start of b
    expect(r.get('b')).toBeUndefined();
    expect(r.get('c')!.buf.toString()).toBe('ccc');
    expect(r.get('d')!.buf.toString()).toBe('dd');
  });

  it('never gives back bytes other than the last kept for a path (random workload)', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const rand = lcg(seed);
      const capacity = 256;
      const r = new RecentVersions<number>(capacity);
      const last = new Map<string, { bytes: Buffer; n: number }>();
      let kept = 0;
      for (let n = 0; n < 4000; n++) {
        const path = `f${rand(40)}`;
        const len = rand(10) === 0 ? rand(capacity + 20) : rand(40);
        const bytes = Buffer.alloc(len);
        for (let i = 0; i < len; i++) bytes[i] = rand(256);
        r.keep(path, bytes, n);
        last.set(path, { bytes, n });
        for (const [p, want] of last) {
          const got = r.get(p);
          if (!got) continue;
          expect(got.extra).toBe(want.n);
          expect(got.buf.equals(want.bytes)).toBe(true);
          kept++;
        }
        // the version just kept is there, unless it is larger than the ring
        if (len <= capacity) expect(r.get(path)?.extra).toBe(n);
        else expect(r.get(path)).toBeUndefined();
      }
      // the ring is used, not emptied on every wrap
      expect(kept).toBeGreaterThan(4000 * 2);
    }
  });
});
