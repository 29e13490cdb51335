/**
 * The history scan's content pool (src/engine/content-pool.ts) on real repositories and real
 * worker threads: work moves between lanes without a blob lost or scanned twice, and threads
 * started ahead of a scan are taken by it, or ended without keeping the process alive.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { matchesOf } from '../src/engine/blob-scan.js';
import { ContentPool, startWorkersEarly, stopEarlyWorkers } from '../src/engine/content-pool.js';
import { compileRuleset } from '../src/engine/compile.js';
import type { RuleSpec } from '../src/engine/rule-spec.js';
import { ACME_RULE, BIN, GIT_ENV, Repo } from './helpers.js';

const SPECS: RuleSpec[] = [
  {
    id: 'acme-token',
    source: 'test',
    description: 'ACME token',
    severity: 'high',
    regex: 'acme_[0-9]{16}',
    keywords: ['acme_'],
  },
];
const token = (i: number) => `acme_${String(i).padStart(16, '0')}`;

/** One long-lived file (a changelog with a token in each version) and many short-lived ones. */
function history(versions: number): { r: Repo; blobs: { oid: string; path: string; token: string }[] } {
  const r = Repo.init();
  r.write('.leakguard.yml', ['rules:', ...ACME_RULE, ''].join('\n'));
  const blobs: { oid: string; path: string; token: string }[] = [];
  for (let i = 0; i < versions; i++) {
    r.write('CHANGES.md', `${'a line of the changelog\n'.repeat(40)}t = ${token(i)}\n`)
      .write(`notes/${i}.txt`, `n = ${token(100_000 + i)}\n`)
      .add()
      .commit(`v${i}`);
  }
  const lines = r.git('log', '--raw', '--no-abbrev', '--format=', '--no-renames').trim().split('\n');
  for (const line of lines) {
    const [meta, path] = line.split('\t');
    if (path === '.leakguard.yml') continue;
    const oid = meta!.split(' ')[3]!;
    const text = r.git('cat-file', 'blob', oid);
    blobs.push({ oid, path: path!, token: /acme_\d{16}/.exec(text)![0] });
  }
  return { r, blobs };
}

async function scanAll(pool: ContentPool, blobs: { oid: string; path: string }[]) {
  blobs.forEach((b, i) => pool.add(b.oid, b.path, i));
  const { outcomes } = await pool.finish();
  return outcomes
    .map((o) => ('error' in o ? `${o.oid} ${o.error}` : `${o.oid} ${matchesOf(o).map((m) => m.secret)}`))
    .sort();
}

describe('content pool', () => {
  const { r, blobs } = history(150);
  const expected = blobs.map((b) => `${b.oid} ${b.token}`).sort();
  const ruleset = compileRuleset(SPECS);
  const init = { specs: SPECS, guardMs: 2000, maxContentBytes: 1 << 20 };

  it('a lane that runs dry takes batches queued for another, and every blob is scanned exactly once', async () => {
    // the lane on this thread waits until the walk ends (here: finish), so the worker thread runs
    // dry long before it and takes from the calling thread's queue
    const pool = new ContentPool(r.dir, ruleset, init, 2, undefined, true);
    expect(await scanAll(pool, blobs)).toEqual(expected);
    expect(pool.stolen).toBeGreaterThan(0);
  });

  it('threads started early are taken by the next pool, and give the same results', async () => {
    startWorkersEarly(2);
    const pool = new ContentPool(r.dir, ruleset, init, 2);
    expect(await scanAll(pool, blobs)).toEqual(expected);
    stopEarlyWorkers();
  });

  it('a scan that never needs its early threads ends without waiting for them', () => {
    // the second scan finds every verdict in the cache and starts no pool: the threads started
    // for it must neither keep the process alive nor change the result
    const env = { ...GIT_ENV };
    const args = [BIN, 'scan', '--history', '--workers', '3', '--format', 'json'];
    const first = spawnSync(process.execPath, args, { cwd: r.dir, env, encoding: 'utf8', timeout: 60_000 });
    expect(first.status).toBe(1);
    const started = Date.now();
    const second = spawnSync(process.execPath, args, { cwd: r.dir, env, encoding: 'utf8', timeout: 20_000 });
    expect(second.signal).toBeNull();
    expect(second.status).toBe(1);
    expect(Date.now() - started).toBeLessThan(15_000);
    const ids = (out: string) =>
      JSON.parse(out)
        .findings.map((f: any) => `${f.path} ${f.commit}`)
        .sort();
    expect(ids(second.stdout)).toEqual(ids(first.stdout));
  });
});
