/**
 * What keeps the pre-commit run short: the hook's command line read without yargs (and read the
 * same as yargs reads it), a scan-time rule pack without examples, in ASCII, and no module loaded
 * that only history scans need.
 */
import { copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hookLineArgs, parseCommandLine } from '../src/cli/main.js';
import { HOOK_COMMANDS } from '../src/integrations/hook-commands.js';
import { BIN, cli, fake, GIT_ENV, Repo, ROOT, run, tempDir } from './helpers.js';

describe('the hook command lines', () => {
  const lines = [...new Set(Object.values(HOOK_COMMANDS).map((h) => h.args.join(' ')))]
    .map((l) => l.split(' '))
    .filter((argv) => argv.includes('--staged'));

  it('every staged line the hooks install takes the fast path', () => {
    expect(lines.length).toBeGreaterThan(0);
    for (const argv of lines) expect(hookLineArgs(argv), argv.join(' ')).toBeDefined();
  });

  it('reads each of them exactly as yargs does', async () => {
    for (const argv of [...lines, ['scan', '--staged']]) {
      const fast = hookLineArgs(argv)!;
      const parsed = await parseCommandLine(argv);
      expect(parsed.usageError).toBeUndefined();
      const slow = parsed.scanArgs as unknown as Record<string, unknown>;
      // yargs adds aliases (q, f, ...), '_' and '$0'; every long option it set must be the same
      for (const key of Object.keys(slow).filter((k) => /^[a-z][a-z-]+$/.test(k)))
        expect((fast as unknown as Record<string, unknown>)[key], `${argv.join(' ')}: ${key}`).toEqual(slow[key]);
      for (const key of Object.keys(fast))
        expect(slow[key], `${argv.join(' ')}: ${key}`).toEqual((fast as unknown as Record<string, unknown>)[key]);
    }
  });

  it('any other line goes through yargs, typos included', () => {
    for (const argv of [
      ['scan', '--quiet', '--staged'],
      ['scan', '--staged', '--quiet', '-q'],
      ['scan', '--stagd'],
    ])
      expect(hookLineArgs(argv)).toBeUndefined();
  });

  it('the fast path blocks a staged secret and passes a clean commit', () => {
    const r = Repo.init();
    r.write('ok.txt', 'nothing here\n').commit('init');
    r.write('ok.txt', 'still nothing\n');
    r.git('add', 'ok.txt');
    expect(cli(['scan', '--staged', '--quiet'], r.dir).code).toBe(0);
    r.write('key.txt', `token = ${fake.githubPat()}\n`);
    r.git('add', 'key.txt');
    const bad = cli(['scan', '--staged', '--quiet'], r.dir);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('key.txt');
  });
});

describe('the scan-time rule pack', () => {
  const text = readFileSync(join(ROOT, 'dist', 'rules.json'));
  const pack = JSON.parse(text.toString('latin1')) as { specs: Record<string, unknown>[] };

  it('is ASCII, so reading it as latin1 is exact', () => {
    expect(text.findIndex((b) => b > 0x7f)).toBe(-1);
  });

  it('leaves the examples to the YAML files, and rules check still counts them all', () => {
    expect(pack.specs.length).toBeGreaterThan(200);
    for (const s of pack.specs) {
      expect(s.examples, String(s.id)).toBeUndefined();
      expect(s.negative_examples, String(s.id)).toBeUndefined();
    }
    const check = cli(['rules', 'check'], ROOT);
    expect(check.code).toBe(0);
    const [, rules, examples] = /(\d+) rules, (\d+) examples/.exec(check.stdout) ?? [];
    expect(Number(rules)).toBe(pack.specs.length);
    expect(Number(examples)).toBeGreaterThan(2 * pack.specs.length);
  });

  it('names rule files relative to the package, never the build machine', () => {
    for (const s of pack.specs) expect(String(s.source), String(s.id)).toMatch(/^rules\/[\w.-]+\.ya?ml$/);
    expect(text.toString('latin1')).not.toContain(ROOT);
  });
});

describe('a staged scan loads only what it uses', () => {
  it('no worker threads, no node:v8, no fs/promises', () => {
    const r = Repo.init();
    r.write('a.txt', 'hello\n').commit('init');
    r.write('a.txt', 'hello again\n');
    r.git('add', 'a.txt');
    const dir = tempDir('lg-modules-');
    const out = join(dir, 'modules.txt');
    const preload = join(dir, 'record.cjs');
    writeFileSync(
      preload,
      `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(out)}, process.moduleLoadList.join('\\n')));\n`,
    );
    const res = run(process.execPath, ['--require', preload, BIN, 'scan', '--staged', '--quiet'], r.dir, GIT_ENV);
    expect(res.status, res.stderr).toBe(0);
    const loaded = readFileSync(out, 'utf8').split('\n');
    for (const m of ['worker_threads', 'v8', 'fs/promises', 'internal/modules/esm/translators'])
      expect(loaded, m).not.toContain(`NativeModule ${m}`);
    expect(loaded).toContain('NativeModule child_process'); // the record itself works
  });
});

describe('the command line entry point', () => {
  // bin/leakguard.js with a bundle whose command never settles: node runs out of work and would
  // exit 0 unless the entry point says otherwise
  it('a command that ends without a result exits 2, never 0', () => {
    const dir = tempDir('lg-bin-');
    mkdirSync(join(dir, 'bin'));
    mkdirSync(join(dir, 'dist'));
    copyFileSync(BIN, join(dir, 'bin', 'leakguard.js'));
    copyFileSync(join(ROOT, 'bin', 'package.json'), join(dir, 'bin', 'package.json'));
    writeFileSync(join(dir, 'dist', 'cli.cjs'), 'exports.main = () => new Promise(() => {});\n');
    const stuck = run(process.execPath, [join(dir, 'bin', 'leakguard.js'), 'scan'], dir);
    expect(stuck.status).toBe(2);
    expect(stuck.stderr).toBe('leakguard: internal error: the command ended without a result\n');
    writeFileSync(join(dir, 'dist', 'cli.cjs'), 'exports.main = async () => 0;\n');
    const clean = run(process.execPath, [join(dir, 'bin', 'leakguard.js'), 'scan'], dir);
    expect(clean.status).toBe(0);
    expect(clean.stderr).toBe('');
  });
});

describe('the hook bundle', () => {
  // a package whose full CLI is a stub: the hook's lines must run without it, any other line reaches it
  it("runs the hooks' own lines by itself and hands every other line to the full CLI", () => {
    const pkg = tempDir('lg-pkg-');
    for (const d of ['bin', 'dist']) mkdirSync(join(pkg, d));
    for (const f of ['bin/leakguard.js', 'bin/package.json', 'package.json', 'dist/hook.cjs', 'dist/rules.json'])
      copyFileSync(join(ROOT, f), join(pkg, f));
    symlinkSync(join(ROOT, 'rules'), join(pkg, 'rules'));
    writeFileSync(join(pkg, 'dist', 'cli.cjs'), 'exports.main = async () => 7;\n');
    const r = Repo.init();
    r.write('a.txt', 'hello\n').commit('init');
    r.write('config.js', `const token = '${fake.githubPat()}';\n`);
    r.git('add', 'config.js');
    const bin = join(pkg, 'bin', 'leakguard.js');
    const hook = run(process.execPath, [bin, 'scan', '--staged', '--quiet'], r.dir, GIT_ENV);
    expect(hook.status, hook.stderr).toBe(1);
    expect(hook.stdout).toContain('github-pat');
    const other = run(process.execPath, [bin, 'scan', '--staged', '--format', 'json'], r.dir, GIT_ENV);
    expect(other.status).toBe(7);
  });
});
