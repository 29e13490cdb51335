/**
 * The scan cache of history and range scans, on real repositories: a cached scan gives exactly
 * what `--no-cache` gives (cold, warm, after new commits, after history is rewritten, after the
 * cache files are damaged on disk or written by two scans at once), and never holds a secret.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BodyWriter, readCacheFile, writeCacheFile } from '../src/engine/cache-file.js';
import { ACME_RULE, BIN, checksummedToken, cli, fake, GIT_ENV, Repo, run, tempDir } from './helpers.js';

/** The token a commit message carries, and one an annotated tag's message carries. */
// checksum-valid, as the GitHub rule requires (see helpers)
const messageToken = () => checksummedToken('ghp', 'Q8wE2rT6yU1iO5pA9sD3fG7hJ0kL4z');
const tagToken = () => checksummedToken('ghp', 'Z5xC1vB7nM3qW9eR4tY8uI2oP6aS0d');
const acmeToken = () => 'acme_' + 'k3y0f51xt33nchr5';

/**
 * A history with many commits, four branches, a merge, annotated and lightweight tags, and
 * secrets in files (some deleted later, some in copies), in commit messages and in a tag message.
 * Written with fast-import, with a date per commit, so it builds in a fraction of a second.
 */
function generated(commits = 160): Repo {
  const r = Repo.init();
  const out: string[] = [];
  let mark = 0;
  const branchHead: Record<string, number> = {};
  const blob = (text: string) => {
    out.push(`blob\nmark :${++mark}\ndata ${Buffer.byteLength(text)}\n${text}\n`);
    return mark;
  };
  const commit = (branch: string, i: number, files: Record<string, string | null>, message: string, merge?: string) => {
    const marks = Object.entries(files).map(([p, t]) => [p, t === null ? null : blob(t)] as const);
    const m = ++mark;
    const msg = Buffer.from(message);
    out.push(
      `commit refs/heads/${branch}\nmark :${m}\ncommitter T <t@example.com> ${1_700_000_000 + i * 60} +0000\ndata ${msg.length}\n${message}\n`,
    );
    if (branchHead[branch] !== undefined) out.push(`from :${branchHead[branch]}\n`);
    else if (branch !== 'main') out.push(`from :${branchHead.main}\n`);
    if (merge) out.push(`merge :${branchHead[merge]}\n`);
    for (const [p, bm] of marks) out.push(bm === null ? `D ${p}\n` : `M 100644 :${bm} ${p}\n`);
    out.push('\n');
    branchHead[branch] = m;
    return m;
  };
  const line = (i: number, k: number) => `const v${k} = ${(i * 7919 + k * 104729) % 1000003};\n`;
  for (let i = 0; i < commits; i++) {
    const branch = i < 20 ? 'main' : ['main', 'feature', 'release', 'docs'][i % 4]!;
    const files: Record<string, string | null> = {};
    files[`src/m${i % 9}.js`] = Array.from({ length: 3 + (i % 5) }, (_, k) => line(i, k)).join('');
    if (i === 5) files['.env'] = `GOOGLE_API_KEY=${fake.googleKey()}\n`;
    if (i === 9) files['.env'] = null; // deleted: still in history
    if (i === 30) files['config/aws.ini'] = `aws_access_key_id = ${fake.awsKeyId()}\n`;
    if (i === 41) files['docs/copy.env'] = `GOOGLE_API_KEY=${fake.googleKey()}\n`;
    if (i === 57) files['.npmrc'] = `//registry.npmjs.org/:_authToken=${fake.npmToken()}\n`;
    if (i === 63) files['src/acme.txt'] = `token ${acmeToken()}\n`;
    if (i === 70) files['keys/id_rsa'] = 'not really a key\n';
    const message = i === 12 ? `hotfix\n\nused ${messageToken()} to test\n` : `change ${i}\n`;
    commit(branch, i, files, message);
    if (i === 100) commit('main', i, { 'MERGED.md': 'merged\n' }, 'merge feature\n', 'feature');
  }
  const tagMsg = `release notes\n\ndeploy key ${tagToken()}\n`;
  out.push(
    `tag v1.0\nfrom :${branchHead.release}\ntagger T <t@example.com> 1700100000 +0000\ndata ${Buffer.byteLength(tagMsg)}\n${tagMsg}\n`,
  );
  out.push(`reset refs/tags/light\nfrom :${branchHead.docs}\n\n`);
  const fi = run('git', ['fast-import', '--quiet'], r.dir, GIT_ENV, out.join(''));
  if (fi.status !== 0) throw new Error(`fast-import failed: ${fi.stderr}`);
  r.git('checkout', '-q', 'main');
  return r;
}

function cacheDir(r: Repo): string {
  return join(r.dir, '.git', 'leakguard', 'scan-cache');
}

/** A history report as JSON, with what describes the work done (times, chunk counters) left out. */
function report(r: Repo, args: string[] = []): { code: number; json: string; stderr: string } {
  const mode = args.includes('--range') ? [] : ['--history'];
  const res = cli(['scan', ...mode, '--format', 'json', ...args], r.dir);
  let parsed: any;
  try {
    parsed = JSON.parse(res.stdout);
  } catch {
    throw new Error(`not JSON (exit ${res.code}): ${res.stdout}\n${res.stderr}`);
  }
  delete parsed.stats.durationMs;
  delete parsed.stats.chunks;
  delete parsed.stats.chunksReused;
  return { code: res.code, json: JSON.stringify(parsed, null, 1), stderr: res.stderr };
}

/** Asserts a cached scan gives what --no-cache gives, and returns that report. */
function sameAsNoCache(r: Repo, args: string[] = []): any {
  const plain = report(r, [...args, '--no-cache']);
  const cached = report(r, args);
  expect(cached.stderr).toBe(plain.stderr);
  expect(cached.json).toBe(plain.json);
  expect(cached.code).toBe(plain.code);
  return JSON.parse(plain.json);
}

const cacheFiles = (r: Repo) => (existsSync(cacheDir(r)) ? readdirSync(cacheDir(r)).sort() : []);

describe('scan cache', () => {
  it('gives the same report as --no-cache, cold and warm, on a generated history', () => {
    const r = generated();
    expect(cacheFiles(r)).toEqual([]);
    const plain = sameAsNoCache(r); // cold: writes the cache
    expect(cacheFiles(r)).toEqual(['blobs.bin', 'walk.bin']);
    const ids = new Set(plain.findings.map((f: any) => f.ruleId));
    expect(ids).toContain('google-api-key');
    expect(plain.findings.some((f: any) => f.source === 'commit-message')).toBe(true);
    expect(plain.findings.some((f: any) => f.source === 'tag-message')).toBe(true);
    expect(plain.stats.commits).toBeGreaterThan(150);
    sameAsNoCache(r); // warm: every blob and commit from the cache
    // a warm scan with nothing new writes nothing
    const before = statSync(join(cacheDir(r), 'walk.bin')).mtimeMs;
    sameAsNoCache(r);
    expect(statSync(join(cacheDir(r), 'walk.bin')).mtimeMs).toBe(before);
  });

  it('keeps SHA-256 object ids whole: the same report as --no-cache, cold, warm and after new commits', () => {
    const r = Repo.init();
    rmSync(join(r.dir, '.git'), { recursive: true, force: true });
    r.git('init', '-q', '-b', 'main', '--object-format=sha256');
    r.write('a.txt', 'one\n').add().commit('first');
    r.write('settings.txt', `GOOGLE_API_KEY=${fake.googleKey()}\n`).add().commit('key');
    r.git('checkout', '-q', '-b', 'side');
    r.write('side.txt', 'side\n').add().commit('side');
    r.git('checkout', '-q', 'main');
    r.git('rm', '-q', 'settings.txt');
    r.commit('removed');
    r.git('merge', '-q', '--no-ff', '-m', 'merge side', 'side');
    const cold = sameAsNoCache(r);
    expect(cacheFiles(r)).toEqual(['blobs.bin', 'walk.bin']);
    expect(cold.findings.map((f: any) => f.ruleId)).toEqual(['google-api-key']);
    // the commit that introduced it, by its whole SHA-256 id
    const introduced = r.git('log', '--format=%H', '-1', '--diff-filter=A', '--', 'settings.txt').trim();
    expect(introduced.length).toBe(64);
    expect(JSON.stringify(cold.findings[0])).toContain(introduced);
    expect(cold.stats.commits).toBe(5);
    sameAsNoCache(r); // warm: the walk read back from the cache
    const timed = cli(['scan', '--history', '--format', 'json'], r.dir, { ...GIT_ENV, LEAKGUARD_TIMING: '1' });
    expect(timed.stderr).toContain('(5 commits, 3 blobs, cached)');
    r.write('later.txt', `aws_access_key_id = ${fake.awsKeyId()}\n`).add().commit('later');
    const more = sameAsNoCache(r); // the cached walk extended by one commit
    expect(more.findings.map((f: any) => f.ruleId).sort()).toEqual(['aws-access-key-id', 'google-api-key']);
    expect(more.stats.commits).toBe(6);
  });

  it('never writes a secret into its files, from contents, messages or tags', () => {
    const r = generated(80);
    report(r);
    const bytes = Buffer.concat(cacheFiles(r).map((f) => readFileSync(join(cacheDir(r), f))));
    expect(bytes.length).toBeGreaterThan(1000);
    for (const secret of [fake.googleKey(), fake.awsKeyId(), messageToken(), tagToken()]) {
      expect(bytes.includes(Buffer.from(secret))).toBe(false);
      expect(bytes.includes(Buffer.from(secret, 'utf16le'))).toBe(false);
      // nor the tail a redacted form leaves out
      expect(bytes.includes(Buffer.from(secret.slice(6)))).toBe(false);
    }
  });

  it('picks up new commits on top, on a new branch and a new tag', () => {
    const r = generated(60);
    sameAsNoCache(r);
    r.write('later.env', `GOOGLE_API_KEY=${fake.googleKey()}\nTOKEN=${fake.githubPat()}\n`).add().commit('later');
    r.git('checkout', '-q', '-b', 'topic');
    r.write('src/topic.js', `const k = "${'AKIA' + 'Z7XW2LM4VN6BTQ3R'}";\n`)
      .add()
      .commit(`topic\n\n${messageToken()}`);
    r.git('tag', 'light2');
    const after = sameAsNoCache(r);
    expect(after.findings.some((f: any) => f.path === 'later.env')).toBe(true);
    expect(after.findings.some((f: any) => f.path === 'src/topic.js')).toBe(true);
    sameAsNoCache(r);
  });

  it('follows rewritten history: a force-moved branch, a deleted branch, a purge-like rewrite', () => {
    const r = generated(60);
    sameAsNoCache(r);
    // force-move main back past the commits that added the .env
    r.git('branch', '-f', 'feature', 'main~10');
    const moved = sameAsNoCache(r);
    r.git('branch', '-D', 'release', 'docs');
    r.git('tag', '-d', 'v1.0', 'light');
    const deleted = sameAsNoCache(r);
    expect(deleted.stats.commits).toBeLessThan(moved.stats.commits);
    // rewrite every commit (as a purge does) and drop the old objects
    const fe = run('git', ['filter-branch', '-f', '--msg-filter', 'cat; echo rewritten', '--', '--all'], r.dir, {
      ...GIT_ENV,
      FILTER_BRANCH_SQUELCH_WARNING: '1',
    });
    expect(fe.status, fe.stderr).toBe(0);
    r.git('for-each-ref', '--format=%(refname)', 'refs/original/')
      .split('\n')
      .filter(Boolean)
      .forEach((ref) => r.git('update-ref', '-d', ref));
    r.git('reflog', 'expire', '--expire=now', '--all');
    r.git('gc', '-q', '--prune=now');
    sameAsNoCache(r);
  });

  it('a changed rule, allowlist or content limit never reuses what an older key found', () => {
    const r = generated(70);
    const before = sameAsNoCache(r);
    expect(before.findings.some((f: any) => f.ruleId === 'acme-token')).toBe(false);
    r.write('.leakguard.yml', ['rules:', ...ACME_RULE, ''].join('\n'));
    const withRule = sameAsNoCache(r);
    expect(withRule.findings.some((f: any) => f.ruleId === 'acme-token')).toBe(true);
    r.write('.leakguard.yml', ['rules:', ...ACME_RULE, 'allowlist:', "  paths: ['src/acme.txt']", ''].join('\n'));
    const allowed = sameAsNoCache(r);
    expect(allowed.findings.some((f: any) => f.ruleId === 'acme-token')).toBe(false);
    const small = sameAsNoCache(r, ['--max-content-size', '40B']);
    expect(small.stats.skipped['too-large']).toBeGreaterThan(0);
  });

  it('a truncated, corrupt or foreign cache file is discarded: the result is a full scan', () => {
    const r = generated(70);
    const plain = report(r, ['--no-cache']).json;
    report(r);
    const damage: [string, (file: string) => void][] = [
      ['truncated mid-file', (f) => truncateSync(f, Math.floor(statSync(f).size / 2))],
      [
        'one byte flipped',
        (f) => {
          const b = readFileSync(f);
          b[b.length >> 1] ^= 0x40;
          writeFileSync(f, b);
        },
      ],
      [
        'another format version',
        (f) => {
          const b = readFileSync(f);
          b.write('LGCACHE0', 0, 'latin1');
          writeFileSync(f, b);
        },
      ],
      ['garbage', (f) => writeFileSync(f, Buffer.alloc(5000, 7))],
    ];
    for (const name of ['walk.bin', 'blobs.bin']) {
      for (const [what, harm] of damage) {
        harm(join(cacheDir(r), name));
        expect(report(r).json, `${name} ${what}`).toBe(plain);
        // the scan wrote a whole file again; the next damage then starts from a sound one
        if (what === 'truncated mid-file') expect(report(r).json, `${name} ${what}, repaired`).toBe(plain);
      }
    }
  });

  it('two scans at once: both give the full result, and the cache they leave is sound', async () => {
    const r = generated(90);
    const plain = report(r, ['--no-cache']).json;
    const once = () =>
      new Promise<string>((resolve) => {
        const child = spawn(process.execPath, [BIN, 'scan', '--history', '--format', 'json'], {
          cwd: r.dir,
          env: GIT_ENV,
        });
        let out = '';
        child.stdout.on('data', (d) => (out += d));
        child.on('close', () => {
          const j = JSON.parse(out);
          delete j.stats.durationMs;
          delete j.stats.chunks;
          delete j.stats.chunksReused;
          resolve(JSON.stringify(j, null, 1));
        });
      });
    const results = await Promise.all([once(), once(), once()]);
    for (const got of results) expect(got).toBe(plain);
    expect(report(r).json).toBe(plain);
    // a lock another scan holds: this one scans in full and writes nothing
    writeFileSync(join(cacheDir(r), 'lock'), '1\n');
    r.write('new.txt', 'x\n').add().commit('new');
    const plainNew = report(r, ['--no-cache']).json;
    const walkBefore = readFileSync(join(cacheDir(r), 'walk.bin'));
    expect(report(r).json).toBe(plainNew);
    expect(readFileSync(join(cacheDir(r), 'walk.bin')).equals(walkBefore)).toBe(true);
  });

  it('--all-objects: what no ref reaches, with its own walk', () => {
    const r = generated(40);
    r.write('dropped.env', `TOKEN=${fake.githubPat()}\n`).add().commit('to be amended');
    r.git('commit', '-q', '--amend', '-m', 'amended');
    r.git('rm', '-q', '--cached', 'dropped.env');
    r.git('commit', '-q', '-m', 'untracked again');
    r.git('reflog', 'expire', '--expire=now', '--all');
    const reachable = sameAsNoCache(r);
    const all = sameAsNoCache(r, ['--all-objects']); // a walk of its own: the reachable one is not reused
    expect(all.stats.commits).toBeGreaterThan(reachable.stats.commits);
    sameAsNoCache(r, ['--all-objects']);
  });

  it('ranges use and feed the blob verdicts', () => {
    const r = generated(60);
    const range = 'main~10..main';
    sameAsNoCache(r, ['--range', range]);
    expect(cacheFiles(r)).toEqual(['blobs.bin']);
    sameAsNoCache(r, ['--range', 'main~20..main']);
  });

  it('--cache DIR, --no-cache and cache clear', () => {
    const r = generated(30);
    const dir = join(r.dir, '..', `${r.dir.split('/').pop()}-cache`);
    expect(cli(['scan', '--history', '--quiet', '--cache', dir], r.dir).code).toBe(1);
    expect(readdirSync(dir).sort()).toEqual(['blobs.bin', 'walk.bin']);
    expect(cacheFiles(r)).toEqual([]);
    expect(cli(['scan', '--history', '--quiet', '--no-cache'], r.dir).code).toBe(1);
    expect(cacheFiles(r)).toEqual([]);
    writeFileSync(join(dir, 'keep.txt'), 'not ours\n');
    const cleared = cli(['cache', 'clear', '--cache', dir], r.dir);
    expect(cleared.code).toBe(0);
    expect(readdirSync(dir)).toEqual(['keep.txt']);
    cli(['scan', '--history', '--quiet'], r.dir);
    expect(cacheFiles(r)).toEqual(['blobs.bin', 'walk.bin']);
    expect(cli(['cache', 'clear'], r.dir).code).toBe(0);
    expect(cacheFiles(r)).toEqual([]);
    // bad input: one line, exit 2, nothing written
    const notDir = join(dir, 'keep.txt');
    const bad = cli(['scan', '--history', '--cache', notDir], r.dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^leakguard: cannot use cache directory .*keep\.txt: \S+\n$/);
    for (const args of [
      ['scan', '--history', '--cache', ''],
      ['cache', 'clear', '--cache', ' '],
    ]) {
      const empty = cli(args, r.dir);
      expect(empty.code).toBe(2);
      expect(empty.stderr).toBe('leakguard: --cache needs a directory\n');
    }
    expect(readdirSync(r.dir).filter((f) => f.endsWith('.bin'))).toEqual([]);
    const worktree = cli(['scan', '--cache', dir], r.dir);
    expect(worktree.code).toBe(2);
    expect(worktree.stderr).toMatch(/--cache goes with --history or --range/);
    expect(cli(['cache', 'clear', '--no-cache'], r.dir).code).toBe(2);
    expect(cli(['cache', 'wipe'], r.dir).code).toBe(2);
  });
});

describe('cache files', () => {
  const key = Buffer.alloc(32, 9);
  /** A body of several pieces: small numbers, strings, and raw blocks below and above the size that skips the buffer. */
  const encodeSample = (w: BodyWriter, big: Uint8Array, small: Uint8Array) => {
    for (let i = 0; i < 300_000; i++) w.uint(i * 37);
    w.str('path/with/ünïcode');
    w.raw(small);
    w.raw(big);
    w.array(Int32Array.from({ length: 70_000 }, (_, i) => i - 5));
    w.raw(small);
  };
  const sample = () => {
    const big = Buffer.alloc(3 * 1024 * 1024 + 17);
    for (let i = 0; i < big.length; i++) big[i] = (i * 131) & 0xff;
    const small = Buffer.from('a raw block that goes through the buffer');
    const whole = new BodyWriter();
    encodeSample(whole, big, small);
    return { big, small, whole: Buffer.from(whole.done()) };
  };

  it('a body written piece by piece reads back byte for byte, and is found whole', () => {
    const { big, small, whole } = sample();
    const file = join(tempDir(), 'walk.bin');
    writeCacheFile(file, 'walk', key, (w) => encodeSample(w, big, small));
    expect(whole.length).toBeGreaterThan(4 * 1024 * 1024);
    const back = readCacheFile(file, 'walk', key);
    expect(back && Buffer.compare(back, whole)).toBe(0);
    expect(readCacheFile(file, 'blobs', key)).toBeUndefined();
    expect(readCacheFile(file, 'walk', Buffer.alloc(32, 8))).toBeUndefined();
    // cut at a piece's end (what a writer that died leaves), within the sum, or with bytes after it: absent
    const bytes = readFileSync(file);
    for (const [what, damaged] of [
      ['cut after the first piece', bytes.subarray(0, 48 + (1 << 20))],
      ['sum only half there', bytes.subarray(0, bytes.length - 16)],
      ['bytes after the sum', Buffer.concat([bytes, Buffer.alloc(8)])],
    ] as const) {
      writeFileSync(file, damaged);
      expect(readCacheFile(file, 'walk', key), what).toBeUndefined();
    }
  });

  it('an encoder that fails half way leaves the file it would replace as it was, and no temporary file', () => {
    const { big, small } = sample();
    const dir = tempDir();
    const file = join(dir, 'walk.bin');
    writeCacheFile(file, 'walk', key, (w) => w.str('the old body'));
    const before = readFileSync(file);
    expect(() =>
      writeCacheFile(file, 'walk', key, (w) => {
        encodeSample(w, big, small);
        throw new Error('disk full');
      }),
    ).toThrow('disk full');
    expect(readFileSync(file).equals(before)).toBe(true);
    expect(readdirSync(dir)).toEqual(['walk.bin']);
  });
});
