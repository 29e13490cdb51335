#!/usr/bin/env node
// The scan cache's benchmark (not a timed test): `npm run bench:cache [-- --repo PATH ... --runs N]`.
//
// For each repository (default: bench/corpus/*, as bench/setup.sh clones them), in a throw-away
// `git clone --shared` of it (the corpus itself is never written to):
//   cold     `scan --history` with an empty cache, alternated with `--no-cache` in the same minutes
//            (the cost of writing the cache);
//   warm     a re-scan with nothing new;
//   +100     a re-scan after 100 new commits on top of the checked-out branch (the cache restored
//            before each run, so every run sees the same 100 commits).
// Wall seconds, and with GNU time the CPU seconds and peak memory of the largest process.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const BIN = process.env.LEAKGUARD_BENCH_BIN ?? join(ROOT, 'bin', 'leakguard.js');
const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1] ?? 3) || 3;
let repos = args.flatMap((a, i) => (args[i - 1] === '--repo' ? [resolve(a)] : []));
const corpus = join(ROOT, 'bench', 'corpus');
if (!repos.length && existsSync(corpus)) repos = readdirSync(corpus).map((d) => join(corpus, d));
if (!repos.length) {
  console.error('no repositories: run bench/setup.sh, or pass --repo PATH');
  process.exit(2);
}

const work = mkdtempSync(join(tmpdir(), 'lg-bench-cache-'));
const cfg = join(work, 'gitconfig');
writeFileSync(cfg, '');
const env = {
  ...process.env,
  GIT_CONFIG_GLOBAL: cfg,
  GIT_AUTHOR_NAME: 'b',
  GIT_AUTHOR_EMAIL: 'b@b',
  GIT_COMMITTER_NAME: 'b',
  GIT_COMMITTER_EMAIL: 'b@b',
};
const git = (cwd, ...a) => execFileSync('git', a, { cwd, env, maxBuffer: 1 << 30 }).toString();
const gnuTime = spawnSync('/usr/bin/time', ['-f', '%e', 'true']).status === 0;

/** One scan: wall seconds, and with GNU time CPU seconds and peak MB. */
function time(cwd, scanArgs) {
  const stats = join(work, 'time.txt');
  const argv = [BIN, 'scan', '--history', '--format', 'json', '--output', '/dev/null', ...scanArgs];
  const t = process.hrtime.bigint();
  const r = gnuTime
    ? spawnSync('/usr/bin/time', ['-o', stats, '-f', '%U %S %M', process.execPath, ...argv], { cwd, env })
    : spawnSync(process.execPath, argv, { cwd, env });
  const wall = Number(process.hrtime.bigint() - t) / 1e9;
  if (r.status !== 0 && r.status !== 1) throw new Error(`scan exited ${r.status}: ${r.stderr}`);
  if (!gnuTime) return { wall };
  // GNU time puts a line about a non-zero exit (1: findings) before its figures
  const [u, s, kb] = readFileSync(stats, 'utf8').trim().split('\n').pop().split(/\s+/).map(Number);
  return { wall, cpu: u + s, peakMb: kb / 1024 };
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const summary = (rs) => ({
  wall: median(rs.map((r) => r.wall)),
  cpu: rs[0].cpu === undefined ? undefined : median(rs.map((r) => r.cpu)),
  peakMb: rs[0].peakMb === undefined ? undefined : Math.max(...rs.map((r) => r.peakMb)),
});
const fmt = (s) =>
  `${s.wall.toFixed(2)} s${s.cpu === undefined ? '' : `, ${s.cpu.toFixed(2)} CPU-s, ${s.peakMb.toFixed(0)} MB`}`;

try {
  for (const src of repos) {
    const name = basename(src);
    const clone = join(work, name);
    git(work, 'clone', '-q', '--shared', src, clone);
    const cache = join(work, `${name}-cache`);
    // cold, alternated with --no-cache
    const cold = [];
    const plain = [];
    for (let i = 0; i < runs; i++) {
      plain.push(time(clone, ['--no-cache']));
      rmSync(cache, { recursive: true, force: true });
      cold.push(time(clone, ['--cache', cache]));
    }
    const warm = [];
    for (let i = 0; i < runs; i++) warm.push(time(clone, ['--cache', cache]));
    // 100 new commits on top: one appended line in each of 100 tracked files, a commit each
    const snapshot = join(work, `${name}-cache-snapshot`);
    cpSync(cache, snapshot, { recursive: true });
    const files = git(clone, 'ls-files', '-s', '-z')
      .split('\0')
      .filter((l) => l.startsWith('100644 '))
      .map((l) => l.slice(l.indexOf('\t') + 1))
      .slice(0, 100);
    files.forEach((f, i) => {
      appendFileSync(join(clone, f), `\nchange ${i}\n`);
      git(clone, 'commit', '-q', '-am', `change ${i} in ${f}`);
    });
    const more = [];
    for (let i = 0; i < runs; i++) {
      rmSync(cache, { recursive: true, force: true });
      cpSync(snapshot, cache, { recursive: true });
      more.push(time(clone, ['--cache', cache]));
    }
    const c = summary(cold);
    const p = summary(plain);
    const ratio = median(cold.map((r, i) => r.wall / plain[i].wall));
    console.log(`${name}:`);
    console.log(`  --no-cache          ${fmt(p)}`);
    console.log(`  cold cache          ${fmt(c)}  (cold/--no-cache, pairwise median: ${ratio.toFixed(3)}x wall)`);
    console.log(`  warm, unchanged     ${fmt(summary(warm))}`);
    console.log(`  after 100 commits   ${fmt(summary(more))}`);
    rmSync(clone, { recursive: true, force: true });
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
