/**
 * Precision and confidence, through real repositories and the real CLI: what AI assistants keep
 * in a project is told apart (state and credentials are findings, shareable configuration is not),
 * the incident's settings file with a token is still found, ignored and purged, known noise stays
 * out, and every finding says how sure it is.
 */
import { describe, expect, it } from 'vitest';
import { scan } from '../src/api.js';
import { compileRuleset, ruleConfidence } from '../src/engine/compile.js';
import { detectContent } from '../src/engine/detect.js';
import { cli, cliJson, fake, Repo, run } from './helpers.js';

// values built at run time, so this file holds no credential-shaped literal of its own
const token = fake.mcpToken();
const password = ['Rk7', 'Tq2Lw9', 'Zx4'].join('');

const SHAREABLE: Record<string, string> = {
  'GEMINI.md': '# Project context\n',
  '.gemini/settings.json': '{"experimental": {"extensionReloading": true}, "general": {"devtools": true}}\n',
  '.gemini/commands/review.toml': 'description = "Review"\nprompt = "Review the diff"\n',
  '.gemini/skills/ci/SKILL.md': '# CI skill\n',
  '.gemini/agents/worker.md': '# Worker\n',
  '.gemini/styleguide.md': '# Style\n',
  '.claude/settings.json': '{"permissions": {"allow": ["Bash(npm test)"]}}\n',
  '.claude/commands/release.md': 'Cut a release\n',
  '.claude/agents/reviewer.md': '# Reviewer\n',
  '.cursor/rules/typescript.mdc': 'Use strict mode\n',
  '.github/copilot-instructions.md': 'Prefer small functions\n',
  '.windsurf/rules/style.md': 'Two spaces\n',
  '.continue/rules/style.md': 'Two spaces\n',
  '.vscode/mcp.json':
    '{"inputs": [{"id": "key", "type": "promptString", "password": true}], "servers": {"s": {"command": "srv", "env": {"API_KEY": "${input:key}"}}}}\n',
  '.aider.conf.yml': 'auto-commits: false\n',
};

function projectWithSharedConfig(): Repo {
  const r = Repo.init();
  for (const [path, text] of Object.entries(SHAREABLE)) r.write(path, text);
  return r.add().commit('assistant configuration, shared on purpose');
}

describe('AI assistant folders', () => {
  it('shareable project configuration is never a finding; state and credentials are', () => {
    const r = projectWithSharedConfig();
    const clean = cliJson(['scan'], r.dir);
    expect(clean.report.findings.map((f: any) => `${f.ruleId} ${f.path}`)).toEqual([]);
    expect(clean.code).toBe(0);
    expect(cliJson(['scan', '--history'], r.dir).report.findings).toEqual([]);

    r.write('.gemini/oauth_creds.json', '{}\n')
      .write('.gemini/tmp/3f9a/logs.json', '[]\n')
      .write('.claude/settings.local.json', '{}\n')
      .write('.codex/auth.json', '{}\n')
      .write('.aider.chat.history.md', '# chat\n')
      .write('.claude/projects/-home-me/1.jsonl', '{}\n');
    const { code, report } = cliJson(['scan'], r.dir);
    expect(code).toBe(1);
    expect(report.findings.map((f: any) => `${f.ruleId} ${f.path}`).sort()).toEqual([
      'ai-assistant-credentials .claude/settings.local.json',
      'ai-assistant-credentials .codex/auth.json',
      'ai-assistant-session-history .aider.chat.history.md',
      'ai-assistant-session-history .claude/projects/-home-me/1.jsonl',
      'gemini-state-folder .gemini/oauth_creds.json',
      'gemini-state-folder .gemini/tmp/3f9a/logs.json',
    ]);
  });

  it("the incident's settings.json holding a Bearer token is found, ignored and purged; shared files stay", () => {
    const r = projectWithSharedConfig();
    r.write(
      '.gemini/settings.json',
      `{"mcpServers": {"api": {"httpUrl": "https://mcp.internal.net", "headers": {"Authorization": "Bearer ${token}"}}}}\n`,
    )
      .write(
        '.cursor/mcp.json',
        `{"mcpServers": {"db": {"command": "npx", "args": ["-y", "db-mcp"], "env": {"DB_API_KEY": "${token}x"}}}}\n`,
      )
      .add()
      .commit('debugging the MCP server');
    const scanned = cliJson(['scan', '--history'], r.dir);
    expect(scanned.code).toBe(1);
    const found = scanned.report.findings.map((f: any) => `${f.ruleId} ${f.path}`).sort();
    expect(found).toEqual([
      'ai-assistant-config-credential .cursor/mcp.json',
      'ai-assistant-config-credential .gemini/settings.json',
    ]);
    expect(JSON.stringify(scanned.report)).not.toContain(token);

    const plan = cliJson(['purge', '--plan'], r.dir).report;
    const removed = plan.removePaths.map((t: any) => t.spec);
    expect(removed).toEqual(expect.arrayContaining(['literal:.gemini/settings.json', 'literal:.cursor/mcp.json']));
    expect(removed.some((s: string) => /commands|skills|agents|GEMINI/.test(s))).toBe(false);
    expect(JSON.stringify(plan)).not.toContain(token);

    expect(cli(['gitignore'], r.dir).code).toBe(0);
    const ignored = (p: string) => run('git', ['check-ignore', '--no-index', '-q', p], r.dir).status === 0;
    expect(ignored('.gemini/settings.json')).toBe(true);
    expect(ignored('.cursor/mcp.json')).toBe(true);
    expect(ignored('.gemini/commands/review.toml')).toBe(false);
    expect(ignored('.gemini/skills/ci/SKILL.md')).toBe(false);
    expect(ignored('.claude/commands/release.md')).toBe(false);
  }, 60_000);
});

describe('known noise', () => {
  it('a .pth in site-packages and a .env.development holding only NODE_ENV are not findings', async () => {
    const r = Repo.init();
    r.write('venv/lib/python3.12/site-packages/distutils-precedence.pth', 'import os\n')
      .write('.venv/lib/python3.11/site-packages/_virtualenv.pth', 'import _virtualenv\n')
      .write('.env.development', 'NODE_ENV=development\n')
      .write('web/.env.test', 'NODE_ENV=test\nPORT=3000\n')
      .add()
      .commit('venv and defaults');
    expect((await scan({ path: r.dir })).findings).toEqual([]);
    r.write('models/classifier.pth', 'weights').write(
      '.env.development',
      `NODE_ENV=development\nSTRIPE_SECRET=${password}\n`,
    );
    const got = (await scan({ path: r.dir })).findings.map((f) => `${f.ruleId} ${f.path}`).sort();
    expect(got).toEqual(['dotenv-committed-secret .env.development', 'model-weights models/classifier.pth']);
  });

  it('sample and local passwords: samples dropped, a real-looking one on a local host reported low', async () => {
    const r = Repo.init();
    r.write('docs/db.md', 'create_engine("postgresql://scott:tiger@localhost/test")\nmysql://foo:bar@localhost/baz\n')
      .write('config/dev.env.txt', `DATABASE_URL=postgres://app:${password}@localhost:5432/app\n`)
      .write('config/prod.env.txt', `DATABASE_URL=postgres://app:${password}x@db.internal:5432/app\n`)
      .add()
      .commit('urls');
    const findings = (await scan({ path: r.dir })).findings;
    expect(findings.map((f) => `${f.path} ${f.severity} ${f.confidence}`).sort()).toEqual([
      'config/dev.env.txt low low',
      'config/prod.env.txt high medium',
    ]);
  });
});

describe('confidence', () => {
  it('is derived from what a rule can know when the rule does not say', () => {
    const base = { id: 'x', description: 'x', severity: 'high' as const };
    expect(ruleConfidence({ ...base, regex: '\\b(ghp_[A-Za-z0-9]{36})\\b' })).toBe('high');
    expect(ruleConfidence({ ...base, regex: '\\b((?:sk|rk)_live_[0-9A-Za-z]{20,247})\\b' })).toBe('high');
    expect(ruleConfidence({ ...base, regex: '\\b(SG\\.[0-9A-Za-z_-]{22})' })).toBe('medium');
    expect(ruleConfidence({ ...base, regex: 'key = ([A-Za-z0-9]{40})' })).toBe('low');
    expect(ruleConfidence({ ...base, regex: '\\b(ghp_[A-Za-z0-9]{36})\\b', tags: ['generic'] })).toBe('low');
    expect(ruleConfidence({ ...base, regex: 'key = ([A-Za-z0-9]{40})', validate: 'crc32' } as any)).toBe('high');
    expect(ruleConfidence({ ...base, regex: 'key = ([A-Za-z0-9]{40})', confidence: 'medium' })).toBe('medium');
    expect(ruleConfidence({ ...base, paths: ['**/.env'] })).toBe('medium');
  });

  it('is on every finding, in text, JSON and SARIF, and --min-confidence filters', () => {
    const r = Repo.init();
    r.write('src/gh.txt', `GITHUB=${fake.githubPat()}\n`)
      .write('src/db.txt', `DATABASE_URL=postgres://app:${password}@db.internal:5432/app\n`)
      .write('src/app.json', `{"password": "${password}"}\n`)
      .add()
      .commit('three kinds');
    const all = cliJson(['scan'], r.dir).report.findings;
    expect(all.map((f: any) => `${f.ruleId} ${f.confidence}`).sort()).toEqual([
      'database-url-password medium',
      'github-pat high',
      'password-assignment low',
    ]);
    expect(cli(['scan'], r.dir).stdout).toMatch(/github-pat \(high confidence\)/);

    const sarif = JSON.parse(cli(['scan', '--format', 'sarif'], r.dir).stdout).runs[0];
    const byRule = new Map(sarif.results.map((x: any) => [x.ruleId, x]));
    expect(byRule.get('github-pat') as any).toMatchObject({
      rank: 90,
      level: 'error',
      properties: { confidence: 'high' },
    });
    expect(byRule.get('password-assignment') as any).toMatchObject({
      rank: 30,
      level: 'warning',
      properties: { confidence: 'low' },
    });
    expect(sarif.tool.driver.rules.find((x: any) => x.id === 'github-pat').properties.precision).toBe('high');

    const high = cliJson(['scan', '--min-confidence', 'high'], r.dir);
    expect(high.code).toBe(1);
    expect(high.report.findings.map((f: any) => f.ruleId)).toEqual(['github-pat']);
    expect(high.report.stats.suppressed.confidence).toBe(2);
    expect(cliJson(['scan', '--min-confidence', 'medium'], r.dir).report.findings).toHaveLength(2);

    const bad = cli(['scan', '--min-confidence', 'sure'], r.dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).not.toMatch(/\n\s+at |Error:/);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('the API refuses a confidence it does not know', async () => {
    const r = Repo.init();
    r.write('a.txt', 'x\n').add().commit();
    await expect(scan({ path: r.dir, minConfidence: 'sure' as any })).rejects.toThrow(
      /invalid minimum confidence 'sure'/,
    );
  });
});

describe('keyword prefilter', () => {
  it('a keyword that another keyword starts with still wakes its rules', () => {
    const rule = (id: string, keywords: string[], regex: string) => ({
      id,
      description: id,
      severity: 'low' as const,
      keywords,
      regex,
      builtin: true,
    });
    const rs = compileRuleset([
      rule('short', ['password'], 'password = "([a-z]{6})"'),
      rule('long', ['password ='], 'nothing-here-([0-9]+)'),
    ]);
    const found = detectContent(rs, 'a.py', `x\n  a.pass${'word'} = "${'sad'}min"\n`, { guardMs: 2000 });
    expect(found.map((f) => f.rule.id)).toEqual(['short']);
  });
});
