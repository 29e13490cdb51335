/**
 * The scan command: what runs it (runScan), the hooks' own command lines read without yargs
 * (hookLineArgs), and how an error ends a command (reportError). Shared by the full CLI (main.ts)
 * and the pre-commit hook's small entry (hook-main.ts), so the hook's bundle holds no other command.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, LeakguardError } from '../errors.js';
import type { Format } from './output.js';
import type { Confidence, ScanReport } from '../types.js';
import type { Ruleset as CompiledRuleset } from '../engine/compile.js';
import { parseSize } from '../engine/units.js';
import { tuneForLongRun } from './jit.js';
import { OPTIONS, SCAN_KEYS } from './options.js';

export interface ScanArgs {
  path?: string;
  staged?: boolean;
  history?: boolean;
  range?: string;
  'all-objects'?: boolean;
  workers?: number;
  engine?: 'git' | 'isomorphic';
  format: Format;
  output?: string;
  config?: string;
  baseline?: string;
  redact: boolean;
  quiet: boolean;
  /** Colour the text report: true or false when given (--color, --no-color), else decided by the terminal. */
  color?: boolean;
  'default-rules': boolean;
  'max-content-size'?: string;
  'commit-msg'?: string;
  'pre-push'?: string;
  cache?: string | false;
}

export function commonScanOptions(a: Pick<ScanArgs, 'config' | 'baseline' | 'default-rules' | 'max-content-size'>) {
  return {
    config: a.config,
    baseline: a.baseline,
    defaultRules: a['default-rules'],
    maxContentBytes: a['max-content-size'] ? parseSize(a['max-content-size'], '--max-content-size') : undefined,
  };
}

/** `how.scanOnCallingThread`: for history scans, see ScanOptions (the CLI decides it by the repository's size). */
export async function runScan(a: ScanArgs, how: { scanOnCallingThread?: boolean } = {}): Promise<number> {
  const [{ scan }, { render, emit, useColor, needsSecretExtent }, { startProgress }, { IncompleteScan }] =
    await Promise.all([
      import('../api.js'),
      import('./output.js'),
      import('./progress.js'),
      import('../engine/incomplete.js'),
    ]);
  const history = a.history || a.range !== undefined || a['pre-push'] !== undefined;
  if (history) tuneForLongRun();
  const progress = history && !a.quiet ? await startProgress() : undefined;
  // SARIF and GitLab show where each secret ends: they scan unredacted and redact when rendering
  const scanRedacted = a.redact && !needsSecretExtent(a.format);
  const headCommit = a.format === 'gitlab' ? process.env.CI_COMMIT_SHA || (await currentCommit(a.path)) : undefined;
  const write = async (report: ScanReport & { ruleset: CompiledRuleset }) => {
    // a quiet text report of nothing prints nothing: stdout is then never created (see main)
    const silent = a.quiet && a.format === 'text' && report.findings.length === 0;
    const text = render(report, report.ruleset.rules, a.format, {
      quiet: a.quiet,
      color: !silent && (a.color ?? (!a.output && useColor())),
      redact: a.redact,
      headCommit,
    });
    await emit(text, a.output);
    if (a.output && !a.quiet)
      process.stderr.write(`leakguard: ${report.findings.length} finding(s); report written to ${a.output}\n`);
  };
  if (a['commit-msg'] !== undefined) {
    const { scanMessage } = await import('../api.js');
    const report = await scanMessage({
      path: a.path,
      file: a['commit-msg'],
      config: a.config,
      baseline: a.baseline,
      defaultRules: a['default-rules'],
      redact: scanRedacted,
    });
    await write(report);
    return report.findings.length > 0 ? EXIT_FINDINGS : EXIT_CLEAN;
  }
  if (a['pre-push'] !== undefined) {
    const { pushRange } = await import('../integrations/pre-push.js');
    const range = await pushRange(
      resolve(a.path ?? '.'),
      a['pre-push'],
      process.stdin.isTTY ? '' : readFileSync(0, 'utf8'),
      process.env,
    );
    if (range === undefined) return EXIT_CLEAN; // only deletions: no commit is sent
    a = { ...a, range };
  }
  try {
    const report = await scan({
      path: a.path,
      staged: a.staged,
      redact: scanRedacted,
      history: a.history,
      range: a.range,
      allObjects: a['all-objects'],
      workers: a.workers,
      scanOnCallingThread: how.scanOnCallingThread,
      engine: a.engine,
      cache: a.cache,
      onProgress: progress?.update,
      ...commonScanOptions(a),
      minConfidence: (a as { 'min-confidence'?: Confidence })['min-confidence'],
    });
    progress?.stop();
    await write(report);
    return report.findings.length > 0 ? EXIT_FINDINGS : EXIT_CLEAN;
  } catch (e) {
    progress?.stop();
    if (e instanceof IncompleteScan && e.report) await write(e.report);
    throw e;
  }
}

/** The commit a work-tree or staged report is about, for formats that need one (GitLab). */
export async function currentCommit(path: string | undefined): Promise<string | undefined> {
  const { gitRaw } = await import('../sources/git.js');
  const r = await gitRaw(['rev-parse', '--verify', '-q', 'HEAD'], { cwd: resolve(path ?? '.') }).catch(() => undefined);
  return r?.code === 0 ? r.stdout.toString('utf8').trim() : undefined;
}

/**
 * The exact command lines the installed hooks run (see integrations/hook-commands.ts), read without
 * yargs: loading it, and the help text it builds for every command it runs, would be a sizeable
 * part of a pre-commit run. Any other line, even the same flags in another order, goes through
 * yargs; a test holds both readings of these lines to the same arguments.
 */
const HOOK_LINES: Record<string, Partial<ScanArgs>> = {
  'scan\0--staged\0--quiet': { staged: true, quiet: true },
  'scan\0--staged': { staged: true },
};

/** The scan arguments of a hook's command line, defaults from the option table; else undefined. */
export function hookLineArgs(argv: string[]): ScanArgs | undefined {
  const given = HOOK_LINES[argv.join('\0')];
  if (!given) return undefined;
  const defaults: Record<string, unknown> = {};
  for (const key of SCAN_KEYS) {
    const d = (OPTIONS[key] as { default?: unknown }).default;
    if (d !== undefined) defaults[key] = d;
  }
  return { ...defaults, ...given } as unknown as ScanArgs;
}

export function reportError(e: unknown): number {
  if (e instanceof LeakguardError) {
    process.stderr.write(`leakguard: ${e.message}\n`);
    return e.exitCode;
  }
  const err = e as NodeJS.ErrnoException;
  if (process.env.LEAKGUARD_DEBUG) process.stderr.write(`${err?.stack ?? String(e)}\n`);
  const detail = err?.code === 'EPIPE' ? 'output closed early' : (err?.message ?? String(e)).split('\n')[0];
  process.stderr.write(`leakguard: internal error: ${detail} (LEAKGUARD_DEBUG=1 shows the stack)\n`);
  return EXIT_ERROR;
}
