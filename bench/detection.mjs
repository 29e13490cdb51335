#!/usr/bin/env node
// Detection benchmark (not a timed test): how many findings on public repositories are credentials,
// test fixtures, or not credentials at all, per rule, against labels kept in
// bench/detection-labels.json. See bench/DETECTION.md for the repositories and how to bring them.
//
//   npm run bench:detection -- --from DIR     clone each pinned repository from DIR/<owner>+<name>.git
//                                             (or DIR/<owner>+<name>) into bench/corpus/detection/
//   npm run bench:detection                   scan the checkouts already in bench/corpus/detection/
//   npm run bench:detection -- --unlabelled   also list findings with no label yet (redacted)
//   npm run bench:detection -- --write-new L  record every unlabelled finding with label L (tp,
//                                             fixture, fp); meant for a first pass, then hand-edited
//
// Label keys never hold a secret: a content finding is keyed by repository, path and the first 16
// hex digits of the SHA-256 of the matched value; a path or size finding by repository, path and
// kind. A key does not name the rule, so a finding that moves from one rule to another keeps its label.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const CORPUS = join(ROOT, 'bench', 'corpus', 'detection');
const REPOS_FILE = join(ROOT, 'bench', 'detection-repos.json');
const LABELS_FILE = join(ROOT, 'bench', 'detection-labels.json');
const GENERIC = 'generic-secret-assignment';
const LABELS = ['tp', 'fixture', 'fp'];

const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? undefined : args[i + 1];
};
const flag = (name) => args.includes(`--${name}`);

const { repos } = JSON.parse(readFileSync(REPOS_FILE, 'utf8'));
const labels = existsSync(LABELS_FILE) ? JSON.parse(readFileSync(LABELS_FILE, 'utf8')) : {};
const git = (cwd, ...a) =>
  execFileSync('git', a, { cwd, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28 }).toString();

function bring(repo, from) {
  const dest = join(CORPUS, repo.name);
  if (existsSync(join(dest, '.git'))) {
    if (git(dest, 'rev-parse', 'HEAD').trim() === repo.commit) return dest;
    git(dest, 'checkout', '-q', '--detach', repo.commit);
    return dest;
  }
  if (!from) return undefined;
  const slug = repo.github.replace('/', '+');
  const src = [join(from, `${slug}.git`), join(from, slug), join(from, slug, 'repo')].find((p) => existsSync(p));
  if (!src) throw new Error(`${repo.github}: not found under ${from} (expected ${slug}.git); see bench/DETECTION.md`);
  mkdirSync(CORPUS, { recursive: true });
  git(ROOT, 'clone', '-q', '--no-checkout', src, dest);
  git(dest, 'checkout', '-q', '--detach', repo.commit);
  return dest;
}

const short = (s) => createHash('sha256').update(s).digest('hex').slice(0, 16);
const keyOf = (repo, f) =>
  f.kind === 'content' ? `${repo}|${f.path}|${short(f.secret)}` : `${repo}|${f.path}|${f.kind}`;
// A content finding is one secret wherever it appears (the first path names it): a label given
// to the same value at another path of the same repository applies to it too.
const byValue = new Map();
for (const [k, v] of Object.entries(labels)) {
  const [repo, , tail] = k.split('|');
  if (tail !== 'path' && tail !== 'size') byValue.set(`${repo}|${tail}`, v);
}
const valueKey = (key) => {
  const [repo, , tail] = key.split('|');
  return `${repo}|${tail}`;
};

const { scan, redact } = await import(join(ROOT, 'dist', 'index.js'));
const from = opt('from') ? resolve(opt('from')) : undefined;
const writeNew = opt('write-new');
if (writeNew && !LABELS.includes(writeNew)) throw new Error(`--write-new takes one of ${LABELS.join(', ')}`);

const perRule = new Map(); // rule -> {tp, fixture, fp, unlabelled}
const found = new Set();
const unlabelled = [];
let scanned = 0;
for (const repo of repos) {
  const dir = bring(repo, from);
  if (!dir) {
    console.log(`${repo.name}: not in bench/corpus/detection (run with --from DIR)`);
    continue;
  }
  scanned++;
  const report = await scan({ path: dir, redact: false });
  for (const f of report.findings) {
    const key = keyOf(repo.name, f);
    found.add(key);
    if (f.kind === 'content') found.add(valueKey(key));
    const row = perRule.get(f.ruleId) ?? { tp: 0, fixture: 0, fp: 0, unlabelled: 0 };
    perRule.set(f.ruleId, row);
    const label = (labels[key] ?? (f.kind === 'content' ? byValue.get(valueKey(key)) : undefined))?.label;
    if (label) {
      row[label]++;
      continue;
    }
    row.unlabelled++;
    const shown = f.secret === undefined ? '' : redact(f.secret);
    unlabelled.push({ key, rule: f.ruleId, where: `${repo.name}:${f.path}${f.line ? `:${f.line}` : ''}`, shown });
    if (writeNew) labels[key] = { label: writeNew, rule: f.ruleId, shown, line: f.line };
  }
}

const sum = (rows, k) => rows.reduce((n, r) => n + r[k], 0);
const rows = [...perRule.entries()].sort(
  (a, b) => b[1].tp + b[1].fixture + b[1].fp + b[1].unlabelled - (a[1].tp + a[1].fixture + a[1].fp + a[1].unlabelled),
);
console.log(
  `${'rule'.padEnd(40)} ${'total'.padStart(6)} ${'tp'.padStart(5)} ${'fixt'.padStart(5)} ${'fp'.padStart(5)} ${'new'.padStart(5)}`,
);
for (const [id, r] of rows) {
  console.log(
    `${id.padEnd(40)} ${String(r.tp + r.fixture + r.fp + r.unlabelled).padStart(6)} ${String(r.tp).padStart(5)} ${String(r.fixture).padStart(5)} ${String(r.fp).padStart(5)} ${String(r.unlabelled).padStart(5)}`,
  );
}
const all = rows.map(([, r]) => r);
const outside = rows.filter(([id]) => id !== GENERIC).map(([, r]) => r);
const total = (rs) => sum(rs, 'tp') + sum(rs, 'fixture') + sum(rs, 'fp') + sum(rs, 'unlabelled');
const ratio = (rs) =>
  `${sum(rs, 'fp')} of ${total(rs)} (${total(rs) ? ((100 * sum(rs, 'fp')) / total(rs)).toFixed(1) : '0.0'}%)`;
console.log(`\nnot a credential: ${ratio(all)}; outside ${GENERIC}: ${ratio(outside)}`);
const wanted = Object.entries(labels).filter(
  ([k, v]) => v.label !== 'fp' && repos.some((r) => k.startsWith(`${r.name}|`)),
);
const missed = wanted.filter(([k]) => !found.has(k) && !found.has(valueKey(k)));
console.log(
  `recall on labelled credentials and fixtures: ${wanted.length - missed.length} of ${wanted.length}${missed.length ? ` (missed: ${missed.map(([k, v]) => `${k.split('|').slice(0, 2).join(':')} ${v.rule}`).join(', ')})` : ''}`,
);
if (unlabelled.length)
  console.log(
    `${unlabelled.length} finding(s) have no label yet${flag('unlabelled') ? ':' : ' (--unlabelled lists them)'}`,
  );
if (flag('unlabelled')) for (const u of unlabelled) console.log(`  ${u.key}  ${u.rule}  ${u.where}  ${u.shown}`);
if (writeNew) {
  const sorted = Object.fromEntries(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));
  writeFileSync(LABELS_FILE, `${JSON.stringify(sorted, null, 1)}\n`);
}
if (!scanned) process.exitCode = 2;
