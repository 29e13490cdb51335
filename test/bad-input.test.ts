/** Bad input: one clear line, a documented exit code, never a stack trace, a hang or lost data. */
import { mkdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, cliJson, fake, Repo, run, tempDir } from './helpers.js';
import { hasTool, withTool } from './helpers.js';

const itTime = withTool(hasTool('/usr/bin/time', ['true']), 'GNU time');

function oneLineError(res: { code: number; stderr: string; stdout: string }, pattern: RegExp) {
  expect(res.code).toBe(2);
  const lines = res.stderr.trim().split('\n');
  expect(lines, res.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^leakguard: /);
  expect(lines[0]).toMatch(pattern);
  expect(res.stderr).not.toMatch(/\n\s+at /);
}

describe('bad input', () => {
  it('not a git repository', () => {
    const dir = tempDir();
    oneLineError(cli(['scan'], dir), /not a git repository/);
    oneLineError(cli(['scan', '--staged'], dir), /not a git repository/);
    oneLineError(cli(['hook', 'install'], dir), /not a git repository/);
  });

  it('a path that does not exist', () => {
    const r = Repo.init();
    oneLineError(cli(['scan', 'no/such/dir'], r.dir), /no such file or directory/);
  });

  it('a repository with no commits: work tree and staged scans both work', () => {
    const r = Repo.init();
    expect(cli(['scan'], r.dir).code).toBe(0);
    expect(cli(['scan', '--staged'], r.dir).code).toBe(0);
    r.write('.env', 'A=1');
    expect(cli(['scan'], r.dir).code).toBe(1);
  });

  itTime('a 2 GB file is never read into memory; path and size rules still apply', () => {
    const r = Repo.init();
    mkdirSync(join(r.dir, 'exports'));
    const big = join(r.dir, 'exports', 'dump.jsonl');
    writeFileSync(big, '');
    truncateSync(big, 2 * 1024 ** 3);
    const res = run(
      '/usr/bin/time',
      [
        '-f',
        'maxrss=%M',
        process.execPath,
        join(import.meta.dirname, '..', 'bin', 'leakguard.js'),
        'scan',
        '--format',
        'json',
      ],
      r.dir,
    );
    const report = JSON.parse(res.stdout);
    expect(report.findings.map((f: any) => f.ruleId).sort()).toEqual(['large-data-file', 'oversized-file']);
    expect(report.stats.skipped['too-large']).toBe(1);
    const rssKb = Number(/maxrss=(\d+)/.exec(res.stderr)![1]);
    expect(rssKb).toBeLessThan(200_000);
  });

  itTime(
    'a 2 GB staged blob is never read into memory',
    () => {
      const r = Repo.init();
      const big = join(r.dir, 'model.ckpt');
      writeFileSync(big, '');
      truncateSync(big, 2 * 1024 ** 3);
      r.add();
      const res = run(
        '/usr/bin/time',
        [
          '-f',
          'maxrss=%M',
          process.execPath,
          join(import.meta.dirname, '..', 'bin', 'leakguard.js'),
          'scan',
          '--staged',
          '--format',
          'json',
        ],
        r.dir,
      );
      const report = JSON.parse(res.stdout);
      expect(report.findings.map((f: any) => f.ruleId).sort()).toEqual(['model-weights', 'oversized-file']);
      expect(Number(/maxrss=(\d+)/.exec(res.stderr)![1])).toBeLessThan(200_000);
    },
    120_000,
  );

  it('a user rule with a catastrophically backtracking regex is rejected with a clear error', () => {
    const r = Repo.init();
    r.write('.leakguard.yml', "rules:\n  - id: evil\n    description: evil\n    severity: low\n    regex: '(a+)+$'\n");
    oneLineError(cli(['scan'], r.dir), /rule 'evil': regex can backtrack catastrophically at '\(a\+\)\+'/);
  });

  it('a backtracking regex that passes the static check still finishes in bounded time', () => {
    const r = Repo.init();
    r.write(
      '.leakguard.yml',
      "rules:\n  - id: sneaky\n    description: sneaky\n    severity: low\n    regex: '(?i)(a|aa)+b'\n",
    )
      .write('a.txt', 'a'.repeat(80))
      .write('b.txt', 'a'.repeat(80));
    const started = Date.now();
    const { code, report } = cliJson(['scan'], r.dir);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(code).toBe(0);
    expect(report.stats.skipped.timeout).toBe(1);
    expect(report.stats.warnings.join('\n')).toMatch(/rule 'sneaky' exceeded/);
  }, 30_000);

  it('an unreadable or invalid config', () => {
    const r = Repo.init();
    mkdirSync(join(r.dir, '.leakguard.yml'));
    oneLineError(cli(['scan'], r.dir), /cannot read .*\.leakguard\.yml: is a directory/);
    const r2 = Repo.init();
    r2.write('.leakguard.yml', 'rules: [\n  - id: x\n');
    oneLineError(cli(['scan'], r2.dir), /\.leakguard\.yml: invalid YAML at line \d+/);
    const r3 = Repo.init();
    r3.write('.leakguard.yml', 'rulez: []\n');
    oneLineError(cli(['scan'], r3.dir), /unknown key 'rulez'/);
    oneLineError(
      cli(['scan', '--config', '/nonexistent/cfg.yml'], r3.dir),
      /cannot read \/nonexistent\/cfg.yml: no such file/,
    );
    const r4 = Repo.init();
    r4.write('.leakguard.yml', "rules:\n  - id: badre\n    description: x\n    severity: low\n    regex: '([a-z'\n");
    oneLineError(cli(['scan'], r4.dir), /rule 'badre': invalid regex/);
  });

  it('a corrupt object in the index is an error naming it, never an all-clear', () => {
    const r = Repo.init();
    r.write('a.txt', `k=${fake.googleKey()}\n`).add();
    const oid = r.git('rev-parse', ':a.txt').trim();
    rmSync(join(r.dir, '.git', 'objects', oid.slice(0, 2), oid.slice(2)));
    const res = cli(['scan', '--staged'], r.dir);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(new RegExp(`${oid}.*missing|missing.*${oid}|${oid}`));
  });

  it('a shallow clone is scanned', () => {
    const src = Repo.init();
    src.write('a', '1').add().commit().write('.env', 'A=1').add().commit();
    const dir = join(tempDir(), 'shallow');
    run('git', ['clone', '-q', '--depth', '1', `file://${src.dir}`, dir], '/');
    expect(cli(['scan'], dir).code).toBe(1);
  });
});
