#!/usr/bin/env node
// leakguard benchmark (not a timed test): prints medians side by side, measured in one run.
//
//   npm run bench                       corpus: bench/corpus/* if present, else a synthetic repository
//   npm run bench -- --repo PATH ...    any repositories (work trees or bare mirrors)
//   npm run bench -- --runs 30 --only staged
//   npm run bench -- --synthetic --iso      adds a generated history, and times the isomorphic-git engine
//
// staged:  `leakguard scan --staged` with 20 staged files, next to `node -e 0` (bare node start-up).
// history: `leakguard scan --history` next to `git log -p -U0 --full-history --all` (what diff-based
//          scanners must at least pay), `git secrets --scan-history` when installed, and leakguard's
//          isomorphic-git engine (--iso; slow on big histories). Wall time and peak memory.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir, cpus, totalmem } from 'node:os';
import { join, resolve, basename } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const BIN = process.env.LEAKGUARD_BENCH_BIN ?? join(ROOT, 'bin', 'leakguard.js');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? dflt : args[i + 1];
};
const repos = args.flatMap((a, i) => (args[i - 1] === '--repo' ? [resolve(a)] : []));
const runs = Number(opt('runs', '21'));
// --iso also times the isomorphic-git engine; --history-runs N sets the history repetitions
const only = opt('only', 'all');

// an empty global config of our own: never /dev/null, which a tool writing global config would replace
const globalConfig = join(mkdtempSync(join(tmpdir(), 'lg-bench-cfg-')), 'gitconfig');
writeFileSync(globalConfig, '');
const gitEnv = {
  ...process.env,
  GIT_CONFIG_GLOBAL: globalConfig,
  GIT_AUTHOR_NAME: 'b',
  GIT_AUTHOR_EMAIL: 'b@b',
  GIT_COMMITTER_NAME: 'b',
  GIT_COMMITTER_EMAIL: 'b@b',
};
const git = (cwd, ...a) => execFileSync('git', a, { cwd, env: gitEnv, maxBuffer: 1 << 30 }).toString();

function timeOnce(cmd, argv, cwd, env = gitEnv) {
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, argv, { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0 && r.status !== 1) throw new Error(`${cmd} ${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

/** A deterministic synthetic repository, for runs without a cloned corpus. */
function syntheticRepo(files = 3000, commits = 400) {
  const dir = mkdtempSync(join(tmpdir(), 'lg-bench-synth-'));
  git(dir, 'init', '-q', '-b', 'main');
  let seed = 42;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const line = () => Array.from({ length: 8 }, () => Math.floor(rnd() * 1e9).toString(36)).join(' ');
  for (let i = 0; i < files; i++) {
    const p = join(dir, `src/m${i % 50}/f${i}.js`);
    execFileSync('mkdir', ['-p', join(dir, `src/m${i % 50}`)]);
    writeFileSync(p, Array.from({ length: 40 }, line).join('\n') + '\n');
  }
  git(dir, 'add', '.');
  git(dir, 'commit', '-q', '-m', 'initial');
  for (let c = 1; c < commits; c++) {
    for (let k = 0; k < 5; k++) {
      const fi = (c * 7 + k * 13) % files;
      appendFileSync(join(dir, `src/m${fi % 50}/f${fi}.js`), line() + '\n');
    }
    // a few planted leaks, so the scan has something to attribute
    if (c % 100 === 0)
      writeFileSync(
        join(dir, `src/m0/leak${c}.env`),
        `TOKEN=ghp_${'x1Y2z3W4v5U6t7S8r9Q0p1O2n3M4l5K6j7I8'.slice(0, 36)}\n`,
      );
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', `change ${c}`);
  }
  return dir;
}

function corpus() {
  if (args.includes('--synthetic')) return [...repos, syntheticRepo()];
  if (repos.length) return repos;
  const dir = join(ROOT, 'bench', 'corpus');
  const found = existsSync(dir)
    ? readdirSync(dir)
        .map((d) => join(dir, d))
        .filter((d) => existsSync(join(d, '.git')) || existsSync(join(d, 'HEAD')))
    : [];
  if (found.length) return found;
  console.log('(no corpus in bench/corpus and no --repo: generating a synthetic repository)');
  return [syntheticRepo()];
}

function benchStaged(repo) {
  // a throwaway clone sharing the corpus's objects, with 20 modified files staged
  const dir = mkdtempSync(join(tmpdir(), 'lg-bench-staged-'));
  git(tmpdir(), 'clone', '-q', '--shared', repo, dir);
  const files = git(dir, 'ls-files')
    .split('\n')
    .filter((f) => /\.(js|md|json|ts|txt)$/.test(f))
    .slice(0, 20);
  for (const f of files) appendFileSync(join(dir, f), '\n// touched by the leakguard benchmark\n');
  git(dir, 'add', '--', ...files);
  const tracked = git(dir, 'ls-files').split('\n').length - 1;
  // warm the page cache and git's index once
  timeOnce(process.execPath, [BIN, 'scan', '--staged', '--quiet'], dir);
  const node = [];
  const lg = [];
  for (let i = 0; i < runs; i++) {
    node.push(timeOnce(process.execPath, ['-e', '0'], dir));
    lg.push(timeOnce(process.execPath, [BIN, 'scan', '--staged', '--quiet'], dir));
  }
  rmSync(dir, { recursive: true, force: true });
  const mNode = median(node);
  const mLg = median(lg);
  console.log(
    `staged  ${basename(repo).padEnd(12)} ${String(tracked).padStart(6)} tracked files, ${files.length} staged | node -e 0: ${mNode.toFixed(1)} ms | leakguard scan --staged: ${mLg.toFixed(1)} ms | difference: ${(mLg - mNode).toFixed(1)} ms (target <= 40) | median of ${runs}`,
  );
}

function timeRss(cmd, argv, cwd, env = gitEnv) {
  const t = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', cmd, ...argv], {
    cwd,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
    maxBuffer: 1 << 26,
  });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.error) return { ms, rssMb: NaN, status: -1 };
  const rss = Number(r.stderr.toString().trim().split('\n').pop());
  return { ms, rssMb: rss / 1024, status: r.status };
}
const hasTime = existsSync('/usr/bin/time');
const gitSecrets = spawnSync('sh', ['-c', 'command -v git-secrets']).status === 0;

function benchHistory(repo, reps) {
  const gitLog = () => timeOnce('sh', ['-c', 'git log -p -U0 --full-history --all > /dev/null'], repo);
  const lg = () =>
    hasTime
      ? timeRss(process.execPath, [BIN, 'scan', '--history', '--quiet', '--format', 'json'], repo)
      : { ms: timeOnce(process.execPath, [BIN, 'scan', '--history', '--quiet', '--format', 'json'], repo), rssMb: NaN };
  gitLog();
  lg(); // warm the page cache
  const g = [];
  const l = [];
  const rss = [];
  for (let i = 0; i < reps; i++) {
    g.push(gitLog());
    const x = lg();
    l.push(x.ms);
    rss.push(x.rssMb);
  }
  const mg = median(g);
  const ml = median(l);
  let line = `history ${basename(repo).padEnd(12)} git log -p: ${(mg / 1000).toFixed(2)} s | leakguard --history: ${(ml / 1000).toFixed(2)} s (${(ml / mg).toFixed(2)}x, target <= 1.0x), peak ${Math.max(...rss).toFixed(0)} MB (target <= 300)`;
  if (gitSecrets) {
    const home = mkdtempSync(join(tmpdir(), 'lg-bench-home-'));
    const env = { ...gitEnv, HOME: home, GIT_CONFIG_GLOBAL: join(home, '.gitconfig') };
    spawnSync('git', ['secrets', '--register-aws', '--global'], { env, stdio: 'ignore' });
    const s = timeOnce('sh', ['-c', 'git secrets --scan-history > /dev/null 2>&1 || true'], repo, env);
    line += ` | git secrets --scan-history: ${(s / 1000).toFixed(2)} s`;
    rmSync(home, { recursive: true, force: true });
  } else line += ' | git secrets: not installed (apt-get install git-secrets)';
  console.log(`${line} | median of ${reps}`);
  const commits = Number(git(repo, 'rev-list', '--all', '--count').trim());
  if (args.includes('--iso') && commits > 3000)
    console.log(
      `history ${basename(repo).padEnd(12)} isomorphic-git engine: skipped (${commits} commits; it reads every tree in JavaScript, use --synthetic to compare)`,
    );
  else if (args.includes('--iso')) {
    const iso = timeOnce(
      process.execPath,
      [BIN, 'scan', '--history', '--quiet', '--engine', 'isomorphic', '--format', 'json'],
      repo,
    );
    console.log(
      `history ${basename(repo).padEnd(12)} isomorphic-git engine: ${(iso / 1000).toFixed(2)} s (${(iso / ml).toFixed(1)}x the git engine)`,
    );
  }
}

console.log(
  `machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, ${git(ROOT, 'version').trim()}`,
);
for (const repo of corpus()) {
  const bare = git(repo, 'rev-parse', '--is-bare-repository').trim() === 'true';
  if ((only === 'all' || only === 'staged') && !bare) benchStaged(repo);
  if (only === 'all' || only === 'history') benchHistory(repo, Number(opt('history-runs', '5')));
}
