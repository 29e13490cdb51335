/** Real git repositories in temp dirs, and the real CLI run as a child process. */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, it } from 'vitest';
import { base62, crc32 } from '../src/engine/validators.js';

export const ROOT = resolve(import.meta.dirname, '..');
export const BIN = join(ROOT, 'bin', 'leakguard.js');

const cleanups: string[] = [];
afterAll(() => {
  for (const d of cleanups.splice(0)) rmSync(d, { recursive: true, force: true });
});

/**
 * An environment where the user's own git config cannot change results. The global config is an
 * empty file of the test run's own (never /dev/null: a command that writes global config would
 * replace /dev/null itself), and it is checked to be still empty after the run.
 */
const GLOBAL_CONFIG = join(mkdtempSync(join(tmpdir(), 'lg-gitconfig-')), 'gitconfig');
writeFileSync(GLOBAL_CONFIG, '');
afterAll(() => {
  const text = readFileSync(GLOBAL_CONFIG, 'utf8');
  if (text) throw new Error(`a test wrote to the global git config: ${text}`);
});
export const GIT_ENV: NodeJS.ProcessEnv = {
  ...process.env,
  GIT_CONFIG_GLOBAL: GLOBAL_CONFIG,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.com',
  NO_COLOR: '1',
};

export function tempDir(prefix = 'lg-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(d);
  return d;
}

export function run(
  cmd: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = GIT_ENV,
  input?: string,
): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, env, encoding: 'utf8', input, maxBuffer: 64 * 1024 * 1024 });
}

export class Repo {
  constructor(readonly dir: string) {}
  static init(opts: { bare?: boolean } = {}): Repo {
    const dir = tempDir('lg-repo-');
    const r = new Repo(dir);
    r.git('init', '-q', '-b', 'main', ...(opts.bare ? ['--bare'] : []));
    return r;
  }
  git(...args: string[]): string {
    const r = run('git', args, this.dir);
    if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  }
  write(path: string, content: string | Buffer): this {
    const abs = join(this.dir, path);
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, content);
    return this;
  }
  add(...paths: string[]): this {
    this.git('add', '--', ...(paths.length ? paths : ['.']));
    return this;
  }
  commit(message = 'change'): this {
    this.git('commit', '-q', '--allow-empty', '-m', message);
    return this;
  }
}

/**
 * Tests that need a tool outside Node (git-filter-repo, GNU time, script) run where it is installed
 * and always in CI (.ci/run installs them there); elsewhere they are skipped, and say why.
 */
export function hasTool(cmd: string, args: string[] = ['--version']): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  return r.status === 0;
}
export const withTool = (available: boolean, what: string) => {
  if (available || process.env.CI) return it;
  console.warn(`skipping tests that need ${what} (not installed here; CI installs it)`);
  return it.skip;
};

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function cli(args: string[], cwd: string, env: NodeJS.ProcessEnv = GIT_ENV): CliResult {
  const r = run(process.execPath, [BIN, ...args], cwd, env);
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export function cliJson(args: string[], cwd: string): { code: number; report: any; stderr: string } {
  const r = cli([...args, '--format', 'json'], cwd);
  let report: any;
  try {
    report = JSON.parse(r.stdout);
  } catch {
    throw new Error(`not JSON (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
  }
  return { code: r.code, report, stderr: r.stderr };
}

/** A user rule for tests, as `.leakguard.yml` lines: ACME tokens, `acme_` and 16 more characters. */
export const ACME_RULE = [
  '  - id: acme-token',
  '    description: ACME internal token',
  '    severity: high',
  "    regex: '\\b(acme_[a-z0-9]{16})\\b'",
  '    keywords: [acme_]',
];

/**
 * A token in GitHub's and npm's format: prefix, 30 characters, and their CRC-32 in base 62 - what
 * the rules' `validate: github-crc32` accepts. Built at run time, so no test source holds one.
 */
export function checksummedToken(prefix: string, random30: string): string {
  if (random30.length !== 30) throw new Error('checksummedToken needs exactly 30 characters');
  return `${prefix}_${random30}${base62(crc32(Buffer.from(random30)), 6)}`;
}

/**
 * A PyPI token: `pypi-` and a version-2 macaroon (location pypi.org, an identifier, one caveat, a
 * 32-byte signature) - what `validate: pypi-macaroon` accepts. Options break it for negative tests.
 */
export function pypiToken(opts: { truncate?: number; trailing?: boolean; sigLen?: number } = {}): string {
  const field = (type: number, data: Buffer) => Buffer.concat([Buffer.from([type, data.length]), data]);
  let bytes = Buffer.concat([
    Buffer.from([2]),
    field(1, Buffer.from('pypi.org')),
    field(2, Buffer.from('{"nonce":"0f1e2d3c4b5a69788796a5b4c3d2e1f0","version":1}')),
    Buffer.from([0]),
    field(2, Buffer.from('{"permissions":"user","version":1}')),
    Buffer.from([0, 0]),
    field(6, Buffer.alloc(opts.sigLen ?? 32, 7)),
  ]);
  if (opts.trailing) bytes = Buffer.concat([bytes, Buffer.from([1, 2, 3])]);
  if (opts.truncate) bytes = bytes.subarray(0, bytes.length - opts.truncate);
  return `pypi-${bytes.toString('base64url')}`;
}

/** Fake credentials built at run time, so the test sources hold no literal key. */
export const fake = {
  googleKey: () => 'AIza' + 'SyB3kF9x2LmQ7vT4nR8wZ1cY6hJ0pD5sE2a',
  aqKey: () => 'AQ.' + 'Ab8RN6' + 'k2Jd9LmQ4xT7vB1nR5wZ8cY3hF6pS0aE9gU2iO4kM7qW',
  githubPat: () => checksummedToken('ghp', 'R7tK2mX9qL4vN8bW3zY6cH1jF5dS0a'),
  npmToken: () => checksummedToken('npm', 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5'),
  pypiToken: () => pypiToken(),
  /** A bearer token with no vendor prefix, as an MCP server's headers carry one. */
  mcpToken: () => 'mcp' + 'Tk9vQ2xL7wR4' + 'nZ8yB3cF6hJ1',
  awsKeyId: () => 'AKIA' + 'Q3RZ7XW2LM4VN6BT',
};
