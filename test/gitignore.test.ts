/** `leakguard gitignore`: the entries that would have prevented each finding, added once and exactly. */
import { readFileSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, fake, Repo, run } from './helpers.js';

function leaky(): Repo {
  const r = Repo.init();
  r.write('.gitignore', 'node_modules/\r\n# build output\r\ndist/\r\n')
    .write(
      '.gemini/settings.json',
      `{"mcpServers": {"s": {"headers": {"Authorization": "Bearer ${fake.mcpToken()}"}}}}`,
    )
    .write('tools/.gemini/oauth_creds.json', '{}')
    .write('app/.gemini/settings.json', '{"general": {"devtools": true}}')
    .write('app/.gemini/commands/review.toml', 'prompt = "Review"\n')
    .write('.env', `K=${fake.googleKey()}\n`)
    .write('config/.env.local', 'A=1\n')
    .write('.env.example', 'K=\n')
    .write('models/model.pt', 'w')
    .write('data/small.jsonl', '{}\n')
    .add()
    .commit('leaks');
  r.write('exports/chat.jsonl', '');
  truncateSync(join(r.dir, 'exports/chat.jsonl'), 51 * 1000 * 1000);
  r.add().commit('big export');
  return r;
}

const block = (text: string) =>
  text.slice(text.indexOf('# >>> leakguard'), text.indexOf('# <<< leakguard')).split(/\r?\n/).slice(1).filter(Boolean);

describe('leakguard gitignore', () => {
  it('--check lists what is missing and exits 1; the patch adds exactly that, keeping every existing line', () => {
    const r = leaky();
    const before = readFileSync(join(r.dir, '.gitignore'), 'utf8');
    const check = cli(['gitignore', '--check'], r.dir);
    expect(check.code).toBe(1);
    expect(check.stdout).toMatch(/Missing from .*\.gitignore/);
    expect(readFileSync(join(r.dir, '.gitignore'), 'utf8')).toBe(before); // --check changes nothing
    const res = cli(['gitignore'], r.dir);
    expect(res.code).toBe(0);
    const after = readFileSync(join(r.dir, '.gitignore'), 'utf8');
    expect(after.startsWith(before)).toBe(true);
    expect(after).toContain('\r\n# >>> leakguard');
    expect(after.split('\n').every((l) => l === '' || l.endsWith('\r'))).toBe(true); // CRLF kept
    expect(block(after)).toEqual([
      '.env',
      '**/.gemini/settings.json',
      '.env.*',
      '/exports/chat.jsonl',
      '*.pt',
      '**/.gemini/oauth_creds.json',
      '!.env.example',
    ]);
    // small .jsonl stays committable, the template stays committable
    expect(run('git', ['check-ignore', '--no-index', '-q', 'data/small.jsonl'], r.dir).status).toBe(1);
    expect(run('git', ['check-ignore', '--no-index', '-q', '.env.example'], r.dir).status).toBe(1);
    expect(run('git', ['check-ignore', '--no-index', '-q', 'tools/.gemini/oauth_creds.json'], r.dir).status).toBe(0);
    // the settings file holding a token is ignored; shareable configuration stays committable
    expect(run('git', ['check-ignore', '--no-index', '-q', '.gemini/settings.json'], r.dir).status).toBe(0);
    expect(run('git', ['check-ignore', '--no-index', '-q', 'app/.gemini/commands/review.toml'], r.dir).status).toBe(1);
    expect(run('git', ['check-ignore', '--no-index', '-q', 'config/.env.local'], r.dir).status).toBe(0);
    // running it twice changes nothing, and --check is now clean
    cli(['gitignore'], r.dir);
    expect(readFileSync(join(r.dir, '.gitignore'), 'utf8')).toBe(after);
    expect(cli(['gitignore', '--check'], r.dir).code).toBe(0);
  });

  it('skips entries the current rules already cover, nested .gitignore files included', () => {
    const r = leaky();
    r.write('.gitignore', '*.pt\n.gemini/\n')
      .write('exports/.gitignore', 'chat.jsonl\n')
      .add('.gitignore', 'exports/.gitignore')
      .commit('ignores');
    const res = cli(['gitignore', '--check'], r.dir);
    expect(res.stdout).not.toMatch(/^\s+\*\.pt/m);
    expect(res.stdout).not.toMatch(/^\s+\.gemini\//m);
    expect(res.stdout).not.toMatch(/exports\/chat\.jsonl {2}/);
    expect(res.stdout).toMatch(/^\s+\.env\s/m);
  });

  it('lists the tracked files the entries cover, and --untrack untracks them without deleting them', () => {
    const r = leaky();
    const res = cli(['gitignore'], r.dir);
    expect(res.stdout).toMatch(/Still tracked, though now covered.*\.env/);
    const un = cli(['gitignore', '--untrack'], r.dir);
    expect(un.code).toBe(0);
    expect(un.stdout).toMatch(/Untracked \(git rm --cached; the files stay on disk\)/);
    const tracked = r.git('ls-files');
    expect(tracked).not.toMatch(/^\.env$/m);
    expect(tracked).not.toMatch(/^\.gemini\/settings\.json$/m);
    expect(tracked).toMatch(/^app\/\.gemini\/commands\/review\.toml$/m);
    expect(tracked).toMatch(/^\.env\.example$/m);
    expect(readFileSync(join(r.dir, '.env'), 'utf8')).toContain('K=');
  });

  it('works on a repository without commits and without a .gitignore', () => {
    const r = Repo.init();
    r.write('.env', 'A=1\n');
    expect(cli(['gitignore'], r.dir).code).toBe(0);
    expect(readFileSync(join(r.dir, '.gitignore'), 'utf8')).toBe(
      '# >>> leakguard: keeps secrets and artifacts out of git (maintained by `leakguard gitignore`)\n.env\n# <<< leakguard\n',
    );
    expect(cli(['gitignore', '--check', '--untrack'], r.dir).code).toBe(2);
  });
});
