/**
 * The blob scanner's chunk cache keeps its keys in a flat table and most values as small numbers:
 * it must still give back exactly what was put in, for every key, across growth and clearing.
 */
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { ChunkCache } from '../src/engine/chunk-cache.js';

const keyOf = (n: number) => createHash('sha1').update(`chunk ${n}`).digest('latin1');

describe('chunk cache', () => {
  const CLEAN = Object.freeze([]) as readonly string[];
  const NONE = Object.freeze([]) as readonly string[];

  it('gives back each value as it was set: the shared ones by identity, the others as themselves', () => {
    const cache = new ChunkCache<readonly string[]>([CLEAN, NONE]);
    const own = new Map<number, readonly string[]>();
    // enough keys that the table grows and rehashes several times
    for (let n = 0; n < 20_000; n++) {
      const value = n % 7 === 0 ? [`match ${n}`] : n % 2 ? CLEAN : NONE;
      if (n % 7 === 0) own.set(n, value);
      cache.set(keyOf(n), value);
    }
    expect(cache.size).toBe(20_000);
    for (let n = 0; n < 20_000; n++) {
      const got = cache.get(keyOf(n));
      if (n % 7 === 0) expect(got).toBe(own.get(n));
      else expect(got).toBe(n % 2 ? CLEAN : NONE);
    }
    expect(cache.get(keyOf(20_001))).toBeUndefined();
  });

  it('a key set again takes its new value, shared or not', () => {
    const cache = new ChunkCache<readonly string[]>([CLEAN, NONE]);
    const found = ['a token'];
    cache.set(keyOf(1), found);
    cache.set(keyOf(1), CLEAN);
    expect(cache.get(keyOf(1))).toBe(CLEAN);
    cache.set(keyOf(1), found);
    expect(cache.get(keyOf(1))).toBe(found);
    expect(cache.size).toBe(1);
  });

  it('clear forgets every key', () => {
    const cache = new ChunkCache<readonly string[]>([CLEAN, NONE]);
    for (let n = 0; n < 100; n++) cache.set(keyOf(n), n % 3 ? CLEAN : [`m${n}`]);
    cache.clear();
    expect(cache.size).toBe(0);
    for (let n = 0; n < 100; n++) expect(cache.get(keyOf(n))).toBeUndefined();
    cache.set(keyOf(5), NONE);
    expect(cache.get(keyOf(5))).toBe(NONE);
  });

  it('refuses a key that is not a SHA-1 digest', () => {
    const cache = new ChunkCache<readonly string[]>([CLEAN, NONE]);
    expect(() => cache.set('short', CLEAN)).toThrow(/20|characters/);
  });
});
