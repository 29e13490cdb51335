/**
 * The command line: thin yargs commands over the API. Exit codes: 0 clean, 1 findings, 2 usage or
 * runtime error (one line on stderr, never a stack trace).
 */
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Argv } from 'yargs';
import { EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, LeakguardError } from '../errors.js';
import { VERSION } from './version.js';
import type { Format } from './output.js';
import { parseSize } from '../engine/units.js';
import { tuneForLongRun } from './jit.js';
import {
  BASELINE_KEYS,
  COMMAND_KEYS,
  CACHE_KEYS,
  flagNames,
  GITIGNORE_KEYS,
  HOOK_KEYS,
  IMPORT_KEYS,
  pick,
  PURGE_KEYS,
  RULES_KEYS,
  SCAN_KEYS,
  type OptionKey,
} from './options.js';
import { optionValueError } from './option-values.js';
import { ignoreBrokenPipe } from './broken-pipe.js';
import { commonScanOptions, hookLineArgs, reportError, runScan, type ScanArgs } from './scan-command.js';
import { usageMessage, type CommandShape } from './suggest.js';
import type { HookName } from '../integrations/hook-commands.js';

export { hookLineArgs } from './scan-command.js';

const HOOK_ACTIONS = ['install', 'uninstall'] as const;
const IMPORT_TOOLS = ['gitleaks'] as const;
const CACHE_ACTIONS = ['clear'] as const;

async function runBaseline(a: ScanArgs & { output?: string }): Promise<number> {
  const [{ scan }, { baselineFromFindings, writeBaseline, BASELINE_FILE }] = await Promise.all([
    import('../api.js'),
    import('../engine/baseline.js'),
  ]);
  if (a.history) tuneForLongRun();
  const report = await scan({
    path: a.path,
    history: a.history,
    ...commonScanOptions(a),
    baseline: undefined,
    redact: true,
  });
  const file = a.output ?? join(report.target.root, BASELINE_FILE);
  writeBaseline(file, baselineFromFindings(report.findings));
  if (!a.quiet)
    process.stderr.write(
      `leakguard: recorded ${report.findings.length} finding(s) in ${file}; scan with --baseline ${file} to drop them\n`,
    );
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
    for (const e of r.missing)
      out.push(
        `  ${e.pattern.padEnd(32)} # ${e.reason}: ${e.paths.slice(0, 3).map(displayPath).join(', ')}${e.paths.length > 3 ? ` and ${e.paths.length - 3} more` : ''}`,
      );
  }
  if (r.untracked.length)
    out.push(`Untracked (git rm --cached; the files stay on disk): ${r.untracked.map(displayPath).join(', ')}`);
  else if (r.tracked.length)
    out.push(
      `Still tracked, though now covered (they stay in git until untracked; --untrack runs git rm --cached): ${r.tracked.map(displayPath).join(', ')}`,
    );
  if (!a.quiet || (a.check && r.missing.length)) process.stdout.write(`${out.join('\n')}\n`);
  return a.check && r.missing.length ? EXIT_FINDINGS : EXIT_CLEAN;
}

interface PurgeArgs extends Omit<ScanArgs, 'format'> {
  plan?: boolean;
  verify?: boolean;
  'write-replacements'?: string;
  'plan-file'?: string;
  old?: string;
  new?: string;
  replacements?: string;
  from?: string;
  format: Format | 'md' | 'sh';
  step?: string;
  state?: string;
}

async function runPurge(a: PurgeArgs): Promise<number> {
  const purge = await import('../remedy/purge.js');
  if (a.step) {
    if (!a['plan-file'] || !a.state) throw new LeakguardError('--step needs --plan-file and --state');
    return purge.runStep(a.step, {
      repo: resolve(a.path ?? '.'),
      planFile: a['plan-file'],
      stateDir: a.state,
      resume: process.env.LEAKGUARD_RESUME ?? 'the same purge script, again',
    });
  }
  if (a['write-replacements']) {
    if (!a['plan-file']) throw new LeakguardError('--write-replacements needs --plan-file');
    const n = await purge.writeReplacements(a['write-replacements'], a['plan-file'], {
      path: a.path,
      ...commonScanOptions(a),
    });
    process.stderr.write(
      `leakguard: ${n} replacement expression(s) written to ${a['write-replacements']} (mode 600)\n`,
    );
    return EXIT_CLEAN;
  }
  if (a.verify) {
    if (!a['plan-file'] || !a.new) throw new LeakguardError('--verify needs --plan-file and --new');
    const r = await purge.verify({
      planFile: a['plan-file'],
      newRepo: a.new,
      oldRepo: a.old,
      replacements: a.replacements,
    });
    for (const p of r.problems) process.stderr.write(`leakguard: verify: ${p}\n`);
    process.stderr.write(
      `leakguard: verify: ${r.problems.length ? `FAILED with ${r.problems.length} problem(s)` : 'passed'} (${r.refsChecked} refs compared, ${r.findingsChecked} findings re-checked)\n`,
    );
    return r.problems.length ? EXIT_FINDINGS : EXIT_CLEAN;
  }
  if (!a.plan)
    throw new LeakguardError('purge needs --plan (the only mode that is not a helper of the generated script)');
  const render = await import('../remedy/render.js');
  const { emit } = await import('./output.js');
  if (!a.from) tuneForLongRun(); // the plan comes from a history scan
  const plan = await purge.makePlan({ path: a.path, from: a.from, ...commonScanOptions(a) });
  const format = a.format === 'text' ? 'md' : a.format;
  const bin = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'leakguard.js');
  const text =
    format === 'json'
      ? render.renderJson(plan)
      : format === 'sh'
        ? render.renderShell(plan, { node: process.execPath, bin })
        : render.renderMarkdown(plan);
  await emit(text, a.output);
  if (a.output && format === 'sh') chmodSync(a.output, 0o755);
  if (a.output && !a.quiet) process.stderr.write(`leakguard: purge plan (${format}) written to ${a.output}\n`);
  return EXIT_CLEAN;
}

async function runCacheClear(path: string | undefined, cache: string | undefined): Promise<number> {
  const { clearScanCache } = await import('../api.js');
  const { dir, removed } = await clearScanCache({ path, cache });
  process.stderr.write(`leakguard: scan cache cleared (${removed} file(s) removed from ${dir})\n`);
  return EXIT_CLEAN;
}

async function runHook(action: 'install' | 'uninstall', hooks: HookName[] | undefined): Promise<number> {
  const { installHooks, uninstallHooks } = await import('../integrations/install.js');
  const bin = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'leakguard.js');
  const r =
    action === 'install' ? await installHooks(process.cwd(), { bin, hooks }) : await uninstallHooks(process.cwd());
  for (const line of r.messages) process.stderr.write(`leakguard: ${line}\n`);
  return EXIT_CLEAN;
}

async function runImport(file: string | undefined, a: { output?: string; force: boolean }): Promise<number> {
  const [{ convertGitleaks }, { loadDefaultRules }, { openRepo }, { emit }] = await Promise.all([
    import('../integrations/gitleaks-import.js'),
    import('../engine/rule-pack.js'),
    import('../sources/git.js'),
    import('./output.js'),
  ]);
  const root = await openRepo(process.cwd()).then(
    (r) => r.root ?? process.cwd(),
    () => process.cwd(),
  );
  const source = file ?? join(root, '.gitleaks.toml');
  let text: string;
  try {
    text = readFileSync(source, 'utf8');
  } catch (e) {
    throw new LeakguardError(
      `cannot read ${source}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as NodeJS.ErrnoException).code}`,
    );
  }
  const shipped = new Set((await loadDefaultRules()).map((r) => r.id));
  const r = convertGitleaks(text, source, shipped);
  const output = a.output ?? join(root, '.leakguard.yml');
  if (output !== '-' && existsSync(output) && !a.force)
    throw new LeakguardError(`${output} already exists; --output elsewhere, or --force to replace it`);
  await emit(r.yaml, output === '-' ? undefined : output);
  process.stderr.write(
    `leakguard: converted ${r.converted} rule(s)${output === '-' ? '' : ` into ${output}`}${r.notConverted.length ? `; not converted (${r.notConverted.length}):` : ''}\n`,
  );
  for (const n of r.notConverted) process.stderr.write(`leakguard:   ${n}\n`);
  return EXIT_CLEAN;
}

async function runRulesCheck(files: string[]): Promise<number> {
  const { loadRuleFile, loadDefaultRules } = await import('../engine/rule-pack.js');
  const { checkRuleExamples } = await import('../engine/rule-check.js');
  const specs = files.length
    ? (await Promise.all(files.map((f) => loadRuleFile(f)))).flat()
    : await loadDefaultRules(undefined, { examples: true });
  const failures = checkRuleExamples(specs);
  for (const f of failures) process.stdout.write(`${f.source ?? ''}: ${f.ruleId}: ${f.problem}\n`);
  process.stdout.write(
    `${specs.length} rules, ${specs.reduce((n, s) => n + (s.examples?.length ?? 0) + (s.negative_examples?.length ?? 0), 0)} examples, ${failures.length} failure(s)\n`,
  );
  return failures.length ? EXIT_FINDINGS : EXIT_CLEAN;
}

async function runRulesList(a: { config?: string; 'default-rules': boolean }): Promise<number> {
  const { loadConfig, effectiveRules } = await import('../config.js');
  const { openRepo } = await import('../sources/git.js');
  const root = await openRepo(process.cwd()).then(
    (r) => r.root,
    () => undefined,
  );
  const rules = await effectiveRules(await loadConfig(root, a.config), { defaultRules: a['default-rules'] });
  for (const r of rules) {
    const kind = r.regex ? 'content' : r.min_size !== undefined ? 'size' : 'path';
    process.stdout.write(`${r.id.padEnd(40)} ${kind.padEnd(8)} ${r.severity.padEnd(9)} ${r.description}\n`);
  }
  return EXIT_CLEAN;
}

/** A command that parsed cleanly; it runs only after the whole command line is known to be valid. */
type Pending = () => Promise<number>;

const withOptions = (y: Argv, keys: OptionKey[]) => y.options(pick(keys));

/** Each command's choices for its positional arguments, beside its options, for suggestions. */
const CHOICES: Record<string, CommandShape['choices']> = {
  hook: { action: HOOK_ACTIONS },
  rules: { action: ['list', 'check'] },
  import: { tool: IMPORT_TOOLS },
  cache: { action: CACHE_ACTIONS },
};
const COMMAND_SHAPES: Record<string, CommandShape> = Object.fromEntries(
  Object.entries(COMMAND_KEYS).map(([command, keys]) => [
    command,
    CHOICES[command] ? { options: flagNames(keys), choices: CHOICES[command] } : { options: flagNames(keys) },
  ]),
);

/** Conflicts between scan modes, checked before anything runs. */
function checkScan(a: ScanArgs): true {
  const modes = (['staged', 'history', 'range', 'commit-msg', 'pre-push'] as const).filter(
    (k) => a[k] !== undefined && a[k] !== false,
  );
  if (modes.length > 1) throw new Error(`--${modes[0]} and --${modes[1]} cannot be combined`);
  if (a['all-objects'] && !a.history) throw new Error('--all-objects goes with --history');
  if ((a.workers !== undefined || a.engine !== undefined) && !a.history && a.range === undefined) {
    throw new Error(`--${a.workers !== undefined ? 'workers' : 'engine'} goes with --history or --range`);
  }
  if (a.cache !== undefined && !a.history && a.range === undefined && a['pre-push'] === undefined)
    throw new Error(`--${a.cache === false ? 'no-' : ''}cache goes with --history or --range`);
  if (a['max-content-size'] !== undefined) parseSize(a['max-content-size'], '--max-content-size');
  return true;
}

interface Parsed {
  run?: Pending;
  usageError?: string;
  /** What the scan command was given, when it was the command (for the test of hookLineArgs). */
  scanArgs?: ScanArgs;
}

export async function main(argv: string[]): Promise<number> {
  const fast = hookLineArgs(argv);
  // the hook's scan writes stdout only through emit(), which handles a reader that goes away
  // itself; not touching process.stdout before then saves a clean pre-commit run creating it
  if (!fast) ignoreBrokenPipe();
  const { run, usageError } = fast ? { run: () => runScan(fast), usageError: undefined } : await parseCommandLine(argv);
  if (usageError) {
    process.stderr.write(`leakguard: ${usageMessage(usageError, argv, COMMAND_SHAPES)} (see leakguard --help)\n`);
    return EXIT_ERROR;
  }
  if (!run) return EXIT_CLEAN; // --help or --version
  try {
    return await run();
  } catch (e) {
    return reportError(e);
  }
}

/** A scan, in a node process of its own when it is a history scan of a large repository (see own-process). */
async function runScanCommand(a: ScanArgs, argv: string[]): Promise<number> {
  if (!a.history) return runScan(a);
  const { historyRun, runInOwnProcess } = await import('./own-process.js');
  const how = await historyRun(a.path);
  if (how.ownProcess) {
    const code = await runInOwnProcess(argv);
    if (code !== undefined) return code;
  }
  // the scan's threads boot while this one loads the rules (see startWorkersEarly)
  const { startWorkersEarly, stopEarlyWorkers } = await import('../engine/content-pool.js');
  startWorkersEarly(a.workers, how.laneHere);
  try {
    return await runScan(a, { scanOnCallingThread: how.laneHere });
  } finally {
    stopEarlyWorkers();
  }
}

/** The whole command line through yargs; nothing runs until all of it is known to be valid. */
export async function parseCommandLine(argv: string[]): Promise<Parsed> {
  const { default: yargs } = await import('yargs');
  let pending: Pending | undefined;
  let scanArgs: ScanArgs | undefined;
  let usageError: string | undefined;
  const parser = yargs(argv)
    .scriptName('leakguard')
    .usage('$0 <command> [options]')
    .command(
      'scan [path]',
      'Scan the work tree (tracked plus untracked, not ignored files), or the index with --staged',
      (y) =>
        withOptions(y, SCAN_KEYS)
          .positional('path', {
            type: 'string',
            describe: 'Directory or file inside the repository (default: current directory)',
          })
          .check((a) => checkScan(a as unknown as ScanArgs)),
      (a) => {
        scanArgs = a as unknown as ScanArgs;
        pending = () => runScanCommand(scanArgs!, argv);
      },
    )
    .command(
      'baseline [path]',
      'Record the current findings so later scans given --baseline ignore them',
      (y) =>
        withOptions(y, BASELINE_KEYS)
          .positional('path', {
            type: 'string',
            describe: 'Any directory inside the repository (default: current directory)',
          })
          .check((a) => checkScan({ 'max-content-size': a['max-content-size'] } as ScanArgs)),
      (a) => {
        pending = () => runBaseline(a as unknown as ScanArgs);
      },
    )
    .command(
      'gitignore [path]',
      'Add .gitignore entries that would have prevented the findings (history and work tree)',
      (y) =>
        withOptions(y, GITIGNORE_KEYS)
          .positional('path', {
            type: 'string',
            describe: 'Any directory inside the repository (default: current directory)',
          })
          .check((a) => {
            if (a.check && a.untrack) throw new Error('--check changes nothing, so it cannot --untrack');
            return checkScan({ 'max-content-size': a['max-content-size'] } as ScanArgs);
          }),
      (a) => {
        pending = () => runGitignore(a as unknown as ScanArgs & { check?: boolean; untrack?: boolean });
      },
    )
    .command(
      'purge [path]',
      'Plan the removal of leaked secrets and files from history, and the push to every remote',
      (y) =>
        withOptions(y, PURGE_KEYS)
          .positional('path', {
            type: 'string',
            describe: 'Any directory inside the repository (default: current directory)',
          })
          .check((a) => {
            if (!a.plan && !a.verify && !a['write-replacements'] && !a.step)
              throw new Error('purge needs --plan (the only mode that is not a helper of the generated script)');
            return checkScan({ 'max-content-size': a['max-content-size'] } as ScanArgs);
          }),
      (a) => {
        pending = () => runPurge(a as unknown as PurgeArgs);
      },
    )
    .command(
      'hook <action>',
      'Install or uninstall the git hooks (through husky, lefthook, simple-git-hooks or pre-commit when the repository uses one)',
      (y) =>
        withOptions(y, HOOK_KEYS)
          .positional('action', { choices: HOOK_ACTIONS, demandOption: true, describe: 'install or uninstall' })
          .check((a) => {
            if (a.hooks !== undefined && a.action === 'uninstall')
              throw new Error('--hooks goes with install (uninstall removes every leakguard hook)');
            return true;
          }),
      (a) => {
        pending = () => runHook(a.action as 'install' | 'uninstall', a.hooks as HookName[] | undefined);
      },
    )
    .command(
      'rules <action> [files..]',
      'List the effective rules, or check rule files against their own examples',
      (y) =>
        withOptions(y, RULES_KEYS)
          .positional('action', { choices: ['list', 'check'] as const, demandOption: true, describe: 'list or check' })
          .positional('files', {
            type: 'string',
            array: true,
            describe: 'Rule files to check (default: the shipped pack)',
          })
          .check((a) => {
            if (a.action === 'list' && (a.files as string[] | undefined)?.length)
              throw new Error(`'rules list' takes no files (did you mean 'rules check'?)`);
            return true;
          }),
      (a) => {
        pending =
          a.action === 'check'
            ? () => runRulesCheck((a.files as string[] | undefined) ?? [])
            : () => runRulesList(a as never);
      },
    )
    .command(
      'import <tool> [file]',
      "Convert another scanner's config to .leakguard.yml (gitleaks: .gitleaks.toml), saying what could not be converted",
      (y) =>
        withOptions(y, IMPORT_KEYS)
          .positional('tool', { choices: IMPORT_TOOLS, demandOption: true, describe: 'The scanner to migrate from' })
          .positional('file', {
            type: 'string',
            describe: 'Its config (default: .gitleaks.toml at the repository root)',
          }),
      (a) => {
        pending = () => runImport(a.file as string | undefined, a as unknown as { output?: string; force: boolean });
      },
    )
    .command(
      'cache <action> [path]',
      'Manage the history scan cache: clear removes it (the next history scan reads everything)',
      (y) =>
        withOptions(y, CACHE_KEYS)
          .positional('action', { choices: CACHE_ACTIONS, demandOption: true, describe: 'clear' })
          .positional('path', {
            type: 'string',
            describe: 'Any directory inside the repository (default: current directory)',
          })
          .check((a) => {
            if (a.cache === false) throw new Error('cache clear takes --cache DIR, not --no-cache');
            return true;
          }),
      (a) => {
        pending = () => runCacheClear(a.path as string | undefined, a.cache as string | undefined);
      },
    )
    .demandCommand(1, 'name a command: scan, baseline, gitignore, purge, hook, rules, import or cache')
    .strict()
    .version(VERSION)
    .help()
    .alias('h', 'help')
    .wrap(Math.min(100, process.stdout.columns || 100))
    .exitProcess(false)
    .fail((msg, err) => {
      // every failure here is the command line's: a check, a coerce or yargs' own validation
      usageError ??= msg || err?.message || 'invalid command line';
    });
  try {
    parser.parse();
  } catch (e) {
    usageError ??= (e as Error)?.message ?? String(e);
  }
  usageError ??= pending ? optionValueError(argv) : undefined;
  return usageError ? { usageError } : { run: pending, scanArgs };
}
