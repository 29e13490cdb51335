/**
 * The command line: thin yargs commands over the API. Exit codes: 0 clean, 1 findings, 2 usage or
 * runtime error (one line on stderr, never a stack trace).
 */
import { chmodSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import yargs, { type Argv } from 'yargs';
import { EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, LeakguardError } from '../errors.js';
import { VERSION } from './version.js';
import type { Format } from './output.js';
import type { ScanReport } from '../types.js';
import type { Ruleset as CompiledRuleset } from '../engine/compile.js';
import { parseSize } from '../engine/units.js';
import { tuneForLongRun } from './jit.js';

interface ScanArgs {
  path?: string; staged?: boolean; history?: boolean; range?: string; 'all-objects'?: boolean; workers?: number; engine?: 'git' | 'isomorphic'; format: Format; output?: string; config?: string; baseline?: string;
  redact: boolean; quiet: boolean; 'default-rules': boolean; 'max-content-size'?: string;
}

function scanOptions<T>(y: Argv<T>) {
  return y
    .option('format', { alias: 'f', choices: ['text', 'json', 'sarif'] as const, default: 'text' as const, describe: 'Report format' })
    .option('output', { alias: 'o', type: 'string', describe: 'Write the report to FILE instead of stdout' })
    .option('config', { alias: 'c', type: 'string', describe: 'Config file (default: .leakguard.yml at the repository root)' })
    .option('baseline', { alias: 'b', type: 'string', describe: 'Drop findings recorded in this baseline file' })
    .option('redact', { type: 'boolean', default: true, describe: 'Redact secrets in output (--no-redact shows them)' })
    .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'Print nothing when there are no findings' })
    .option('default-rules', { type: 'boolean', default: true, describe: 'Use the shipped rule pack (--no-default-rules: only the config\'s rules)' })
    .option('max-content-size', { type: 'string', describe: 'Largest file whose content is scanned (e.g. 25MB); larger ones get path and size rules only' });
}

function commonScanOptions(a: Pick<ScanArgs, 'config' | 'baseline' | 'default-rules' | 'max-content-size'>) {
  return {
    config: a.config,
    baseline: a.baseline,
    defaultRules: a['default-rules'],
    maxContentBytes: a['max-content-size'] ? parseSize(a['max-content-size'], '--max-content-size') : undefined,
  };
}

async function runScan(a: ScanArgs): Promise<number> {
  const [{ scan }, { render, emit, useColor }, { startProgress }, { IncompleteScan }] = await Promise.all([
    import('../api.js'), import('./output.js'), import('./progress.js'), import('../engine/history-scan.js'),
  ]);
  const history = a.history || a.range !== undefined;
  if (history) tuneForLongRun();
  const progress = history && !a.quiet ? await startProgress() : undefined;
  const write = async (report: ScanReport & { ruleset: CompiledRuleset }) => {
    const text = render(report, report.ruleset.rules, a.format, { quiet: a.quiet, color: !a.output && useColor() });
    await emit(text, a.output);
    if (a.output && !a.quiet) process.stderr.write(`leakguard: ${report.findings.length} finding(s); report written to ${a.output}\n`);
  };
  try {
    const report = await scan({
      path: a.path, staged: a.staged, redact: a.redact, history: a.history, range: a.range, allObjects: a['all-objects'],
      workers: a.workers, engine: a.engine, onProgress: progress?.update, ...commonScanOptions(a),
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

async function runBaseline(a: ScanArgs & { output?: string }): Promise<number> {
  const [{ scan }, { baselineFromFindings, writeBaseline, BASELINE_FILE }] = await Promise.all([
    import('../api.js'), import('../engine/baseline.js'),
  ]);
  if (a.history) tuneForLongRun();
  const report = await scan({ path: a.path, history: a.history, ...commonScanOptions(a), baseline: undefined, redact: true });
  const file = a.output ?? join(report.target.root, BASELINE_FILE);
  writeBaseline(file, baselineFromFindings(report.findings));
  if (!a.quiet) process.stderr.write(`leakguard: recorded ${report.findings.length} finding(s) in ${file}; scan with --baseline ${file} to drop them\n`);
  return EXIT_CLEAN;
}

async function runGitignore(a: ScanArgs & { check?: boolean; untrack?: boolean }): Promise<number> {
  const { gitignore } = await import('../remedy/api.js');
  tuneForLongRun(); // it scans the history
  const { displayPath } = await import('../report/text.js');
  const r = await gitignore({ path: a.path, ...commonScanOptions(a), write: !a.check, untrack: a.untrack });
  const out: string[] = [];
  if (!r.missing.length) out.push('.gitignore already covers every finding; nothing to add');
  else {
    out.push(`${a.check ? 'Missing from' : 'Added to'} ${r.file}:`);
    for (const e of r.missing) out.push(`  ${e.pattern.padEnd(32)} # ${e.reason}: ${e.paths.slice(0, 3).map(displayPath).join(', ')}${e.paths.length > 3 ? ` and ${e.paths.length - 3} more` : ''}`);
  }
  if (r.untracked.length) out.push(`Untracked (git rm --cached; the files stay on disk): ${r.untracked.map(displayPath).join(', ')}`);
  else if (r.tracked.length) out.push(`Still tracked, though now covered (they stay in git until untracked; --untrack runs git rm --cached): ${r.tracked.map(displayPath).join(', ')}`);
  if (!a.quiet || (a.check && r.missing.length)) process.stdout.write(`${out.join('\n')}\n`);
  return a.check && r.missing.length ? EXIT_FINDINGS : EXIT_CLEAN;
}

interface PurgeArgs extends Omit<ScanArgs, 'format'> {
  plan?: boolean; verify?: boolean; 'write-replacements'?: string; 'plan-file'?: string; old?: string; new?: string;
  replacements?: string; from?: string; format: Format | 'md' | 'sh';
}

async function runPurge(a: PurgeArgs): Promise<number> {
  const purge = await import('../remedy/purge.js');
  if (a['write-replacements']) {
    if (!a['plan-file']) throw new LeakguardError('--write-replacements needs --plan-file');
    const n = await purge.writeReplacements(a['write-replacements'], a['plan-file'], { path: a.path, ...commonScanOptions(a) });
    process.stderr.write(`leakguard: ${n} replacement expression(s) written to ${a['write-replacements']} (mode 600)\n`);
    return EXIT_CLEAN;
  }
  if (a.verify) {
    if (!a['plan-file'] || !a.new) throw new LeakguardError('--verify needs --plan-file and --new');
    const r = await purge.verify({ planFile: a['plan-file'], newRepo: a.new, oldRepo: a.old, replacements: a.replacements });
    for (const p of r.problems) process.stderr.write(`leakguard: verify: ${p}\n`);
    process.stderr.write(`leakguard: verify: ${r.problems.length ? `FAILED with ${r.problems.length} problem(s)` : 'passed'} (${r.refsChecked} refs compared, ${r.findingsChecked} findings re-checked)\n`);
    return r.problems.length ? EXIT_FINDINGS : EXIT_CLEAN;
  }
  if (!a.plan) throw new LeakguardError('purge needs --plan (the only mode that is not a helper of the generated script)');
  const render = await import('../remedy/render.js');
  const { emit } = await import('./output.js');
  if (!a.from) tuneForLongRun(); // the plan comes from a history scan
  const plan = await purge.makePlan({ path: a.path, from: a.from, ...commonScanOptions(a) });
  const format = a.format === 'text' ? 'md' : a.format;
  const bin = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'leakguard.js');
  const text = format === 'json' ? render.renderJson(plan) : format === 'sh' ? render.renderShell(plan, { node: process.execPath, bin }) : render.renderMarkdown(plan);
  await emit(text, a.output);
  if (a.output && format === 'sh') chmodSync(a.output, 0o755);
  if (a.output && !a.quiet) process.stderr.write(`leakguard: purge plan (${format}) written to ${a.output}\n`);
  return EXIT_CLEAN;
}

async function runHook(action: 'install' | 'uninstall'): Promise<number> {
  const hook = await import('../integrations/hook.js');
  const { openRepo } = await import('../sources/git.js');
  await openRepo(process.cwd());
  if (action === 'install') {
    const bin = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'leakguard.js');
    const r = await hook.installHook(process.cwd(), bin);
    process.stderr.write(`leakguard: pre-commit hook ${r.action} at ${r.hookPath}${r.chained ? ` (runs the existing hook first, kept as ${r.chained})` : ''}\n`);
  } else {
    const r = await hook.uninstallHook(process.cwd());
    process.stderr.write(`leakguard: pre-commit hook removed from ${r.hookPath}${r.action === 'restored' ? '; the previous hook is back in place' : ''}\n`);
  }
  return EXIT_CLEAN;
}

async function runRulesCheck(files: string[]): Promise<number> {
  const { loadRuleFile, loadDefaultRules } = await import('../engine/rule-pack.js');
  const { checkRuleExamples } = await import('../engine/rule-check.js');
  const specs = files.length ? (await Promise.all(files.map((f) => loadRuleFile(f)))).flat() : await loadDefaultRules();
  const failures = checkRuleExamples(specs);
  for (const f of failures) process.stdout.write(`${f.source ?? ''}: ${f.ruleId}: ${f.problem}\n`);
  process.stdout.write(`${specs.length} rules, ${specs.reduce((n, s) => n + (s.examples?.length ?? 0) + (s.negative_examples?.length ?? 0), 0)} examples, ${failures.length} failure(s)\n`);
  return failures.length ? EXIT_FINDINGS : EXIT_CLEAN;
}

async function runRulesList(a: { config?: string; 'default-rules': boolean }): Promise<number> {
  const { loadConfig, effectiveRules } = await import('../config.js');
  const { openRepo } = await import('../sources/git.js');
  const root = await openRepo(process.cwd()).then((r) => r.root, () => undefined);
  const rules = await effectiveRules(await loadConfig(root, a.config), { defaultRules: a['default-rules'] });
  for (const r of rules) {
    const kind = r.regex ? 'content' : r.min_size !== undefined ? 'size' : 'path';
    process.stdout.write(`${r.id.padEnd(40)} ${kind.padEnd(8)} ${r.severity.padEnd(9)} ${r.description}\n`);
  }
  return EXIT_CLEAN;
}

export async function main(argv: string[]): Promise<number> {
  let result: Promise<number> = Promise.resolve(EXIT_CLEAN);
  let usageError: string | undefined;
  const parser = yargs(argv)
    .scriptName('leakguard')
    .usage('$0 <command> [options]')
    .command('scan [path]', 'Scan the work tree (tracked plus untracked, not ignored files), or the index with --staged',
      (y) => scanOptions(y)
        .positional('path', { type: 'string', describe: 'Directory or file inside the repository (default: current directory)' })
        .option('staged', { type: 'boolean', default: false, describe: 'Scan exactly what the next commit would contain' })
        .option('history', { type: 'boolean', default: false, describe: 'Scan everything reachable from every ref, deleted files included' })
        .option('range', { type: 'string', describe: 'Scan what the commits of a revision range introduced (e.g. origin/main..HEAD)' })
        .option('all-objects', { type: 'boolean', default: false, describe: 'With --history: also unreachable objects (dropped stashes, deleted branches, amended commits)' })
        .option('workers', { type: 'number', describe: 'Threads for history content (default: one per core)' })
        .option('engine', { choices: ['git', 'isomorphic'] as const, describe: 'How history is read: git plumbing, or isomorphic-git (no git binary needed; automatic when git is missing)' })
        .check((a) => {
          if (a['all-objects'] && !a.history) throw new Error('--all-objects goes with --history');
          return true;
        }),
      (a) => { result = runScan(a as unknown as ScanArgs); })
    .command('baseline [path]', 'Record the current findings so later scans given --baseline ignore them',
      (y) => y
        .positional('path', { type: 'string' })
        .option('output', { alias: 'o', type: 'string', describe: 'Baseline file (default: .leakguard-baseline.json at the repository root)' })
        .option('history', { type: 'boolean', default: false, describe: 'Record what a history scan finds, at every path it occurs at' })
        .option('config', { alias: 'c', type: 'string' })
        .option('default-rules', { type: 'boolean', default: true })
        .option('max-content-size', { type: 'string' })
        .option('quiet', { alias: 'q', type: 'boolean', default: false }),
      (a) => { result = runBaseline(a as unknown as ScanArgs); })
    .command('gitignore [path]', 'Add .gitignore entries that would have prevented the findings (history and work tree)',
      (y) => y
        .positional('path', { type: 'string' })
        .option('check', { type: 'boolean', default: false, describe: 'Change nothing; exit 1 and list the missing entries if any' })
        .option('untrack', { type: 'boolean', default: false, describe: 'Also git rm --cached the tracked files the new entries cover' })
        .option('config', { alias: 'c', type: 'string' })
        .option('default-rules', { type: 'boolean', default: true })
        .option('quiet', { alias: 'q', type: 'boolean', default: false })
        .check((a) => {
          if (a.check && a.untrack) throw new Error('--check changes nothing, so it cannot --untrack');
          return true;
        }),
      (a) => { result = runGitignore(a as unknown as ScanArgs & { check?: boolean; untrack?: boolean }); })
    .command('purge [path]', 'Plan the removal of leaked secrets and files from history, and the push to every remote',
      (y) => y
        .positional('path', { type: 'string' })
        .option('plan', { type: 'boolean', default: false, describe: 'Write the plan (the only thing purge does on its own)' })
        .option('format', { alias: 'f', choices: ['md', 'sh', 'json', 'text'] as const, default: 'md' as const, describe: 'md for people, sh to run, json as data' })
        .option('output', { alias: 'o', type: 'string', describe: 'Write the plan to FILE (an sh plan is made executable)' })
        .option('from', { type: 'string', describe: 'Plan from a saved history report (leakguard scan --history --format json) instead of a fresh scan' })
        .option('config', { alias: 'c', type: 'string' })
        .option('default-rules', { type: 'boolean', default: true })
        .option('quiet', { alias: 'q', type: 'boolean', default: false })
        .option('verify', { type: 'boolean', default: false, hidden: true })
        .option('write-replacements', { type: 'string', hidden: true })
        .option('plan-file', { type: 'string', hidden: true })
        .option('old', { type: 'string', hidden: true })
        .option('new', { type: 'string', hidden: true })
        .option('replacements', { type: 'string', hidden: true }),
      (a) => { result = runPurge(a as unknown as PurgeArgs); })
    .command('hook <action>', 'Install or uninstall the pre-commit hook (runs leakguard scan --staged)',
      (y) => y.positional('action', { choices: ['install', 'uninstall'] as const, demandOption: true }),
      (a) => { result = runHook(a.action as 'install' | 'uninstall'); })
    .command('rules <action> [files..]', 'List the effective rules, or check rule files against their own examples',
      (y) => y
        .positional('action', { choices: ['list', 'check'] as const, demandOption: true })
        .positional('files', { type: 'string', array: true, describe: 'Rule files to check (default: the shipped pack)' })
        .option('config', { alias: 'c', type: 'string' })
        .option('default-rules', { type: 'boolean', default: true }),
      (a) => {
        result = a.action === 'check' ? runRulesCheck((a.files as string[] | undefined) ?? []) : runRulesList(a as never);
      })
    .demandCommand(1, 'name a command: scan, baseline, gitignore, purge, hook or rules')
    .strict()
    .version(VERSION)
    .help()
    .alias('h', 'help')
    .wrap(Math.min(100, process.stdout.columns || 100))
    .exitProcess(false)
    .fail((msg, err) => {
      if (err) throw err;
      usageError = msg;
    });
  try {
    parser.parse();
  } catch (e) {
    return reportError(e);
  }
  if (usageError) {
    process.stderr.write(`leakguard: ${usageError.replace(/\s*\n\s*/g, ' ')} (see leakguard --help)\n`);
    return EXIT_ERROR;
  }
  try {
    return await result;
  } catch (e) {
    return reportError(e);
  }
}

function reportError(e: unknown): number {
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
