/** A strict command line: every usage error is one line, exit 2, a suggestion where one fits, and changes nothing. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, cli, fake, GIT_ENV, Repo, run, tempDir } from './helpers.js';

/** Every file of the work tree and the hooks directory, with its content: what "no side effect" compares. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const rel = relative(dir, p);
      if (rel === '.git') {
        walk(join(p, 'hooks'));
        out['.git/index'] = String(statSync(join(p, 'index')).mtimeMs);
        continue;
      }
      if (statSync(p).isDirectory()) walk(p);
      else out[rel] = readFileSync(p, 'latin1');
    }
  };
  walk(dir);
  return out;
}

function usageError(res: { code: number; stderr: string; stdout: string }, pattern: RegExp) {
  expect(res.code, res.stderr).toBe(2);
  const lines = res.stderr.trim().split('\n');
  expect(lines, res.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^leakguard: /);
  expect(lines[0]).toMatch(pattern);
  expect(res.stdout).toBe('');
}

describe('strict command line', () => {
  // one repository with a hook installed, a .gitignore the gitignore command would extend and a
  // finding a scan would report: whatever a mistyped command might have done shows up in the snapshot
  const r = Repo.init();
  r.write('.gitignore', 'node_modules/\n')
    .write('src/app.js', `const k = "${fake.googleKey()}";\n`)
    .write('.env', 'A=1\n')
    .add('.gitignore')
    .commit();
  expect(cli(['hook', 'install'], r.dir).code).toBe(0);
  const before = snapshot(r.dir);

  const cases: Array<[string[], RegExp]> = [
    [['hook', 'instal'], /hook action: 'instal' is not one of install, uninstall \(did you mean install\?\)/],
    [['hook', 'uninstal'], /did you mean uninstall\?/],
    [['hook'], /'hook' needs an action: install or uninstall/],
    [['hook', 'uninstall', '--hooks', 'pre-push'], /--hooks goes with install/],
    [
      ['hook', 'install', '--hooks', 'pre-comit'],
      /--hooks: 'pre-comit' is not one of .* \(did you mean pre-commit\?\)/,
    ],
    [['hook', 'install', '--hooks', ''], /--hooks needs/],
    [['gitignore', '--chek'], /unknown option --chek for 'gitignore' \(did you mean --check\?\)/],
    [['gitignore', '--check', '--untrack'], /--check changes nothing, so it cannot --untrack/],
    [['scan', '--bogus', '-o', 'f'], /unknown option --bogus for 'scan'/],
    [['scan', '--formt', 'json', '-o', 'f'], /unknown option --formt .*did you mean --format\?/],
    [
      ['scan', '--format', 'jsn', '-o', 'f'],
      /--format: 'jsn' is not one of text, json, sarif, gitlab \(did you mean json\?\)/,
    ],
    [['scan', '--format'], /--format needs a value/],
    [['scan', '--history', '--range', 'HEAD~1..HEAD'], /--history and --range cannot be combined/],
    [['scan', '--staged', '--history'], /--staged and --history cannot be combined/],
    [['scan', '--all-objects'], /--all-objects goes with --history/],
    [['scan', '--history', '--workers', 'abc'], /--workers takes a whole number of 1 or more, not 'abc'/],
    [['scan', '--history', '--workers', '0'], /--workers takes a whole number/],
    [['scan', '--workers', '2'], /--workers goes with --history or --range/],
    [['scan', '--max-content-size', 'lots', '-o', 'f'], /--max-content-size/],
    [['scan', 'a', 'b'], /unexpected argument 'b' for 'scan'/],
    [['purge', '--plan', '--format', 'xml'], /--format: 'xml' is not one of md, sh, json, text/],
    // a repeated single-value option was a list the commands never expected (text printed for
    // --format json --format sarif; an internal error for two --range or --config)
    [['scan', '--format', 'json', '--format', 'sarif', '-o', 'f'], /--format was given more than once; give it once/],
    [['scan', '--output', 'f', '-o', 'g'], /--output was given more than once/],
    [['scan', '--range', 'HEAD~1..HEAD', '--range', 'HEAD..HEAD'], /--range was given more than once/],
    [['scan', '--history', '--cache', 'd', '--no-cache'], /--cache and --no-cache cannot be combined/],
    [['purge', '--plan', '--format', 'md', '-f', 'sh'], /--format was given more than once/],
    // a flag given a value: --staged=yes used to turn the staged scan off
    [['scan', '--staged=yes', '-o', 'f'], /--staged takes no value \(given 'yes'\)/],
    [['purge'], /purge needs --plan/],
    [['scna'], /unknown command 'scna' \(did you mean scan\?\)/],
    [['rules', 'lst'], /did you mean list\?/],
    [['rules', 'list', 'x.yml'], /'rules list' takes no files/],
    [['baseline', '--histroy'], /did you mean --history\?/],
    [['import', 'gitleak'], /import tool: 'gitleak' is not one of gitleaks \(did you mean gitleaks\?\)/],
    [['import', 'gitleaks', '--forse'], /unknown option --forse for 'import' \(did you mean --force\?\)/],
    [['import', 'gitleaks', '-o'], /^leakguard: -o needs a value/],
    [[], /name a command/],
  ];

  for (const [args, pattern] of cases) {
    it(`leakguard ${args.join(' ') || '(nothing)'}`, () => {
      usageError(cli(args, r.dir), pattern);
      expect(snapshot(r.dir)).toEqual(before);
    });
  }

  it('outside a repository: one line, never a stack trace', () => {
    const dir = tempDir();
    for (const args of [
      ['hook'],
      ['hook', 'install'],
      ['hook', 'uninstall'],
      ['scan', '--history', '--workers', 'abc'],
    ]) {
      const res = cli(args, dir);
      expect(res.code).toBe(2);
      expect(res.stderr.trim().split('\n')).toHaveLength(1);
      expect(res.stderr).not.toMatch(/\bat \S+:\d+|internal error/);
    }
  });

  it('a reader that stops early (| head) ends the output quietly, never with a stack trace', () => {
    // the reader is gone before leakguard (whose start takes longer) writes its first line
    const res = run('bash', ['-c', `set -o pipefail; node "$BIN" rules list | true`], r.dir, {
      ...GIT_ENV,
      BIN,
    });
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
  });

  it('every option of every command has help text', () => {
    for (const command of ['scan', 'baseline', 'gitignore', 'purge', 'hook', 'rules', 'import', 'cache']) {
      const help = cli([command, '--help'], r.dir).stdout;
      const options = help.split('\n').filter((l) => /^\s+(-\w, )?--[\w-]+/.test(l));
      expect(options.length, command).toBeGreaterThan(0);
      for (const line of options)
        expect(
          line
            .replace(/^\s+(-\w, )?--[\w-]+(, -\w)?/, '')
            .replace(/\[[^\]]*\]/g, '')
            .trim(),
          `${command}: ${line}`,
        ).not.toBe('');
    }
  });
});
