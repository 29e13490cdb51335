/**
 * A history scan of a large repository runs in a node process of its own, started with memory
 * settings that node and glibc only take when a process starts:
 *
 * - a small young generation (`--max-semi-space-size=2`, in MB). Node lets the main thread's young
 *   generation grow to 32 MB (two semi-spaces of 16 MB), and a history walk allocates enough
 *   short-lived objects to grow it all the way; the flag gives the worker threads the same size.
 * - (not a start-up setting, but this process's own choice) one of the content lanes on the main
 *   thread instead of a worker thread, one V8 heap and compiled rule pack fewer (see
 *   ScanOptions.scanOnCallingThread): on git/git 25 MB less at the same speed.
 * - one malloc arena (`MALLOC_ARENA_MAX=1`; other C libraries ignore it). glibc gives each thread
 *   an arena of its own and keeps what is freed there: the scan's two threads each held 45-50 MB
 *   in theirs, mostly blob buffers already freed.
 *
 * Measured on git/git (500 MB of packs): the node process peaked at 271-290 MB scanning in one
 * process, 242-269 MB with the small young generation, 200-256 MB with one malloc arena too, and
 * 195-202 MB with the lane on the main thread, at the same wall time and about 2% more CPU. The
 * price is one more start of node, 50-70 ms: noise on a scan of 20 s, but 1.06x CPU and 1.09x wall
 * on express (18 MB of packs, under a second), so below LARGE_PACKS the scan stays in this process.
 * Settings the user gave (a semi-space flag, in NODE_OPTIONS too, or MALLOC_ARENA_MAX) are kept.
 * `LEAKGUARD_OWN_PROCESS` overrides the size test (see historyRun).
 *
 * V8 flags and the environment belong to the whole process: the command line owns its process,
 * so this is the CLI's decision, never the library API's (as with `tuneForLongRun`).
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openRepo, repoAtTop } from '../sources/git.js';
import { packageRoot } from '../engine/rule-pack.js';
import { parseSize } from '../engine/units.js';

/** Set in the environment of the process started for a large history, so it knows it is that one. */
const SCAN_PROCESS_ENV = 'LEAKGUARD_SCAN_PROCESS';
const OWN_PROCESS_FLAGS = ['--max-semi-space-size=2'];
const OWN_PROCESS_ENV = { MALLOC_ARENA_MAX: '1' };
/** Pack files at least this large (all together) make a history worth a process of its own. */
const LARGE_PACKS = 100 * 1024 * 1024;

/** True when this node was started with a semi-space size already (by us, or by the user). */
export function startedWithHeapSettings(
  execArgv: readonly string[] = process.execArgv,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  const given = [...execArgv, ...(env.NODE_OPTIONS ?? '').split(/\s+/)];
  return given.some((a) => a.startsWith('--max-semi-space-size'));
}

/**
 * The bytes of the repository's pack files, its alternates' included (a `git clone --shared` or
 * `--reference` holds few objects of its own); 0 when they cannot be read (the scan then says why).
 */
async function packBytes(path: string | undefined): Promise<number> {
  let objects: string;
  try {
    const dir = resolve(path ?? '.');
    // at the top of a plain work tree the file system says where (one git process fewer)
    objects = join((repoAtTop(dir) ?? (await openRepo(dir))).commonDir, 'objects');
  } catch {
    return 0;
  }
  const stores = [objects];
  try {
    const listed = readFileSync(join(objects, 'info', 'alternates'), 'utf8').split('\n');
    for (const line of listed) if (line && !line.startsWith('#')) stores.push(resolve(objects, line));
  } catch {
    /* no alternates */
  }
  let sum = 0;
  for (const store of stores) {
    try {
      const dir = join(store, 'pack');
      for (const f of readdirSync(dir)) if (f.endsWith('.pack')) sum += statSync(join(dir, f)).size;
    } catch {
      /* an alternate that is gone: git itself complains about it during the scan */
    }
  }
  return sum;
}

/**
 * Below this much in packs a history scan in one process puts one content lane on its main
 * thread too: a worker thread's fixed cost (its isolate, the rule pack compiled again, its own
 * `cat-file`) is then a large part of the whole. On express (18 MB of packs, under a second) that
 * was about 0.92x CPU at the same wall time; on lodash (75 MB), where a few large files keep the
 * main thread from feeding the worker, it cost 15% wall, so there the two worker threads stay.
 */
const SMALL_PACKS = 32 * 1024 * 1024;

/** How a history scan runs: in a process of its own or here, and whether a content lane runs on this thread. */
export interface HistoryRun {
  ownProcess: boolean;
  laneHere: boolean;
}

/**
 * How a history scan of `path` runs (see above). LEAKGUARD_OWN_PROCESS: `always`, `never`, or a
 * size of packs to use instead of LARGE_PACKS; a value that is none of these is a usage error,
 * before anything runs.
 */
export async function historyRun(path: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<HistoryRun> {
  // the process started for a large history spends its memory on one thread fewer
  if (env[SCAN_PROCESS_ENV] === '1') return { ownProcess: false, laneHere: true };
  const choice = env.LEAKGUARD_OWN_PROCESS;
  const sized = choice !== undefined && choice !== '' && choice !== 'always' && choice !== 'never';
  const threshold = sized ? parseSize(choice, 'LEAKGUARD_OWN_PROCESS') : LARGE_PACKS;
  const packs = await packBytes(path);
  const laneHere = packs < SMALL_PACKS;
  if (startedWithHeapSettings(process.execArgv, env) || choice === 'never') return { ownProcess: false, laneHere };
  return { ownProcess: choice === 'always' || packs >= threshold, laneHere };
}

/**
 * Runs the same command line in a second node process with the settings above and gives back its
 * exit code; undefined when that process could not be started (the caller then runs the command
 * itself). A signal sent to this process alone (a CI runner's SIGTERM) is passed on; one from a
 * terminal reaches both processes, and the copy changes nothing. A scan ended by a signal ends
 * this process by the same signal, so whoever waits on it sees how.
 */
export function runInOwnProcess(argv: readonly string[]): Promise<number | undefined> {
  const bin = join(packageRoot(), 'bin', 'leakguard.js');
  return new Promise((done) => {
    const child = spawn(process.execPath, [...process.execArgv, ...OWN_PROCESS_FLAGS, bin, ...argv], {
      stdio: 'inherit',
      env: { ...OWN_PROCESS_ENV, ...process.env, [SCAN_PROCESS_ENV]: '1' },
    });
    const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
    const forward = (sig: NodeJS.Signals) => child.kill(sig);
    for (const sig of signals) process.on(sig, forward);
    const stopForwarding = () => {
      for (const sig of signals) process.off(sig, forward);
    };
    child.on('error', () => {
      stopForwarding();
      done(undefined);
    });
    child.on('exit', (code, signal) => {
      stopForwarding();
      if (signal) process.kill(process.pid, signal);
      done(code ?? 2);
    });
  });
}
