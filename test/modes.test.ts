/**
 * One pipeline: every mode finds the same things. Each row is a repository whose one commit holds
 * the row's files; the row runs through the work tree, the index, history with both readers, and a
 * range, and every mode must agree on findings, suppression counts and skip counts.
 */
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scan } from '../src/api.js';
import { baselineFromFindings } from '../src/engine/baseline.js';
import type { ScanReport } from '../src/types.js';
import { cli, cliJson, fake, GIT_ENV, Repo, tempDir } from './helpers.js';

// checksum-valid, as the npm and PyPI rules require (see helpers)
const npmToken = () => fake.npmToken();
const pypiToken = () => fake.pypiToken();

interface Row {
  name: string;
  files: Record<string, string | Buffer>;
  config?: string;
  /** `ruleId path:line` of each finding, sorted. */
  findings: string[];
  suppressed?: Partial<ScanReport['stats']['suppressed']>;
  skipped?: ScanReport['stats']['skipped'];
  /** Write a baseline of the work-tree findings first, and scan every mode with it. */
  baseline?: boolean;
  occurrences?: Record<string, number>;
}

const rows: Row[] = [
  {
    name: 'an npm token outside .npmrc, on a line the .npmrc rule also matches',
    files: { '.github/workflows/publish.yml': `env:\n  NPM_CONFIG: //registry.npmjs.org/:_authToken=${npmToken()}\n` },
    findings: ['npm-access-token .github/workflows/publish.yml:2'],
  },
  {
    name: 'a PyPI token in setup.cfg, on a line the .pypirc rule also matches',
    files: { 'setup.cfg': `[upload]\npassword = ${pypiToken()}\n` },
    findings: ['pypi-upload-token setup.cfg:2'],
  },
  {
    name: 'the .npmrc rule where it applies',
    files: { '.npmrc': `//registry.npmjs.org/:_authToken=${npmToken()}\n` },
    findings: ['npmrc-auth-token .npmrc:1'],
  },
  {
    name: 'allowlisted paths are skipped, not suppressed',
    files: { 'fixtures/keys.txt': `key=${fake.googleKey()}\n`, 'src/a.js': 'export {}\n' },
    config: "allowlist:\n  paths: ['fixtures/**']\n",
    findings: [],
    skipped: { allowlisted: 1 },
    suppressed: { allowlist: 0, inline: 0 },
  },
  {
    name: 'an inline allow on a line an allowlist regex also covers counts as allowlist',
    files: {
      'src/a.js': `const k = "${fake.googleKey()}"; // leakguard:allow\nconst t = "${fake.githubPat()}"; // leakguard:allow\n`,
    },
    config: "allowlist:\n  regexes: ['^AIza']\n",
    findings: [],
    suppressed: { allowlist: 1, inline: 1 },
  },
  {
    name: 'one secret in two files is one finding with two occurrences',
    files: {
      'a/config.py': `KEY = "${fake.googleKey()}"\n`,
      'b/settings.py': `# copy\nGOOGLE = "${fake.googleKey()}"\n`,
    },
    findings: ['google-api-key a/config.py:1'],
    occurrences: { 'google-api-key': 2 },
  },
  {
    name: 'a baseline from the work tree holds in every mode',
    files: { 'src/a.js': `const t = "${fake.githubPat()}";\n`, 'src/b.js': `const k = "${fake.googleKey()}";\n` },
    baseline: true,
    findings: [],
    suppressed: { baseline: 2 },
  },
  {
    name: 'binary and oversized files are counted as skipped, path rules still run',
    files: {
      'bin/tool.bin': Buffer.concat([Buffer.from([0, 1, 2, 0]), Buffer.from(fake.githubPat())]),
      'data/big.txt': `${'x'.repeat(3000)}\n${fake.googleKey()}\n`,
      '.env': `GOOGLE_API_KEY=${fake.googleKey().slice(0, -1)}b\n`,
    },
    config: 'max_content_size: 2kB\n',
    findings: ['dotenv-file .env:0', 'google-api-key .env:1'],
    skipped: { binary: 1, 'too-large': 1 },
  },
];

type Mode = 'worktree' | 'staged' | 'history' | 'isomorphic' | 'range';
const MODES: Mode[] = ['worktree', 'staged', 'history', 'isomorphic', 'range'];

/** The row committed on top of an empty commit (the range's start), or only staged (`--staged`). */
function build(row: Row, commit = true): Repo {
  const repo = Repo.init();
  repo.commit('base');
  for (const [path, content] of Object.entries(row.files)) repo.write(path, content);
  if (row.config) repo.write('.leakguard.yml', row.config);
  repo.add();
  if (commit) repo.commit('the row');
  return repo;
}

async function runMode(mode: Mode, row: Row, committed: Repo, baseline?: string): Promise<ScanReport> {
  const dir = mode === 'staged' ? build(row, false).dir : committed.dir;
  const common = { path: dir, baseline, workers: 1 };
  switch (mode) {
    case 'worktree':
      return scan(common);
    case 'staged':
      return scan({ ...common, staged: true });
    case 'history':
      return scan({ ...common, history: true, engine: 'git' });
    case 'isomorphic':
      return scan({ ...common, history: true, engine: 'isomorphic' });
    case 'range':
      return scan({ ...common, range: 'HEAD~1..HEAD', engine: 'git' });
  }
}

/** What every mode must agree on: history-only fields (commits, refs, authors) left out. */
function comparable(r: ScanReport) {
  return {
    findings: r.findings.map((f) => ({
      ruleId: f.ruleId,
      kind: f.kind,
      path: f.path,
      line: f.line,
      column: f.column,
      secret: f.secret,
      fingerprint: f.fingerprint,
      severity: f.severity,
      size: f.size,
      places: [...new Set((f.occurrences ?? [{ path: f.path }]).map((o) => o.path))].sort(),
    })),
    suppressed: r.stats.suppressed,
    skipped: r.stats.skipped,
    files: r.stats.files,
    contentScanned: r.stats.contentScanned,
    bytesScanned: r.stats.bytesScanned,
  };
}

describe('every mode finds the same things', () => {
  for (const row of rows) {
    it(row.name, async () => {
      const repo = build(row);
      let baseline: string | undefined;
      if (row.baseline) {
        const first = await scan({ path: repo.dir });
        expect(first.findings.length).toBeGreaterThan(0);
        baseline = join(tempDir(), 'baseline.json');
        writeFileSync(baseline, JSON.stringify(baselineFromFindings(first.findings)));
      }
      const reports = new Map<Mode, ScanReport>();
      for (const mode of MODES) reports.set(mode, await runMode(mode, row, repo, baseline));
      const work = reports.get('worktree')!;
      expect(work.findings.map((f) => `${f.ruleId} ${f.path}:${f.line ?? 0}`).sort()).toEqual(row.findings);
      if (row.suppressed) expect(work.stats.suppressed).toMatchObject(row.suppressed);
      expect(work.stats.skipped).toEqual(row.skipped ?? {});
      for (const [rule, n] of Object.entries(row.occurrences ?? {})) {
        for (const [mode, r] of reports) {
          const f = r.findings.find((x) => x.ruleId === rule);
          expect(new Set(f?.occurrences?.map((o) => o.path)).size, `${mode}: ${rule} occurrences`).toBe(n);
        }
      }
      for (const mode of MODES) expect(comparable(reports.get(mode)!), mode).toEqual(comparable(work));
    });
  }
});

describe('messages are sources', () => {
  function withMessages(): Repo {
    const r = Repo.init();
    r.write('README.md', 'hello\n').add().commit('initial');
    r.write('src/a.js', 'export {}\n').add().commit(`deploy with token ${fake.githubPat()}`);
    r.git('tag', '-a', 'v1', '-m', `release notes\n\nGOOGLE_API_KEY=${fake.googleKey()}\n`);
    r.git('notes', 'add', '-m', `ci creds: aws_access_key_id = ${fake.awsKeyId()}`, 'HEAD~1');
    r.write('src/a.js', 'export const a = 1;\n').add().commit('clean change');
    return r;
  }

  for (const engine of ['git', 'isomorphic'] as const) {
    it(`finds a secret only in a commit message, a tag message or a note (${engine} reader)`, async () => {
      const r = withMessages();
      const head = r.git('rev-parse', 'HEAD~1').trim();
      const tagObject = r.git('rev-parse', 'refs/tags/v1').trim();
      const report = await scan({ path: r.dir, history: true, engine, workers: 1 });
      const bySource = Object.fromEntries(report.findings.map((f) => [f.source ?? 'file', f]));
      expect(Object.keys(bySource).sort()).toEqual(['commit-message', 'note', 'tag-message']);
      expect(bySource['commit-message']).toMatchObject({
        ruleId: 'github-pat',
        path: '(commit message)',
        commit: head,
        line: 1,
        column: 19,
        secret: 'ghp_********',
      });
      expect(bySource['tag-message']).toMatchObject({
        ruleId: 'google-api-key',
        path: '(tag message)',
        ref: 'refs/tags/v1',
        blobId: tagObject,
        commit: head,
        line: 3,
      });
      expect(bySource.note).toMatchObject({ ruleId: 'aws-access-key-id', path: '(note)', ref: 'refs/notes/commits' });
      // the subject that carries the token is redacted with it
      expect(bySource['commit-message']!.subject).toBe('deploy with token ghp_********');
      expect(JSON.stringify(report)).not.toContain(fake.githubPat());
      expect(JSON.stringify(report)).not.toContain(fake.googleKey());
      expect(JSON.stringify(report)).not.toContain(fake.awsKeyId());
    });
  }

  it('a range scans the messages of its commits, and the CLI never prints the token', () => {
    const r = withMessages();
    const range = cliJson(['scan', '--range', 'HEAD~2..HEAD~1'], r.dir);
    expect(range.code).toBe(1);
    expect(range.report.findings.map((f: any) => `${f.ruleId} ${f.source}`).sort()).toEqual([
      'github-pat commit-message',
      'google-api-key tag-message',
    ]);
    const before = cliJson(['scan', '--range', 'HEAD~1..HEAD'], r.dir);
    expect(before.report.findings).toEqual([]);
    // the isomorphic reader takes ids and ref names, not HEAD~1
    const [tagged, clean] = [r.git('rev-parse', 'HEAD~1').trim(), r.git('rev-parse', 'HEAD').trim()];
    const iso = cliJson(['scan', '--range', `${tagged}..${clean}`, '--engine', 'isomorphic'], r.dir);
    expect(iso.report.findings).toEqual([]);
    for (const format of ['text', 'json', 'sarif', 'gitlab']) {
      const out = cli(['scan', '--history', '--format', format], r.dir, { ...GIT_ENV, LEAKGUARD_DEBUG: '1' });
      expect(out.code, format).toBe(1);
      expect(out.stdout + out.stderr).not.toContain(fake.githubPat());
      expect(out.stdout + out.stderr).not.toContain(fake.googleKey());
    }
    const text = cli(['scan', '--history'], r.dir);
    expect(text.stdout).toContain('(commit message)');
    expect(text.stdout).toContain('deploy with token ghp_********');
  });

  it('--no-redact shows the subject as it is', async () => {
    const r = withMessages();
    const report = await scan({ path: r.dir, history: true, redact: false, workers: 1 });
    const f = report.findings.find((x) => x.source === 'commit-message')!;
    expect(f.subject).toBe(`deploy with token ${fake.githubPat()}`);
  });
});
