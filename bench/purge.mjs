#!/usr/bin/env node
// The purge at lodash's size: a synthetic history of 8,500 commits and 458 refs (400 tags, 57
// branches and main), with a .env and an inline key committed about 5,000 commits before the tip
// and removed later, pushed to one local bare remote. Runs the whole generated sh plan (backup,
// rewrite, verification, push, verification of the remote) and prints how its time splits
// between git-filter-repo, the clones and leakguard's own steps.
//   node bench/purge.mjs [--commits N] [--keep DIR]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const COMMITS = Number(opt('--commits', 8500));
const LEAK_AT = COMMITS > 6000 ? COMMITS - 5000 : Math.floor(COMMITS / 3);
const TAGS = 400;
const BRANCHES = 57;
const FILES = 600;
const BIN = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'leakguard.js');
const env = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Bench',
  GIT_AUTHOR_EMAIL: 'bench@example.com',
  GIT_COMMITTER_NAME: 'Bench',
  GIT_COMMITTER_EMAIL: 'bench@example.com',
};
// built at run time so this file holds no literal key
const KEY = 'AIza' + 'SyB3kF9x2LmQ7vT4nR8wZ1cY6hJ0pD5sE2a';

function sh(cmd, argv, cwd, input) {
  const r = spawnSync(cmd, argv, { cwd, env, input, encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed: ${r.stderr}`);
  return r;
}

/** A fast-import stream: source files that grow a few lines per commit, like a library's history. */
function stream() {
  const out = [];
  const data = (s) => {
    out.push(`data ${Buffer.byteLength(s)}\n${s}\n`);
  };
  const files = Array.from({ length: FILES }, (_, i) => ({
    path: `src/module${i % 40}/part${i}.js`,
    lines: Array.from({ length: 40 }, (_, j) => `export const v${i}_${j} = ${(i * 31 + j) % 997}; // part ${i}`),
  }));
  let t = 1_500_000_000;
  for (let c = 1; c <= COMMITS; c++) {
    out.push(`commit refs/heads/main\nmark :${c}\ncommitter Bench <bench@example.com> ${(t += 3600)} +0000\n`);
    data(`change ${c}\n`);
    if (c > 1) out.push(`from :${c - 1}\n`);
    for (let k = 0; k < (c === 1 ? FILES : 2); k++) {
      const f = files[c === 1 ? k : (c * 7 + k * 13) % FILES];
      if (c > 1)
        f.lines.splice((c * 5) % f.lines.length, 0, `export const c${c}_${k} = ${c % 101}; // from change ${c}`);
      out.push(`M 100644 inline ${f.path}\n`);
      data(`${f.lines.join('\n')}\n`);
    }
    if (c === LEAK_AT) {
      out.push('M 100644 inline .env\n');
      data(`GOOGLE_API_KEY=${KEY}\n`);
      out.push('M 100644 inline src/ai.js\n');
      data(`export const key = "${KEY}";\n`);
    }
    if (c === LEAK_AT + 40) out.push('D .env\n');
    out.push('\n');
  }
  for (let i = 0; i < TAGS; i++) out.push(`reset refs/tags/v${i}\nfrom :${Math.floor(((i + 1) * COMMITS) / TAGS)}\n\n`);
  for (let i = 0; i < BRANCHES; i++)
    out.push(`reset refs/heads/maint-${i}\nfrom :${Math.floor(((i + 1) * COMMITS) / (BRANCHES + 1))}\n\n`);
  return out.join('');
}

const dir = opt('--keep') ?? mkdtempSync(join(tmpdir(), 'lg-bench-purge-'));
try {
  const local = join(dir, 'local.git');
  const origin = join(dir, 'origin.git');
  let t = Date.now();
  sh('git', ['init', '-q', '--bare', '-b', 'main', local], dir);
  sh('git', ['fast-import', '--quiet'], local, stream());
  sh('git', ['gc', '-q'], local);
  sh('git', ['clone', '-q', '--bare', local, origin], dir);
  sh('git', ['remote', 'add', 'origin', origin], local);
  sh('git', ['fetch', '-q', 'origin'], local);
  const refs = sh('git', ['for-each-ref'], local).stdout.trim().split('\n').length;
  console.log(
    `synthetic history: ${COMMITS} commits, ${refs} refs in the local mirror, leak at commit ${LEAK_AT} (${COMMITS - LEAK_AT} before the tip), made in ${((Date.now() - t) / 1000).toFixed(1)} s`,
  );
  t = Date.now();
  const script = join(dir, 'purge.sh');
  sh(process.execPath, [BIN, 'purge', '--plan', '--format', 'sh', '--output', script, '--quiet'], local);
  console.log(`purge --plan (one history scan): ${((Date.now() - t) / 1000).toFixed(1)} s`);
  t = Date.now();
  const r = spawnSync('bash', [script, '--yes'], {
    cwd: local,
    env: { ...env, LEAKGUARD_BACKUP_DIR: dir },
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  const total = (Date.now() - t) / 1000;
  if (r.status !== 0) {
    console.error(r.stdout, r.stderr);
    process.exit(1);
  }
  for (const line of r.stderr.split('\n'))
    if (/timing:|verify.*passed|pushed/.test(line)) console.log(line.replace(/^leakguard: /, '  '));
  console.log(`whole sh plan: ${total.toFixed(1)} s`);
} finally {
  if (!opt('--keep')) rmSync(dir, { recursive: true, force: true });
}
