/** `leakguard scan` (work tree), report formats, config and baselines, end to end on real repositories. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ACME_RULE, cli, cliJson, fake, Repo, tempDir } from './helpers.js';

function incidentRepo(): Repo {
  const r = Repo.init();
  r.write('.gitignore', 'ignored.env\nbuild/\n')
    .write('src/app.js', 'console.log("hello")\n')
    .write('.env.example', 'GOOGLE_API_KEY=AIza...your-key...\n')
    .write('docs/setup.md', 'Put your key in `.env` as GOOGLE_API_KEY=AIza...your-key...\n')
    .add()
    .commit('initial');
  // tracked change, untracked file, ignored file
  r.write('src/config.js', `export const key = "${fake.googleKey()}";\n`)
    .write(
      '.gemini/settings.json',
      `{"mcpServers": {"search": {"httpUrl": "https://mcp.example.net", "headers": {"Authorization": "Bearer ${fake.mcpToken()}"}}}}\n`,
    )
    .write('ignored.env', `TOKEN=${fake.githubPat()}\n`)
    .write('build/out.js', `const t = "${fake.githubPat()}";\n`);
  return r;
}

describe('leakguard scan (work tree)', () => {
  it('scans tracked and untracked files, not ignored ones, and exits 1', () => {
    const r = incidentRepo();
    const { code, report } = cliJson(['scan'], r.dir);
    expect(code).toBe(1);
    const got = report.findings.map((f: any) => `${f.ruleId} ${f.path}`).sort();
    expect(got).toEqual(['ai-assistant-config-credential .gemini/settings.json', 'google-api-key src/config.js']);
  });

  it('exits 0 with nothing to report, and says so', () => {
    const r = Repo.init();
    r.write('README.md', '# hi\n').add().commit();
    const res = cli(['scan'], r.dir);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^No findings — 1 file,/m);
    expect(cli(['scan', '--quiet'], r.dir).stdout).toBe('');
  });

  it('JSON follows the contract and never holds the secret unless --no-redact', () => {
    const r = incidentRepo();
    const { report } = cliJson(['scan'], r.dir);
    const f = report.findings.find((x: any) => x.ruleId === 'google-api-key');
    expect(Object.keys(f).sort()).toEqual([
      'column',
      'confidence',
      'description',
      'fingerprint',
      'kind',
      'line',
      'path',
      'ruleId',
      'secret',
      'severity',
    ]);
    expect(f).toMatchObject({ kind: 'content', path: 'src/config.js', line: 1, column: 21, severity: 'high' });
    expect(f.secret).toBe('AIza********');
    expect(JSON.stringify(report)).not.toContain(fake.googleKey());
    expect(report.stats).toMatchObject({ files: 6, rules: expect.any(Number) });
    const open = cliJson(['scan', '--no-redact'], r.dir).report;
    expect(open.findings.find((x: any) => x.ruleId === 'google-api-key').secret).toBe(fake.googleKey());
  });

  it('text output groups by file, hides secrets and says how to accept a finding', () => {
    const r = incidentRepo();
    const res = cli(['scan'], r.dir);
    expect(res.stdout).not.toContain(fake.googleKey());
    expect(res.stdout).toMatch(/^src\/config\.js\n {2}1:21 +high +Google API key/m);
    expect(res.stdout).toMatch(/leakguard:allow/);
    expect(res.stdout).toMatch(/leakguard baseline/);
    expect(res.stdout).not.toMatch(/\x1b\[/); // no colour when not a TTY
  });

  it('--color and --no-color decide the colour whatever the terminal and NO_COLOR say', () => {
    const r = incidentRepo();
    // the test environment sets NO_COLOR and is no terminal: the flag still wins
    const forced = cli(['scan', '--color'], r.dir);
    expect(forced.code).toBe(1);
    expect(forced.stdout).toMatch(/\x1b\[31m\d+ findings?/);
    expect(forced.stdout).not.toContain(fake.googleKey());
    const never = cli(['scan', '--no-color'], r.dir);
    expect(never.code).toBe(1);
    expect(never.stdout).not.toMatch(/\x1b\[/);
    expect(cli(['scan', '--color=always'], r.dir).code).toBe(2);
  });

  it('SARIF 2.1.0 has rules, locations and partial fingerprints', () => {
    const r = incidentRepo();
    r.write('dir with space/ü.txt', `k=${fake.awsKeyId()}\n`);
    const res = cli(['scan', '--format', 'sarif'], r.dir);
    expect(res.code).toBe(1);
    const sarif = JSON.parse(res.stdout);
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.$schema).toMatch(/sarif-2\.1\.0/);
    const run = sarif.runs[0];
    expect(run.tool.driver.name).toBe('leakguard');
    const ruleIds = run.tool.driver.rules.map((x: any) => x.id);
    expect(ruleIds).toContain('google-api-key');
    for (const res of run.results) {
      expect(ruleIds[res.ruleIndex]).toBe(res.ruleId);
      expect(res.partialFingerprints['leakguardFingerprint/v1']).toMatch(/^[0-9a-f]{32}$/);
      // content findings have a region; path and size findings cover the whole file
      if (res.properties.kind === 'content')
        expect(res.locations[0].physicalLocation.region.startLine).toBeGreaterThanOrEqual(1);
      else expect(res.locations[0].physicalLocation.region).toBeUndefined();
      expect(['error', 'warning', 'note']).toContain(res.level);
    }
    const uris = run.results.map((x: any) => x.locations[0].physicalLocation.artifactLocation.uri);
    expect(uris).toContain('dir%20with%20space/%C3%BC.txt');
    expect(res.stdout).not.toContain(fake.googleKey());
    expect(run.tool.driver.rules[0].properties['security-severity']).toMatch(/^\d+\.\d$/);
  });

  it('--output writes the report to a file', () => {
    const r = incidentRepo();
    const out = join(r.dir, '..', `report-${Date.now()}.json`);
    const res = cli(['scan', '--format', 'json', '--output', out], r.dir);
    expect(res.code).toBe(1);
    expect(res.stdout).toBe('');
    expect(JSON.parse(readFileSync(out, 'utf8')).findings).toHaveLength(2);
  });

  it('scans only the given path', () => {
    const r = incidentRepo();
    const { report } = cliJson(['scan', 'src'], r.dir);
    expect(report.findings.map((f: any) => f.path)).toEqual(['src/config.js']);
    const single = cliJson(['scan', join(r.dir, '.gemini', 'settings.json')], r.dir).report;
    expect(single.findings.map((f: any) => f.ruleId)).toEqual(['ai-assistant-config-credential']);
  });

  it('works from a subdirectory of the repository', () => {
    const r = incidentRepo();
    const { report } = cliJson(['scan'], join(r.dir, 'src'));
    expect(report.findings.map((f: any) => f.path)).toEqual(['src/config.js']);
  });
});

describe('config (.leakguard.yml)', () => {
  it('adds rules, disables rules, overrides thresholds and allowlists paths', () => {
    const r = Repo.init();
    r.write(
      '.leakguard.yml',
      [
        'disable: [gemini-state-folder]',
        'allowlist:',
        '  paths: ["fixtures/**"]',
        'rules:',
        ...ACME_RULE,
        '  - id: large-data-file',
        '    min_size: 10',
        '',
      ].join('\n'),
    )
      .write('.gemini/settings.json', '{}')
      .write('fixtures/key.txt', fake.googleKey())
      .write('src/a.txt', 'token = acme_0123456789abcdef\n')
      .write('data/tiny.jsonl', '{"a": 1}\n{"b": 2}\n');
    const { code, report } = cliJson(['scan'], r.dir);
    expect(code).toBe(1);
    expect(report.findings.map((f: any) => `${f.ruleId} ${f.path}`).sort()).toEqual([
      'acme-token src/a.txt',
      'large-data-file data/tiny.jsonl',
    ]);
  });

  it('--no-default-rules keeps only the config rules', () => {
    const r = Repo.init();
    r.write(
      '.leakguard.yml',
      "rules:\n  - id: only\n    description: only rule\n    severity: low\n    paths: ['**/*.secret']\n",
    )
      .write('.env', `K=${fake.googleKey()}`)
      .write('x.secret', 'a');
    const { report } = cliJson(['scan', '--no-default-rules'], r.dir);
    expect(report.findings.map((f: any) => f.ruleId)).toEqual(['only']);
    expect(report.stats.rules).toBe(1);
  });

  it('--config names another file', () => {
    const r = Repo.init();
    const cfg = join(tempDir('lg-cfg-'), 'other.yml'); // outside the repository, removed after the run
    writeFileSync(cfg, 'disable: [dotenv-file]\n');
    r.write('.env', 'A=1\n');
    expect(cli(['scan'], r.dir).code).toBe(1);
    expect(cli(['scan', '--config', cfg], r.dir).code).toBe(0);
  });

  it('a malformed rule is an error naming the file and the rule', () => {
    const r = Repo.init();
    r.write(
      '.leakguard.yml',
      "rules:\n  - id: broken-rule\n    description: x\n    severity: urgent\n    regex: 'a'\n",
    );
    const res = cli(['scan'], r.dir);
    expect(res.code).toBe(2);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toMatch(/\.leakguard\.yml: rule 'broken-rule': 'severity' must be one of/);
  });
});

describe('baseline', () => {
  it('records findings as hashes and later scans drop them, across edits and commits', () => {
    const r = Repo.init();
    r.write('src/a.js', `const k = "${fake.googleKey()}";\n`).write('.env', 'A=1\n').add().commit();
    const b = cli(['baseline'], r.dir);
    expect(b.code).toBe(0);
    const file = join(r.dir, '.leakguard-baseline.json');
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(fake.googleKey());
    const doc = JSON.parse(text);
    expect(doc.entries.map((e: any) => e.ruleId).sort()).toEqual(['dotenv-file', 'google-api-key']);
    expect(text).not.toMatch(/date|time/i);
    // move the secret down and commit: still baselined
    r.write('src/a.js', `// header\n\n\nconst k = "${fake.googleKey()}";\n`).add().commit('move');
    expect(cli(['scan', '--baseline', file], r.dir).code).toBe(0);
    // a new secret is still reported
    r.write('src/b.js', `t = "${fake.githubPat()}"\n`);
    const { code, report } = cliJson(['scan', '--baseline', file], r.dir);
    expect(code).toBe(1);
    expect(report.findings.map((f: any) => f.ruleId)).toEqual(['github-pat']);
    expect(report.stats.suppressed.baseline).toBe(2);
    // baseline output is stable: regenerating changes nothing
    r.write('src/b.js', '');
    cli(['baseline'], r.dir);
    expect(readFileSync(file, 'utf8')).toBe(text);
  });

  it('a missing or broken baseline is a clear error', () => {
    const r = Repo.init();
    expect(cli(['scan', '--baseline', 'nope.json'], r.dir)).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/cannot read baseline nope.json: no such file/),
    });
    r.write('bad.json', '{');
    expect(cli(['scan', '--baseline', 'bad.json'], r.dir).stderr).toMatch(/not valid JSON/);
  });
});

describe('command line', () => {
  it('usage errors exit 2 with one line', () => {
    const r = Repo.init();
    for (const args of [[], ['scan', '--format', 'xml'], ['scan', '--bogus'], ['frobnicate']]) {
      const res = cli(args, r.dir);
      expect(res.code, args.join(' ')).toBe(2);
      expect(res.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(res.stderr).toMatch(/^leakguard: /);
    }
  });
  it('rules check validates the pack and rules list prints it', () => {
    const r = Repo.init();
    const check = cli(['rules', 'check'], r.dir);
    expect(check.code).toBe(0);
    expect(check.stdout).toMatch(/\d+ rules, \d+ examples, 0 failure\(s\)/);
    const list = cli(['rules', 'list'], r.dir);
    expect(list.stdout).toMatch(/^google-auth-key +content +critical/m);
  });
});
