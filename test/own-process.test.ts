/**
 * A history scan of a large repository runs in a second node process with start-up memory
 * settings (src/cli/own-process.ts): the same report and exit code as in one process, signals
 * passed on, and small repositories left in one process.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { historyRun, startedWithHeapSettings } from '../src/cli/own-process.js';
import { BIN, cli, GIT_ENV, Repo, tempDir } from './helpers.js';

const KEY_ID = 'AKIA' + 'IOSFODNN7EXAMPLQ';

function children(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
/** A process's command line; empty for one that has ended meanwhile (a short git call, say). */
function commandOf(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}
function alive(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * A `git` in front of the real one that, for the history walk (`git log`), records its pid and
 * waits: the scan is then caught while it runs, whatever the machine's speed.
 */
function stallingGit(): { env: NodeJS.ProcessEnv; pidFile: string } {
  const dir = tempDir('lg-fakegit-');
  const real = spawnSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).stdout.trim();
  const pidFile = join(dir, 'log.pid');
  writeFileSync(
    join(dir, 'git'),
    `#!/bin/sh\nfor a in "$@"; do if [ "$a" = log ]; then echo $$ > '${pidFile}'; exec sleep 30; fi; done\nexec '${real}' "$@"\n`,
  );
  chmodSync(join(dir, 'git'), 0o755);
  return { env: { ...GIT_ENV, PATH: `${dir}:${process.env.PATH}` }, pidFile };
}

async function until<T>(what: string, get: () => T | undefined, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = get();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** `leakguard scan --history` started in `cwd`; `stop` ends it and the stalled walk's git. */
function startHistoryScan(cwd: string, env: NodeJS.ProcessEnv, pidFile: string) {
  const parent = spawn(process.execPath, [BIN, 'scan', '--history', '--quiet'], { cwd, env, stdio: 'ignore' });
  const stop = () => {
    parent.kill('SIGKILL');
    if (existsSync(pidFile)) spawnSync('kill', [readFileSync(pidFile, 'utf8').trim()]);
    rmSync(pidFile, { force: true });
  };
  return { parent, stop };
}

describe('a history scan in a process of its own', () => {
  const repo = Repo.init();
  repo.write('deploy.sh', `aws_key_id="${KEY_ID}"\n`).add().commit('key');
  repo.write('deploy.sh', 'aws_key_id=""\n').add().commit('removed');

  it('gives the same report and exit code as a scan in one process', () => {
    const own = cli(['scan', '--history', '--format', 'json'], repo.dir, {
      ...GIT_ENV,
      LEAKGUARD_OWN_PROCESS: 'always',
    });
    const one = cli(['scan', '--history', '--format', 'json'], repo.dir, {
      ...GIT_ENV,
      LEAKGUARD_OWN_PROCESS: 'never',
    });
    expect(own.code).toBe(1);
    expect(one.code).toBe(1);
    const strip = (s: string) => {
      const r = JSON.parse(s);
      delete r.stats.durationMs;
      return r;
    };
    expect(strip(own.stdout)).toEqual(strip(one.stdout));
    expect(strip(own.stdout).findings.map((f: { ruleId: string }) => f.ruleId)).toContain('aws-access-key-id');
    expect(own.stderr).toBe(one.stderr);
  });

  it('an error in the scan is exit 2 with its one line, and a usage error starts no second process', () => {
    const env = { ...GIT_ENV, LEAKGUARD_OWN_PROCESS: 'always' };
    const bad = cli(['scan', '--history', '--config', join(repo.dir, 'missing.yml')], repo.dir, env);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    const usage = cli(['scan', '--history', '--format', 'xml'], repo.dir, env);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--format/);
  });

  it('runs with the small young generation, and passes a SIGTERM on to it', async () => {
    const { env, pidFile } = stallingGit();
    const { parent, stop } = startHistoryScan(repo.dir, { ...env, LEAKGUARD_OWN_PROCESS: 'always' }, pidFile);
    const ended = new Promise<{ code: number | null; signal: string | null }>((r) =>
      parent.on('exit', (code, signal) => r({ code, signal })),
    );
    try {
      const scanner = await until('the scan process', () =>
        children(parent.pid!).find((c) => commandOf(c).includes('--max-semi-space-size=2')),
      );
      expect(commandOf(scanner)).toContain(BIN);
      expect(readFileSync(`/proc/${scanner}/environ`, 'utf8').split('\0')).toContain('MALLOC_ARENA_MAX=1');
      await until('the history walk', () => (existsSync(pidFile) ? true : undefined));
      parent.kill('SIGTERM');
      expect(await ended).toEqual({ code: null, signal: 'SIGTERM' });
      await until('the scan process to end', () => (alive(scanner) ? undefined : true), 5000);
    } finally {
      stop();
    }
  });

  it('a small repository is scanned in the one process, and a user-given semi-space size is kept', async () => {
    const { env, pidFile } = stallingGit();
    for (const extra of [{}, { LEAKGUARD_OWN_PROCESS: 'always', NODE_OPTIONS: '--max-semi-space-size=8' }]) {
      const { parent, stop } = startHistoryScan(repo.dir, { ...env, ...extra }, pidFile);
      try {
        // the walk's git is this process's own child: no second node in between
        const walk = await until('the history walk', () =>
          children(parent.pid!).find((c) => commandOf(c).includes('sleep')),
        );
        expect(children(parent.pid!).filter((c) => commandOf(c)[0] === process.execPath)).toEqual([]);
        expect(walk).toBeGreaterThan(0);
      } finally {
        stop();
      }
    }
  });

  it('counts the packs of the repository and of its alternates against the size', async () => {
    const { env, pidFile } = stallingGit();
    const packed = Repo.init();
    packed.write('a.bin', randomBytes(30_000)).add().commit('big');
    packed.git('gc', '-q');
    const shared = tempDir('lg-shared-');
    packed.git('clone', '-q', '--shared', packed.dir, shared);
    const pidsOf = async (cwd: string, size: string) => {
      const { parent, stop } = startHistoryScan(cwd, { ...env, LEAKGUARD_OWN_PROCESS: size }, pidFile);
      try {
        await until('the history walk', () => (existsSync(pidFile) ? true : undefined));
        return children(parent.pid!).map((c) => commandOf(c)[0]);
      } finally {
        stop();
      }
    };
    // its pack is about 30 kB: over a 1 kB threshold, under a 1 MB one; the shared clone has none of its own
    expect(await pidsOf(packed.dir, '1kB')).toEqual([process.execPath]);
    expect(await pidsOf(shared, '1kB')).toEqual([process.execPath]);
    expect(await pidsOf(shared, '1MB')).not.toContain(process.execPath);
    const bad = cli(['scan', '--history'], packed.dir, { ...GIT_ENV, LEAKGUARD_OWN_PROCESS: 'sometimes' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/LEAKGUARD_OWN_PROCESS: invalid size/);
  });

  it('decides by the size of the packs: a process of its own, and a content lane on the main thread', async () => {
    const packed = Repo.init();
    packed.write('a.bin', randomBytes(30_000)).add().commit('big');
    packed.git('gc', '-q');
    // a small history: here, with a lane on this thread (a worker's fixed cost weighs most there)
    expect(await historyRun(packed.dir, {})).toEqual({ ownProcess: false, laneHere: true });
    expect(await historyRun(packed.dir, { LEAKGUARD_OWN_PROCESS: '1kB' })).toEqual({
      ownProcess: true,
      laneHere: true,
    });
    expect(await historyRun(packed.dir, { LEAKGUARD_OWN_PROCESS: '1MB' })).toEqual({
      ownProcess: false,
      laneHere: true,
    });
    expect(await historyRun(packed.dir, { LEAKGUARD_OWN_PROCESS: 'never' })).toEqual({
      ownProcess: false,
      laneHere: true,
    });
    // the process started for a large history: a lane on its main thread, never a third process
    expect(await historyRun(packed.dir, { LEAKGUARD_SCAN_PROCESS: '1', LEAKGUARD_OWN_PROCESS: 'always' })).toEqual({
      ownProcess: false,
      laneHere: true,
    });
    await expect(historyRun(packed.dir, { LEAKGUARD_OWN_PROCESS: 'often' })).rejects.toThrow(/invalid size/);
    // only the packs' sizes are read: a sparse file stands in for a large pack (git never opens it here)
    const large = Repo.init();
    const pack = join(large.dir, '.git', 'objects', 'pack', 'pack-0000000000000000000000000000000000000000.pack');
    writeFileSync(pack, '');
    truncateSync(pack, 40 * 1024 * 1024);
    expect(await historyRun(large.dir, {})).toEqual({ ownProcess: false, laneHere: false });
    truncateSync(pack, 120 * 1024 * 1024);
    expect(await historyRun(large.dir, {})).toEqual({ ownProcess: true, laneHere: false });
  });

  it('knows a semi-space size given on the command line or in NODE_OPTIONS', () => {
    expect(startedWithHeapSettings([], {})).toBe(false);
    expect(startedWithHeapSettings(['--max-semi-space-size=2'], {})).toBe(true);
    expect(startedWithHeapSettings([], { NODE_OPTIONS: '--trace-gc --max-semi-space-size=4' })).toBe(true);
    expect(startedWithHeapSettings(['--max-old-space-size=4096'], { NODE_OPTIONS: '' })).toBe(false);
  });
});
