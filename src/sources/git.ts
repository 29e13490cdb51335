/**
 * Running git. Plumbing is spawned directly (no shell, arguments as an array, output as bytes), so
 * paths with spaces, quotes, newlines or invalid UTF-8 pass through untouched.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { LeakguardError } from '../errors.js';

export interface GitResult {
  stdout: Buffer;
  stderr: string;
  code: number;
}

/** No git binary on PATH. */
export class GitNotFound extends LeakguardError {
  constructor() {
    super(
      'git was not found on PATH; install git (leakguard reads repositories through it), or use --history with --engine isomorphic',
    );
  }
}

export function gitRaw(
  args: string[],
  opts: { cwd: string; input?: string | Buffer; env?: NodeJS.ProcessEnv },
): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    // no stdin pipe unless there is input: one stream fewer to set up per call
    const stdin = opts.input === undefined ? 'ignore' : 'pipe';
    const child = spawn('git', args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: [stdin, 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e: NodeJS.ErrnoException) => {
      reject(e.code === 'ENOENT' ? new GitNotFound() : new LeakguardError(`could not run git: ${e.message}`));
    });
    child.on('close', (code) =>
      resolve({ stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8'), code: code ?? 1 }),
    );
    if (opts.input !== undefined) {
      child.stdin!.on('error', () => {
        /* git exited early; its exit code tells */
      });
      child.stdin!.end(opts.input);
    }
  });
}

/** First line of git's complaint, without the `fatal: ` prefix, for one-line errors. */
export function gitComplaint(stderr: string): string {
  const line =
    stderr
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l.length > 0) ?? 'unknown error';
  return line.replace(/^(fatal|error): /, '');
}

export async function git(args: string[], cwd: string, input?: string): Promise<Buffer> {
  const r = await gitRaw(args, { cwd, input });
  if (r.code !== 0) throw new LeakguardError(`git ${args[0]} failed: ${gitComplaint(r.stderr)}`);
  return r.stdout;
}

/** Splits NUL-terminated output (`-z`) into entries. */
export function splitNul(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (;;) {
    const i = buf.indexOf(0, start);
    if (i === -1) break;
    out.push(buf.subarray(start, i));
    start = i + 1;
  }
  if (start < buf.length) out.push(buf.subarray(start));
  return out;
}

export interface RepoInfo {
  /** Top of the work tree (absolute), undefined in a bare repository. */
  root?: string;
  gitDir: string;
  commonDir: string;
  bare: boolean;
  shallow: boolean;
}

/** Locates the repository that contains `dir`; a clear error when there is none. */
export async function openRepo(dir: string): Promise<RepoInfo> {
  const r = await gitRaw(
    [
      'rev-parse',
      '--path-format=absolute',
      '--git-dir',
      '--git-common-dir',
      '--is-bare-repository',
      '--is-shallow-repository',
      '--show-toplevel',
    ],
    { cwd: dir },
  ).catch((e) => {
    if (e instanceof GitNotFound) throw e;
    throw new LeakguardError(`not a git repository: ${dir}`);
  });
  if (r.code !== 0) {
    if (/not a git repository/i.test(r.stderr)) throw new LeakguardError(`not a git repository: ${dir}`);
    if (/must be run in a work tree/.test(r.stderr)) {
      // bare repository: --show-toplevel fails; ask again without it
      const b = await git(
        ['rev-parse', '--path-format=absolute', '--git-dir', '--git-common-dir', '--is-shallow-repository'],
        dir,
      );
      const [gitDir, commonDir, shallow] = b.toString('utf8').split('\n');
      return { gitDir: gitDir!, commonDir: commonDir!, bare: true, shallow: shallow === 'true' };
    }
    throw new LeakguardError(`cannot read repository at ${dir}: ${gitComplaint(r.stderr)}`);
  }
  const [gitDir, commonDir, bare, shallow, root] = r.stdout.toString('utf8').replace(/\n$/, '').split('\n');
  return {
    root: root || undefined,
    gitDir: gitDir!,
    commonDir: commonDir!,
    bare: bare === 'true',
    shallow: shallow === 'true',
  };
}

/**
 * The repository whose work tree starts at `dir`, read from the file system where that is certain,
 * so a pre-commit run (which git starts at the top of the work tree) skips one `git rev-parse`
 * process. Certain means: `dir/.git` is a directory, no GIT_DIR, GIT_WORK_TREE or GIT_COMMON_DIR in
 * the environment (git sets GIT_DIR for a hook in a linked worktree), and no `worktree` or true
 * `bare` setting in its config (nor an `[include]` that could hold one) that could move the work
 * tree or say there is none. Anything else is undefined: ask git.
 */
export function repoAtTop(dir: string, env: NodeJS.ProcessEnv = process.env): RepoInfo | undefined {
  if (env.GIT_DIR !== undefined || env.GIT_WORK_TREE !== undefined || env.GIT_COMMON_DIR !== undefined)
    return undefined;
  const gitDir = join(dir, '.git');
  let config: string;
  try {
    if (!statSync(gitDir).isDirectory()) return undefined;
    config = readFileSync(join(gitDir, 'config'), 'latin1');
  } catch {
    return undefined;
  }
  if (
    /^\s*worktree\s*=/im.test(config) ||
    // an included file could say either; git reads it, this does not
    /^\s*\[\s*include/im.test(config) ||
    /^\s*bare\s*=\s*(true|yes|on|1)\s*$/im.test(config) ||
    existsSync(join(gitDir, 'commondir'))
  )
    return undefined;
  return { root: dir, gitDir, commonDir: gitDir, bare: false, shallow: existsSync(join(gitDir, 'shallow')) };
}

/**
 * Finds the repository containing `dir` from the file system alone, for the isomorphic engine
 * where no git binary may exist: a `.git` directory or file, or a bare repository.
 */
export function openRepoWithoutGit(dir: string): RepoInfo {
  const isGitDir = (d: string) =>
    existsSync(join(d, 'HEAD')) && existsSync(join(d, 'objects')) && existsSync(join(d, 'refs'));
  for (let d = dir; ; d = dirname(d)) {
    const dot = join(d, '.git');
    if (existsSync(dot)) {
      let gitDir = dot;
      if (statSync(dot).isFile()) {
        const m = /^gitdir: (.+)$/m.exec(readFileSync(dot, 'utf8'));
        if (m) gitDir = resolve(d, m[1]!.trim());
      }
      return { root: d, gitDir, commonDir: gitDir, bare: false, shallow: existsSync(join(gitDir, 'shallow')) };
    }
    if (isGitDir(d)) return { gitDir: d, commonDir: d, bare: true, shallow: existsSync(join(d, 'shallow')) };
    if (dirname(d) === d) throw new LeakguardError(`not a git repository: ${dir}`);
  }
}

/** HEAD resolves to a commit (false in a repository with no commits yet). */
export async function hasHead(dir: string): Promise<boolean> {
  const r = await gitRaw(['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'], { cwd: dir });
  return r.code === 0;
}
