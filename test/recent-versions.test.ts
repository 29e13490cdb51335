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
    return (s >>> 8) % n;
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

  it('an empty version at the very end of the ring does not stop the eviction of what the next lap overwrites', () => {
    const r = new RecentVersions<null>(10);
    const kept = new Map<string, string>();
    const keep = (path: string, text: string) => {
      r.keep(path, Buffer.from(text), null);
      kept.set(path, text);
      for (const [p, want] of kept) {
        const got = r.get(p);
        if (got) expect(got.buf.toString(), p).toBe(want);
      }
    };
    keep('a', 'aaaaa');
    keep('b', 'bbbbb'); // the ring is full: the next write position is its end
    keep('c', ''); // an empty version there, at 10
    keep('d', 'ddd'); // wraps: over a
    expect(r.get('a')).toBeUndefined();
    keep('e', 'eeee'); // 3-7: over the start of b
    expect(r.get('b')).toBeUndefined();
    keep('f', 'fff'); // 7-10: the empty version at 10 is now the oldest
    keep('g', 'gg'); // wraps again: the empty version goes, and so does d, under g
    expect(r.get('d')).toBeUndefined();
    expect(r.get('e')!.buf.toString()).toBe('eeee');
    expect(r.get('g')!.buf.toString()).toBe('gg');
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

  it('a ring of tiny versions holds the last ones, not every version it has room for', () => {
    // one-line edits: most to 20 files, some to 2,000 others, and the ring has room for 32,000 versions
    const r = new RecentVersions<number>(1 << 20);
    const rand = lcg(7);
    const last = new Map<string, Buffer>();
    const check = () => {
      for (const [p, want] of last) {
        const got = r.get(p);
        if (got) expect(got.buf.equals(want), p).toBe(true);
        else expect(p.startsWith('cold'), p).toBe(true); // a hot file's last version is always recent
      }
    };
    // 32 bytes each: the ring comes round three times, over slots the queue must still know
    for (let n = 0; n < 100_000; n++) {
      const path = rand(10) < 9 ? `hot${rand(20)}` : `cold${rand(2000)}`;
      const bytes = Buffer.from(`v${n}`.padEnd(32, '.'));
      r.keep(path, bytes, n);
      last.set(path, bytes);
      if (n % 4999 === 0) check();
    }
    check();
    // what it keeps of replaced versions stays bounded (white box: its write-order queue)
    const queued = (r as unknown as { order: unknown[]; head: number }).order.length;
    expect(queued).toBeLessThan(8192);
  });
});
