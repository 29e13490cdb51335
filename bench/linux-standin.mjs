#!/usr/bin/env node
/**
 * A Linux-kernel-sized history without a Linux clone: `node bench/linux-standin.mjs [COMMITS]
 * [BLOBS] [-- SCAN ARGS]` (default 1,300,000 commits and 10,000,000 blobs) runs `leakguard scan
 * --history` against a stand-in `git` and prints the scan's peak memory.
 *
 * How it stands in: a small `git` placed first on PATH answers the questions a history scan asks
 * about history itself, from a generated history that is never written anywhere:
 *   - `show-ref -d`: one branch, at the newest commit;
 *   - `log --raw` (the walk): the commits newest first, each with its parent and time (a merge in
 *     every 5,000), and enough changed files per commit to add up to BLOBS new blobs, over 100,000
 *     paths; with messages when the format asks for them;
 *   - `cat-file --batch` / `--batch-command`: every blob is a line of ordinary text (the content
 *     scan runs in full, on tiny blobs);
 *   - `log --no-walk` (describing commits): a fixed author, date and subject.
 * Everything else (rev-parse, config, for-each-ref...) goes to the real git, in an empty repository.
 * Object ids are made from a counter through a mixing function, so they are spread as real hashes
 * are. Peak memory is the node process's (GNU time), and the largest stand-in process's is left
 * out: it is the bench, not git.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const argv = process.argv.slice(2);
const dash = argv.indexOf('--');
const [commitsArg = '1300000', blobsArg = '10000000'] = dash === -1 ? argv : argv.slice(0, dash);
const scanArgs = dash === -1 ? ['--no-cache'] : argv.slice(dash + 1);

const work = mkdtempSync(join(tmpdir(), 'lg-linux-standin-'));
const bin = join(work, 'bin');
const repo = join(work, 'repo');
const realGit = execFileSync('sh', ['-c', 'command -v git']).toString().trim();
execFileSync('git', ['init', '-q', repo]);
execFileSync('mkdir', ['-p', bin]);
writeFileSync(
  join(bin, 'git'),
  `#!${process.execPath}\nprocess.env.STANDIN_REAL_GIT = ${JSON.stringify(realGit)};\nprocess.env.STANDIN_COMMITS = ${JSON.stringify(commitsArg)};\nprocess.env.STANDIN_BLOBS = ${JSON.stringify(blobsArg)};\nawait import(${JSON.stringify(join(ROOT, 'bench', 'linux-standin-git.mjs'))});\n`,
);
chmodSync(join(bin, 'git'), 0o755);

try {
  const stats = join(work, 'time.txt');
  const t = process.hrtime.bigint();
  const r = spawnSync(
    '/usr/bin/time',
    [
      '-o',
      stats,
      '-f',
      '%e %U %S %M',
      process.execPath,
      join(ROOT, 'bin', 'leakguard.js'),
      'scan',
      '--history',
      '--format',
      'json',
      '--output',
      '/dev/null',
      ...scanArgs,
    ],
    { cwd: repo, env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  const wall = Number(process.hrtime.bigint() - t) / 1e9;
  const [e, u, s, kb] = readFileSync(stats, 'utf8').trim().split('\n').pop().split(/\s+/).map(Number);
  console.log(
    `${commitsArg} commits, ${blobsArg} blobs: exit ${r.status}, ${(e ?? wall).toFixed(1)} s wall, ${(u + s).toFixed(1)} CPU-s, node peak ${(kb / 1024).toFixed(0)} MB`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
