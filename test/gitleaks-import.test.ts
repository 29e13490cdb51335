/** Moving from gitleaks: its config converted, its .gitleaksignore and gitleaks:allow comments honoured. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, cliJson, fake, Repo } from './helpers.js';

const TOML = `title = "team config"
[extend]
useDefault = true

[[rules]]
id = "acme-token"
description = "ACME internal token"
regex = '''(?i)\\b(acme_[a-z0-9]{16})\\b'''
keywords = ["acme_"]
[rules.allowlist]
regexes = ['''^acme_0{16}$''']
paths = ['''(^|/)fixtures/''']

[[rules]]
id = "corp-key"
regex = '''corp-(?P<key>[A-Z0-9]{20})'''
secretGroup = 1

[[rules]]
id = "dotall"
regex = '''(?s:begin.end)'''

[[rules]]
id = "tf-state"
description = "Terraform state"
path = '''\\.tfstate$'''

[allowlist]
paths = ['''(.*?)(jpg|png)$''']
commits = ["abc123"]
`;

describe('leakguard import gitleaks', () => {
  it('converts rules and allowlists, says what it could not convert, and the result scans like the original', () => {
    const r = Repo.init();
    r.write('.gitleaks.toml', TOML);
    const res = cli(['import', 'gitleaks'], r.dir);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toMatch(/converted 3 rule\(s\)/);
    expect(res.stderr).toMatch(/rule 'dotall': not converted: regex inline flags/);
    expect(res.stderr).toMatch(/allowlist commits/);
    const written = readFileSync(join(r.dir, '.leakguard.yml'), 'utf8');
    expect(written).toMatch(/secret_group: 1/);
    expect(written).toMatch(/regex: corp-\(\?<key>/);
    const token = 'acme_' + 'q3x9k2m7v8b1n4z6';
    r.write('src/a.js', `t = "${token}"\nc = "corp-ABCDEFGHIJ0123456789"\n`)
      .write('fixtures/b.js', `t = "${token}"\n`)
      .write('src/ok.js', 't = "acme_0000000000000000"\n')
      .write('infra/prod.tfstate', '{}\n')
      .write('img/logo.png', `t = "${token}"\n`);
    const { report } = cliJson(['scan', '--no-redact'], r.dir);
    const got = report.findings.map((f: any) => `${f.ruleId} ${f.path}${f.secret ? ` ${f.secret}` : ''}`).sort();
    // leakguard's own pack stays on (terraform-state), next to the imported rules
    expect(got).toEqual([
      `acme-token src/a.js ${token}`,
      'corp-key src/a.js ABCDEFGHIJ0123456789',
      'terraform-state infra/prod.tfstate',
      'tf-state infra/prod.tfstate',
    ]);
  });

  it('never overwrites a config without --force; -o - prints; bad TOML is one line', () => {
    const r = Repo.init();
    r.write('.gitleaks.toml', TOML).write('.leakguard.yml', 'rules: []\n');
    const res = cli(['import', 'gitleaks'], r.dir);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/already exists/);
    expect(readFileSync(join(r.dir, '.leakguard.yml'), 'utf8')).toBe('rules: []\n');
    const printed = cli(['import', 'gitleaks', '-o', '-'], r.dir);
    expect(printed.code).toBe(0);
    expect(printed.stdout).toMatch(/^rules:/m);
    expect(cli(['import', 'gitleaks', '--force'], r.dir).code).toBe(0);
    r.write('bad.toml', '[[rules]\nid = ');
    const bad = cli(['import', 'gitleaks', 'bad.toml', '-o', 'x.yml'], r.dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/invalid TOML/);
    expect(existsSync(join(r.dir, 'x.yml'))).toBe(false);
    expect(cli(['import', 'trufflehog'], r.dir).stderr).toMatch(/'trufflehog' is not one of gitleaks/);
  });
});

describe('gitleaks suppressions are honoured', () => {
  it('gitleaks:allow on the line drops the finding, like leakguard:allow', () => {
    const r = Repo.init();
    r.write('a.js', `k = "${fake.googleKey()}" // gitleaks:allow\nj = "${fake.githubPat()}"\n`);
    const { report } = cliJson(['scan'], r.dir);
    expect(report.findings.map((f: any) => f.ruleId)).toEqual(['github-pat']);
    expect(report.stats.suppressed.inline).toBe(1);
  });

  it('.gitleaksignore entries (path:rule:line, commit:path:rule:line) accept the finding at that place only', () => {
    const r = Repo.init();
    r.write('src/a.js', `k = "${fake.googleKey()}"\nj = "${fake.githubPat()}"\n`).add().commit('leak');
    const commit = r.git('rev-parse', 'HEAD').trim();
    // gitleaks' rule ids differ from leakguard's: the place is what identifies the finding
    r.write('.gitleaksignore', `# accepted\nsrc/a.js:gcp-api-key:1\n`);
    const work = cliJson(['scan'], r.dir).report;
    expect(work.findings.map((f: any) => `${f.ruleId}:${f.line}`)).toEqual(['github-pat:2']);
    expect(work.stats.suppressed.baseline).toBe(1);
    r.write('.gitleaksignore', `${commit}:src/a.js:github-pat:2\n${'f'.repeat(40)}:src/a.js:gcp-api-key:1\n`);
    const hist = cliJson(['scan', '--history'], r.dir).report;
    expect(hist.findings.map((f: any) => `${f.ruleId}:${f.line}`)).toEqual(['google-api-key:1']);
  });
});
